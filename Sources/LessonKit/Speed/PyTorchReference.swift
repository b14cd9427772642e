import Foundation
import NOLAKit

/// The same training steps timed in PyTorch, by `Benchmarks/pytorch/steps.py`: lesson 3 and the
/// `step-times` benchmark run it to put PyTorch's milliseconds beside ours, measured on the same
/// machine at the same time.
///
/// The script needs `python3` with `torch` (CPU); without them `measure` says so in one line, and
/// the caller prints how to run the comparison by hand (`howToRun`).
public enum PyTorchReference {
    /// The methods the script knows, in its order.
    public static let methods = ["dense", "lora", "nola-per-layer", "nola-shared", "nola-on-the-fly", "pranc"]

    /// `Benchmarks/pytorch/steps.py` of this checkout.
    public static var script: URL {
        // This file is Sources/LessonKit/Speed/PyTorchReference.swift: the package root is four up.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Benchmarks/pytorch/steps.py")
    }

    /// The command that prints PyTorch's table, for a reader to run.
    public static let howToRun = "python3 Benchmarks/pytorch/steps.py   (needs pip install torch, CPU wheel)"

    /// PyTorch's step times for some methods.
    public struct StepTimes: Sendable, Decodable {
        /// Milliseconds per step of one method.
        public struct Milliseconds: Sendable, Decodable {
            public let median: Double
            public let q1: Double
            public let q3: Double
            public let best: Double
            public let trainable: Int
        }

        /// `torch.__version__`.
        public let torch: String
        /// `torch.get_num_threads()` during the timing.
        public let threads: Int
        /// Whether `torch.set_flush_denormal(True)` took effect.
        public let flushDenormal: Bool
        /// Timed steps per method.
        public let steps: Int
        /// By method name.
        public let ms: [String: Milliseconds]

        enum CodingKeys: String, CodingKey {
            case torch, threads, steps, ms
            case flushDenormal = "flush_denormal"
        }
    }

    /// Why PyTorch's times could not be had.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the script for `methods` (`steps` timed steps each, PyTorch on `threads` threads)
    /// and returns its medians, or why it could not.
    public static func measure(
        methods: [String], steps: Int, warmup: Int = 20, threads: Int = 2, clock: StepClock = .wall
    ) -> Result<StepTimes, Unavailable> {
        guard FileManager.default.fileExists(atPath: script.path) else {
            return .failure(Unavailable(description: "the script \(script.path) is missing"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script.path, "--json", "--methods", methods.joined(separator: ","), "--steps", "\(steps)",
            "--warmup", "\(warmup)", "--threads", "\(threads)", "--clock", clock.rawValue,
        ]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return .failure(Unavailable(description: "python3 could not be started: \(error)"))
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let line = message.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            return .failure(Unavailable(description: line.hasPrefix("error: ") ? String(line.dropFirst(7)) : line))
        }
        do {
            return .success(try JSONDecoder().decode(StepTimes.self, from: data))
        } catch {
            return .failure(Unavailable(description: "the script's output could not be read: \(error)"))
        }
    }
}
