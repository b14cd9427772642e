import Foundation

/// Runs gnuplot on a script, when gnuplot is installed, within a time limit, and checks what it
/// wrote.
///
/// A figure renders in well under a second. A gnuplot that takes longer than `timeLimit` (one
/// waiting for a display, say, or a broken wrapper script) is stopped with SIGKILL, together with
/// every process it started (its process group; see `TimeLimitedRun`), and `render` reports
/// `.timedOut`; the lesson then goes on without rendering (its `.gp` and `.dat` files are written
/// either way).
///
/// An exit status of 0 is not taken on trust: the `.png` and `.svg` beside the script (removed
/// before gnuplot starts, so that an old image is never taken for a new one) must both be there,
/// the PNG whole from its signature to its `IEND` chunk and the SVG from `<svg` to `</svg>`.
/// A gnuplot that exits 0 having written nothing, half a file, or something else is `.failed`,
/// with what it printed.
struct GnuplotRenderer {
    enum Outcome: Equatable {
        case rendered
        case gnuplotMissing
        case failed(String)
        case timedOut(seconds: Double)
    }

    /// Set once the "gnuplot is missing" line has been printed.
    var warnedMissing = false
    /// Set once gnuplot has hung: later figures are not sent to it.
    var gaveUp = false
    /// The gnuplot executable found on the PATH, if any.
    let executable: URL?
    /// Seconds one figure may take.
    let timeLimit: Double

    /// The default time limit in seconds: 20.
    static let standardTimeLimit = 20.0
    /// The longest time limit `NOLA_GNUPLOT_TIMEOUT` may set: an hour.
    static let longestTimeLimit = 3600.0

    /// The time limit in seconds: 20, or the environment's `NOLA_GNUPLOT_TIMEOUT` when it is a
    /// number of seconds above 0 (at most an hour); `warning` says why a value set there was not
    /// taken as it is.
    static func timeLimitSetting(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (seconds: Double, warning: String?)
    {
        guard let text = environment["NOLA_GNUPLOT_TIMEOUT"] else { return (standardTimeLimit, nil) }
        let shown = text.count <= 40 ? text : String(text.prefix(37)) + "…"
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds > 0 else {
            return (standardTimeLimit, "NOLA_GNUPLOT_TIMEOUT='\(shown)' is not a number of seconds above 0; "
                + "gnuplot gets the usual \(Int(standardTimeLimit)) s per figure (set it to e.g. 60, or unset it)")
        }
        guard seconds <= longestTimeLimit else {
            return (longestTimeLimit, "NOLA_GNUPLOT_TIMEOUT='\(shown)' is more than an hour; gnuplot gets "
                + "\(Int(longestTimeLimit)) s per figure")
        }
        return (seconds, nil)
    }

    /// The time limit in seconds (`timeLimitSetting()`, without its warning).
    static func defaultTimeLimit() -> Double { timeLimitSetting().seconds }

    init(executable: URL? = GnuplotRenderer.findOnPath("gnuplot"), timeLimit: Double = GnuplotRenderer.defaultTimeLimit()) {
        self.executable = executable
        self.timeLimit = timeLimit
    }

    /// The images `script` writes: `<stem>.png` and `<stem>.svg` beside it.
    static func outputs(of script: URL) -> [URL] {
        let stem = script.deletingPathExtension()
        return [stem.appendingPathExtension("png"), stem.appendingPathExtension("svg")]
    }

    /// Removes the images of an earlier run of `script`.
    static func removeOutputs(of script: URL) {
        for url in outputs(of: script) { unlink(url.path) }
    }

    func render(script: URL) -> Outcome {
        Self.removeOutputs(of: script)
        guard let executable else { return .gnuplotMissing }
        switch TimeLimitedRun.run(executable.path, [script.path], seconds: timeLimit) {
        case .exited(0, let messages):
            if let problem = Self.outputProblem(of: script) {
                let said = Self.lastLines(messages)
                return .failed("gnuplot exited normally but \(problem)" + (said.isEmpty ? "" : " (it printed: \(said))"))
            }
            return .rendered
        case .exited(let status, let messages):
            let text = Self.lastLines(messages)
            return .failed(text.isEmpty ? "gnuplot exited with status \(status)" : text)
        case .signalled(let signal):
            return .failed("gnuplot was stopped by signal \(signal)")
        case .timedOut:
            return .timedOut(seconds: timeLimit)
        case .notStarted(let reason):
            return .failed("could not start \(executable.path) (\(reason))")
        }
    }

    /// The last three non-empty lines of `messages`, joined by " / ", at most 300 characters.
    static func lastLines(_ messages: String) -> String {
        let text = messages.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.suffix(3).joined(separator: " / ")
        return text.count <= 300 ? text : String(text.prefix(297)) + "…"
    }

    /// What is wrong with the images `script` should have written, or nil when both are whole.
    static func outputProblem(of script: URL) -> String? {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let iend: [UInt8] = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        for url in outputs(of: script) {
            let name = url.relativeDisplayPath
            guard let data = FileManager.default.contents(atPath: url.path) else { return "wrote no \(name)" }
            let bytes = [UInt8](data)
            if url.pathExtension == "png" {
                guard bytes.starts(with: png) else { return "\(name) is not a PNG image (\(bytes.count) bytes)" }
                guard bytes.suffix(8).elementsEqual(iend) else { return "\(name) is cut short (\(bytes.count) bytes, no IEND chunk)" }
            } else {
                let text = String(decoding: bytes, as: UTF8.self)
                guard text.prefix(4096).contains("<svg") else { return "\(name) is not an SVG image (\(bytes.count) bytes)" }
                guard text.suffix(64).contains("</svg>") else { return "\(name) is cut short (\(bytes.count) bytes, no </svg>)" }
            }
        }
        return nil
    }

    static func findOnPath(_ command: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(command)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
