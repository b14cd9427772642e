import Foundation

/// Running another program and reading what it prints: how the speed tools put each timed
/// setting in a process of its own and ask PyTorch's scripts for their times.
///
/// ```swift
/// let lines = try ChildProcess.lines("/usr/bin/env", ["python3", "-c", "print(1)"])   // ["1"]
/// ```
public enum ChildProcess {
    /// The lines `executable` prints on stdout and stderr (together, in order); throws when it
    /// cannot be started. The exit status is not checked: callers look for the lines they expect.
    public static func lines(_ executable: String, _ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Whether `python3` can import torch, numpy and safetensors (the PyTorch scripts' needs).
    public static func hasPyTorch() -> Bool {
        (try? lines("/usr/bin/env", ["python3", "-c", "import torch, safetensors, numpy; print('ok')"]))?.last == "ok"
    }
}
