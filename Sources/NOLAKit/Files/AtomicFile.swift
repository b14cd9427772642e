import Foundation

/// Writes a file whole or not at all: the bytes go to a temporary file beside it,
/// `.<name>.partial-<pid>-<random>`, which is renamed over `<name>` only when every byte was
/// written and the file closed without error.
///
/// ```swift
/// try AtomicFile.write(bytes, to: URL(fileURLWithPath: "data/cache/base.safetensors"))
/// AtomicFile.removeAbandoned(in: URL(fileURLWithPath: "data/cache"))   // after a kill -9
/// ```
///
/// A reader therefore sees the old file or the new one, never half of one. A process killed
/// between writing and renaming leaves its temporary file behind; its name carries the process
/// id, so `removeAbandoned(in:)` can tell it from one another process is writing right now
/// (that process still runs) and delete it. The same goes for the `.dat.nosync…` files that
/// Foundation's atomic writes leave in such a case, the way this project wrote before.
///
/// Every failure throws an `NSError` in the POSIX domain (`FileErrorReason.reason` gives "No
/// space left on device", "Is a directory"), and the temporary file is removed.
public enum AtomicFile {
    /// What marks a temporary file of this writer.
    static let marker = ".partial-"

    /// Writes `bytes` to `url` atomically.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent)\(marker)\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure(errno) }
        var renamed = false
        defer { if !renamed { unlink(temporary.path) } }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                close(descriptor)
                throw failure(code)
            }
            written += count
        }
        // close reports what the file system could not store after all (NFS, quotas).
        guard close(descriptor) == 0 else { throw failure(errno) }
        guard rename(temporary.path, url.path) == 0 else { throw failure(errno) }
        renamed = true
    }

    /// Deletes the temporary files that writers killed before renaming left in `folder`: this
    /// writer's whose process no longer runs (or that are a day old), and Foundation's
    /// `.dat.nosync…` files older than an hour. Returns their names.
    @discardableResult
    public static func removeAbandoned(in folder: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let now = Date()
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            let path = folder.appendingPathComponent(name).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let age = now.timeIntervalSince((attributes[.modificationDate] as? Date) ?? now)
            var abandoned = false
            if let range = name.range(of: marker, options: .backwards) {
                let pid = name[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
                if let pid = Int32(pid), pid > 0 {
                    abandoned = !processRuns(pid) || age > 86_400
                }
            } else if name.hasPrefix(".dat.nosync") {
                abandoned = age > 3_600
            }
            if abandoned && unlink(path) == 0 { removed.append(name) }
        }
        return removed
    }

    /// Whether process `pid` exists (it may belong to another user).
    static func processRuns(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }

    static func failure(_ code: Int32) -> NSError { NSError(domain: NSPOSIXErrorDomain, code: Int(code)) }
}

/// The system's `write(2)`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
