import Foundation
import NOLAKit

/// The facts of one run, as its page lists them: how it was started (command line, seed, scale,
/// data), where (CPU model and features as `cpuid` reports them, cores, memory, OpenBLAS and its
/// kernels), when, and how long it took (wall clock and process CPU time).
struct RunFacts {
    var command: String
    var seed: UInt64
    var scale: Scale
    var data: String
    var cpu: String
    var memory: String
    var blas: String
    var started: Date
    var seconds: Double
    var cpuSeconds: Double

    /// The facts of this process, `seconds` after `started`.
    static func current(options: CommonOptions, started: Date, seconds: Double) -> RunFacts {
        let features = CPUFeatures.current
        let brand = features.brand.isEmpty ? "CPU model not reported" : features.brand
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return RunFacts(
            command: commandLine(CommandLine.arguments),
            seed: options.seed,
            scale: options.scale,
            data: DataChoice.described ?? "none (this lesson makes its own numbers)",
            cpu: "\(brand); \(features.summary); \(cores) core\(cores == 1 ? "" : "s") available",
            memory: Format.bytes(Int(clamping: ProcessInfo.processInfo.physicalMemory)) + " in all; "
                + Format.bytes(ProcessMemory.peakResidentBytes) + " at most in use by this run",
            blas: OpenBLASInfo.current.summary,
            started: started,
            seconds: seconds,
            cpuSeconds: ProcessMemory.cpuSeconds)
    }

    /// The run's facts as label–value pairs, in the page's order.
    var pairs: [(label: String, value: String)] {
        [
            ("command", command),
            ("seed", "\(seed)"),
            ("scale", scale.pageDescription),
            ("data", data),
            ("machine", cpu),
            ("memory", memory),
            ("BLAS", blas),
            ("date", RunFacts.dateText(started)),
            ("duration", Format.seconds(seconds) + " wall clock, " + Format.seconds(cpuSeconds) + " of CPU time (all threads)"),
        ]
    }

    /// `2026-03-14 15:09:26 +0100`: local time with its offset.
    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// The command as a user would type it again: the program's name (not its build path) and
    /// the arguments, each quoted for a POSIX shell when it needs to be.
    static func commandLine(_ arguments: [String]) -> String {
        guard let program = arguments.first else { return "" }
        let name = URL(fileURLWithPath: program).lastPathComponent
        return ([name] + arguments.dropFirst().map(shellQuoted)).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@")
        if !word.isEmpty && word.allSatisfy({ plain.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension Scale {
    /// `quick (--quick: a smoke run)`.
    var pageDescription: String {
        switch self {
        case .quick: "quick (--quick: a smoke run of seconds)"
        case .standard: "default (the classroom run)"
        case .full: "full (--full: the paper's scale where a CPU can carry it)"
        }
    }
}

/// The data a run was asked to use, as its `--data` option said it (`DataOptions`,
/// `TextDataOptions`); nil for a lesson without `--data`. Noted while the command line is parsed,
/// before the lesson exists, and read by the run's page.
enum DataChoice {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var text: String?

    static func note(_ description: String) {
        lock.lock()
        defer { lock.unlock() }
        text = description
    }

    static var described: String? {
        lock.lock()
        defer { lock.unlock() }
        return text
    }
}
