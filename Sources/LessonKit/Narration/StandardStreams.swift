import Foundation

/// Writes to standard error and checks standard output without ever trapping.
///
/// Foundation's `FileHandle.standardError.write(_:)` stops the program with a trap when the
/// write fails (`lesson01 2> /dev/full`, a closed terminal). These functions write through the
/// file descriptor and report failure instead, so a program whose messages are lost still exits
/// with its own status.
///
/// ```swift
/// if !StandardStreams.writeError("warning: …\n") { /* the message is lost: remember it */ }
/// if let reason = StandardStreams.flushOutput() { /* stdout lost: "No space left on device" */ }
/// ```
public enum StandardStreams {
    /// Writes all of `text` to standard error; false when the system refused some of it.
    @discardableResult
    public static func writeError(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }

    /// Flushes what `print` has buffered for standard output; nil when everything was written,
    /// else the system's reason ("No space left on device").
    ///
    /// (`print` writes through C's buffered `stdout`; a failed write leaves its bytes in the
    /// buffer, so the final flush fails too. Swift 6 forbids naming `stdout` itself:
    /// `fflush(nil)` flushes every output stream, and these programs have only that one.)
    public static func flushOutput() -> String? {
        errno = 0
        guard fflush(nil) != 0 else { return nil }
        return errno != 0 ? String(cString: strerror(errno)) : "a write failed"
    }
}
