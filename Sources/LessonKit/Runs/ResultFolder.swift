import Foundation
import NOLAKit

/// A folder of finished runs, one small JSON file per run, so that a long sweep can be stopped and
/// resumed, or split between processes: a run found in the folder is read instead of trained again.
///
/// ```swift
/// let folder = try ResultFolder(root: "data/runs/lesson15", configuration: ["epochs": "2", "data": "mnist"])
/// for job in jobs where share.contains(job) {
///     if folder.load(job.name, as: Run.self) == nil { try folder.save(train(job), as: job.name) }
/// }
/// ```
///
/// Results of different configurations never mix: the folder is `root/<hash of the
/// configuration>`, with `configuration.json` holding the configuration and each result file
/// holding the code version it was made with (`git describe`, when the package is a git
/// checkout). A file that cannot be read, or was made by another configuration, is ignored (the
/// run is simply trained again).
public struct ResultFolder: Sendable {
    /// `root/<hash>`.
    public let url: URL
    /// The configuration the results belong to.
    public let configuration: [String: String]
    /// The code version stamped on new results.
    public let codeVersion: String

    /// Opens (creating it if needed) the folder for `configuration` under `root`. Throws a
    /// `LessonIOError`-style error with one line when the folder cannot be made or written.
    public init(root: String, configuration: [String: String]) throws {
        let key = configuration.keys.sorted().map { "\($0)=\(configuration[$0]!)" }.joined(separator: ";")
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        url = URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(String(hash, radix: 16), isDirectory: true)
        self.configuration = configuration
        codeVersion = ResultFolder.gitDescription()
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let data = try JSONSerialization.data(withJSONObject: configuration, options: [.sortedKeys, .prettyPrinted])
            try data.write(to: url.appendingPathComponent("configuration.json"))
        } catch {
            throw LessonIOError("cannot write the results folder '\(url.relativeDisplayPath)' (\(FileErrorReason.reason(error))); "
                + "pass --results with a folder you can write to.")
        }
    }

    /// What a result file holds: the result, and where it came from.
    struct Envelope<T: Codable>: Codable {
        var codeVersion: String
        var configuration: [String: String]
        var result: T
    }

    /// The result of run `name`, or nil when there is none (or it cannot be read).
    public func load<T: Codable>(_ name: String, as type: T.Type) -> T? {
        guard let data = try? Data(contentsOf: file(name)),
              let envelope = try? JSONDecoder().decode(Envelope<T>.self, from: data),
              envelope.configuration == configuration else { return nil }
        return envelope.result
    }

    /// Stores the result of run `name` (written to a temporary file, then renamed: a killed run
    /// leaves no half file).
    public func save<T: Codable>(_ result: T, as name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(Envelope(codeVersion: codeVersion, configuration: configuration, result: result))
        let target = file(name), temporary = url.appendingPathComponent(".\(name).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            _ = try? FileManager.default.removeItem(at: target)
            try FileManager.default.moveItem(at: temporary, to: target)
        } catch {
            throw LessonIOError("cannot write the result '\(target.relativeDisplayPath)' (\(FileErrorReason.reason(error))).")
        }
    }

    /// `url/<name>.json`.
    public func file(_ name: String) -> URL { url.appendingPathComponent("\(name).json") }

    /// `git describe --always --dirty` of the package, or "unknown".
    static func gitDescription() -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", root.path, "describe", "--always", "--dirty"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unknown" }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !line.isEmpty ? line : "unknown"
    }
}
