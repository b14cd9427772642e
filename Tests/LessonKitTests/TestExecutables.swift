import Foundation

/// Small shell scripts that stand in for programs (a gnuplot that hangs, one that fails).
///
/// Written through a descriptor opened close-on-exec: the tests run in parallel threads, and a
/// process started by another thread while the script is open for writing would otherwise keep
/// that descriptor, and the script would be "Text file busy" when it is run.
enum TestExecutables {
    /// A fresh folder holding an executable `name` that runs `body` under /bin/sh.
    static func script(_ name: String, _ body: String) throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("nola-fake-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        let text = Array(("#!/bin/sh\n" + body + "\n").utf8)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        guard text.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == text.count else {
            throw CocoaError(.fileWriteUnknown)
        }
        return url
    }
}
