import Foundation

/// Why a file operation failed, in the operating system's words, for one-line messages.
///
/// Foundation wraps the system's error in its own: writing over a folder throws
/// "The operation could not be completed. (NSCocoaErrorDomain error 512.)", which names neither
/// the cause nor the cure. `reason(_:)` digs out the POSIX error underneath ("Is a directory",
/// "No space left on device", "Permission denied"); errors of this project, which already read
/// as one line, come back as they are.
///
/// ```swift
/// do { try data.write(to: url) } catch {
///     throw SafeTensorsError(url.path, "cannot be written (\(FileErrorReason.reason(error)))")
/// }
/// ```
public enum FileErrorReason {
    /// The system's reason for `error`, without Foundation's wrapping; one line.
    public static func reason(_ error: any Error) -> String {
        if error is SafeTensorsError || error is DataFileError { return "\(error)" }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return posixText(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error {
            let inner = underlying as NSError
            if inner.domain == NSPOSIXErrorDomain { return posixText(inner.code) }
        }
        // No system error inside: Foundation's sentence, without its empty preamble.
        var text = ns.localizedDescription
        let preamble = "The operation could not be completed."
        if text.hasPrefix(preamble) { text = String(text.dropFirst(preamble.count)).trimmingCharacters(in: .whitespaces) }
        if text.isEmpty { text = "\(ns.domain) error \(ns.code)" }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// `strerror` of a POSIX error code: "No such file or directory".
    static func posixText(_ code: Int) -> String {
        guard let text = strerror(Int32(truncatingIfNeeded: code)) else { return "system error \(code)" }
        return String(cString: text)
    }
}
