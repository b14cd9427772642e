import Foundation
import Testing

/// Runs the catalogue of `BadInputCatalogue.swift`: every row's program, in a fresh folder,
/// checked against the row's exit status and words.
@Suite("Bad inputs: the catalogue")
struct BadInputCatalogueTests {
    /// python3 with numpy and safetensors, for the Python reader's rows.
    static let pythonReady: Bool = {
        (try? ProgramRun.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import numpy, safetensors"],
                             in: URL(fileURLWithPath: NSTemporaryDirectory())).status) == 0
    }()

    @Test("each bad input: its exit status, one line naming the culprit",
          arguments: BadInput.all.filter { if case .python = $0.action { false } else { true } })
    func row(_ row: BadInput) throws {
        try Self.check(row)
    }

    @Test("each bad adapter file for the Python reader: exit 1, one line",
          .enabled(if: pythonReady, "skipped: python3 with numpy and safetensors is not available (pip install numpy safetensors)"),
          arguments: BadInput.all.filter { if case .python = $0.action { true } else { false } })
    func pythonRow(_ row: BadInput) throws {
        try Self.check(row)
    }

    @Test("the catalogue: at least 40 rows, ids unique, every area covered")
    func shape() {
        #expect(BadInput.all.count >= 40, "\(BadInput.all.count) rows")
        #expect(Set(BadInput.all.map(\.id)).count == BadInput.all.count, "an id is used twice")
        for area in BadInput.Area.allCases {
            #expect(BadInput.all.contains { $0.area == area }, "no row for \(area.rawValue)")
        }
        #expect(BadInput.all.allSatisfy { $0.exit == 0 || !$0.names.isEmpty || $0.losesStandardError },
                "an error row must name its culprit (unless its standard error goes nowhere)")
    }

    // MARK: Running and checking one row

    static func check(_ row: BadInput) throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("nola-bad-input-\(row.id)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try run(row, in: folder)
        report(row, result)
        if let after = row.after {
            do { try after(folder) } catch { Issue.record("after the run: \(error)") }
        }

        let lines = result.stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        #expect(result.status == row.exit, "exit \(result.status), expected \(row.exit); stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Traceback"), "\(result.stderr)")
        if result.stderrLost {
            // Standard error went to a file that takes nothing: only the exit status can speak.
        } else if row.exit != 0 {
            #expect(lines.count == 1, "expected one line on stderr, got \(lines.count): \(result.stderr)")
            #expect(lines.first?.hasPrefix("error: ") == true, "\(result.stderr)")
        } else {
            // A tool may say what it did on stderr ("Scored 2 outputs …"); a lesson only warns.
            let warnings = lines.filter { $0.hasPrefix("warning: ") }
            if case .tool = row.action {
                #expect(!lines.contains { $0.hasPrefix("error") }, "\(result.stderr)")
            } else {
                #expect(warnings.count == lines.count, "\(result.stderr)")
            }
            #expect(warnings.count == (row.names.isEmpty ? 0 : 1), "expected \(row.names.isEmpty ? 0 : 1) warning: \(result.stderr)")
        }
        let line = lines.first { $0.hasPrefix("warning: ") || $0.hasPrefix("error: ") } ?? ""
        for name in row.names {
            #expect(line.contains(name), "'\(name)' is not named in: \(line)")
        }
        for text in row.stdoutHas {
            #expect(result.stdout.contains(text), "standard output lacks '\(text)'")
        }
        for word in row.stdoutLacks {
            let pattern = try Regex("\\b" + NSRegularExpression.escapedPattern(for: word) + "\\b").ignoresCase()
            #expect(!result.stdout.contains(pattern), "standard output shows '\(word)'")
        }
    }

    static func run(_ row: BadInput, in folder: URL) throws -> ProgramRun.Result {
        /// The built executable `name`, or nil (and a recorded issue) when it is not built.
        func built(_ name: String) -> URL? {
            let executable = ProgramRun.buildFolder.appendingPathComponent(name)
            guard FileManager.default.isExecutableFile(atPath: executable.path) else {
                Issue.record("\(executable.path) is not built; run `swift build` first")
                return nil
            }
            return executable
        }
        switch row.action {
        case .lesson(let name, let arguments, let fixture, let environment, let stdout, let stderr, let fileSizeLimit):
            try fixture?(folder)
            guard var executable = built(name) else { return ProgramRun.Result(status: -1, stdout: "", stderr: "") }
            var arguments = arguments
            if let limit = fileSizeLimit {
                // sh caps the file size, ignores the signal a larger write would raise (so that the
                // write fails with "File too large"), and becomes the lesson.
                arguments = ["-c", "ulimit -f \(limit); trap '' XFSZ; exec \"$0\" \"$@\"", executable.path] + arguments
                executable = URL(fileURLWithPath: "/bin/sh")
            }
            let env = environment.mapValues { $0.replacingOccurrences(of: "{dir}", with: folder.path) }
            return try ProgramRun.run(executable, arguments, in: folder, environment: env, stdout: stdout, stderr: stderr)
        case .tool(let name, let arguments, let fixture, let stdin, let stdout, let stderr):
            try fixture?(folder)
            guard let executable = built(name) else { return ProgramRun.Result(status: -1, stdout: "", stderr: "") }
            return try ProgramRun.run(executable, arguments, in: folder, stdin: stdin, stdout: stdout, stderr: stderr)
        case .python(let arguments, let fixture, let stdout):
            try fixture(folder)
            return try ProgramRun.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", ProgramRun.pythonReader] + arguments,
                                      in: folder, stdout: stdout)
        case .library(let body):
            do {
                try body(folder)
                return ProgramRun.Result(status: 0, stdout: "", stderr: "")
            } catch {
                return ProgramRun.Result(status: 1, stdout: "", stderr: "error: \(error)\n")
            }
        case .libraryWarning(let body):
            do {
                return ProgramRun.Result(status: 0, stdout: "", stderr: try body(folder).map { "warning: \($0)\n" } ?? "")
            } catch {
                return ProgramRun.Result(status: 1, stdout: "", stderr: "error: \(error)\n")
            }
        }
    }

    /// With `NOLA_CATALOGUE_REPORT=<file>`, appends the row's result as a Markdown table row.
    static func report(_ row: BadInput, _ result: ProgramRun.Result) {
        guard let path = ProcessInfo.processInfo.environment["NOLA_CATALOGUE_REPORT"], !path.isEmpty else { return }
        let text = result.stderr.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ")
            .replacingOccurrences(of: "|", with: "\\|")
        let entry = "| \(row.area.rawValue) | `\(row.id)` | \(row.input.replacingOccurrences(of: "|", with: "\\|")) | \(result.status) | \(text) |\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = Array(entry.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}

/// Runs a program to its end (at most two minutes) and collects its exit status and output.
enum ProgramRun {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Standard error went to a file of the row's choosing (/dev/full): nothing was captured.
        var stderrLost = false
    }

    /// Where `swift build` put the lessons: the folder of this test bundle, or
    /// `$NOLA_LESSONS_BUILD` (to try the catalogue on a release build or an older commit's).
    static let buildFolder: URL = {
        if let folder = ProcessInfo.processInfo.environment["NOLA_LESSONS_BUILD"], !folder.isEmpty {
            return URL(fileURLWithPath: folder)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }()

    /// The package root, three levels above this file.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The Python reader, or `$NOLA_PYTHON_READER`.
    static let pythonReader = ProcessInfo.processInfo.environment["NOLA_PYTHON_READER"]
        ?? packageRoot.appendingPathComponent("Sources/Python/nola_adapter.py").path

    static func run(
        _ executable: URL, _ arguments: [String], in folder: URL, environment: [String: String] = [:],
        stdin: String? = nil, stdout: String? = nil, stderr: String? = nil
    ) throws -> Result {
        let logs = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("nola-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logs) }
        let outURL = stdout.map(URL.init(fileURLWithPath:)) ?? logs.appendingPathComponent("stdout")
        let errURL = stderr.map(URL.init(fileURLWithPath:)) ?? logs.appendingPathComponent("stderr")
        if stdout == nil { _ = FileManager.default.createFile(atPath: outURL.path, contents: nil) }
        if stderr == nil { _ = FileManager.default.createFile(atPath: errURL.path, contents: nil) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let stdin {
            // Standard input from a pipe: `cat <file> | program …`, run by sh (so that this
            // process never writes into a pipe whose reader may be gone).
            let file = logs.appendingPathComponent("stdin")
            try Data(stdin.utf8).write(to: file)
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "cat \"$0\" | \"$@\"", file.path, executable.path] + arguments
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + 120) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("\(executable.lastPathComponent) \(arguments) did not finish within 120 s")
            return Result(status: -1, stdout: "", stderr: "")
        }
        let text = { (url: URL) in String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
        return Result(status: process.terminationStatus, stdout: stdout == nil ? text(outURL) : "",
                      stderr: stderr == nil ? text(errURL) : "", stderrLost: stderr != nil)
    }
}
