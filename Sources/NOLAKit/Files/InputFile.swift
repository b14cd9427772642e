import Foundation

/// Reads a whole input file, and says in one line what stands at the path when it cannot.
///
/// ```swift
/// let bytes = try InputFile.read("data/e2e/devset.csv", missing: "put the E2E files there (see data/README.md)")
/// let piped = try InputFile.read("-", streams: true, missing: "check the path")   // standard input
/// ```
///
/// A data file of the lessons must be a regular file (`streams: false`): a folder, a named pipe,
/// a socket or a device at its path is named as such ("is a named pipe (FIFO), not a regular
/// file"), never "cannot be read". A tool that reads text can also take a stream
/// (`streams: true`): `-` is standard input, and `/dev/stdin`, `<(…)` (a `/dev/fd/N`) and named
/// pipes are read to their end, as `cat` reads them. Every failure is a ``DataFileError`` naming
/// the path and the system's reason (`Permission denied`, `Too many levels of symbolic links`).
/// `limit` bounds what is read, so that `/dev/zero` or a wrong multi-gigabyte file is one line,
/// not an exhausted memory.
public enum InputFile {
    /// The name standard input has in messages.
    public static let standardInputName = "standard input"

    /// The bytes at `path` (or of standard input for `-` when `streams` is on).
    ///
    /// - `missing`: the fix when nothing is at `path` ("see data/README.md for how to get MNIST").
    /// - `role`: what the file is, for the folder message ("give the hypotheses file itself").
    public static func read(
        _ path: String, streams: Bool = false, limit: Int = 1 << 30, missing: String, role: String = "file"
    ) throws -> [UInt8] {
        if streams && path == "-" {
            return try readAll(descriptor: 0, name: standardInputName, limit: limit)
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            var link = stat()
            if code == ENOENT && lstat(path, &link) == 0 {
                throw DataFileError(path: path, problem: "is a symbolic link to a file that does not exist",
                                    fix: "point it at the \(role), or give the \(role) itself")
            }
            if code == ENOENT || code == ENOTDIR {
                throw DataFileError(path: path, problem: "not found", fix: missing)
            }
            throw DataFileError(path: path, problem: "cannot be read (\(reason(code)))", fix: "check the path and its permissions")
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR {
            throw DataFileError(path: path, problem: "is a folder, not a file", fix: "give the \(role) itself")
        }
        if kind != S_IFREG && !streams {
            throw DataFileError(path: path, problem: "is \(describe(kind)), not a regular file",
                                fix: "put the \(role) itself there")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw DataFileError(path: path, problem: "cannot be read (\(reason(code)))",
                                fix: code == EACCES ? "check its permissions" : "check the path")
        }
        defer { close(descriptor) }
        return try readAll(descriptor: descriptor, name: path, limit: limit)
    }

    /// Everything `descriptor` holds, up to `limit` bytes.
    static func readAll(descriptor: Int32, name: String, limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw DataFileError(path: name, problem: "cannot be read (\(reason(code)))",
                                    fix: code == EISDIR ? "give a file, not a folder" : "check the file and the disk")
            }
            guard bytes.count + count <= limit else {
                throw DataFileError(path: name, problem: "holds more than \(limit) bytes", fix: "check that this is the right file")
            }
            bytes += chunk[0..<count]
        }
    }

    /// "a named pipe (FIFO)", "a socket", "a device".
    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFIFO: "a named pipe (FIFO)"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFLNK: "a symbolic link"
        default: "not a file"
        }
    }

    /// `strerror` of `code`.
    static func reason(_ code: Int32) -> String { FileErrorReason.posixText(Int(code)) }
}

/// The system's `read(2)` (the name `read` is taken by `InputFile.read` inside the type).
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
