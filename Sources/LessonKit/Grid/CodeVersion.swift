import Foundation

/// The version of the code a result was made with, for the record: `git 96050c2` (with
/// `(uncommitted changes)` when the working tree differs from that commit), or `unknown (not a
/// git checkout)` where git or the repository is not at hand. Asked of git once per process.
public enum CodeVersion {
    public static let current: String = {
        guard let commit = git(["rev-parse", "--short=12", "HEAD"]), !commit.isEmpty else {
            return "unknown (not a git checkout)"
        }
        let status = git(["status", "--porcelain", "--untracked-files=no"]) ?? ""
        return "git \(commit)" + (status.isEmpty ? "" : " (uncommitted changes)")
    }()

    /// `git args` in the current directory: its standard output without the trailing newline, or
    /// nil when git cannot be run or fails.
    static func git(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
