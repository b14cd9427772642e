import CZlib

/// Decompression of gzip files (RFC 1952) through zlib, for MNIST's `.gz` downloads.
enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed contents of the gzip data `compressed`, read from `path` (named in errors).
    ///
    /// Several gzip members one after the other are decompressed and joined, as `gzip -d` does;
    /// bytes after the last member that are not another member are ignored. A damaged stream
    /// throws a `DataFileError`: "corrupt gzip data" or "truncated gzip data".
    static func decompress(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        // zlib counts input bytes in 32 bits; MNIST's largest file is 10 MB compressed.
        guard compressed.count <= Int(UInt32.max) else {
            throw DataFileError(
                path: path, problem: "is \(compressed.count) bytes, too large for a compressed MNIST file",
                fix: "check that this is the right file, or " + DataFileError.downloadAgain)
        }
        var stream = z_stream()
        // windowBits 15 + 16: a 32 KiB window and a gzip (not zlib) header.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataFileError(path: path, problem: "zlib could not start decompressing", fix: "try again")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        output.reserveCapacity(expectedSize(compressed))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK

        try compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another member follows? Then start over on it; otherwise we are done.
                    let rest = Int(stream.avail_in)
                    let next = input.count - rest
                    guard rest >= 2, input[next] == 0x1F, input[next + 1] == 0x8B else { return }
                    inflateReset(&stream)
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataFileError(
                        path: path,
                        problem: "truncated gzip data: the compressed stream ends after \(input.count) bytes, "
                            + "before its end marker (\(output.count) bytes decompressed)",
                        fix: DataFileError.downloadAgain)
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw DataFileError(
                        path: path,
                        problem: "corrupt gzip data (\(reason)) after \(output.count) decompressed bytes",
                        fix: DataFileError.downloadAgain)
                }
            }
        }
        return output
    }

    /// The uncompressed size recorded in the last member's trailer (modulo 2³²), capped at
    /// 256 MiB, used only to reserve memory up front.
    private static func expectedSize(_ compressed: [UInt8]) -> Int {
        guard compressed.count >= 18 else { return 0 }
        let n = compressed.count
        let size = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8
            | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
        return min(size, 256 << 20)
    }
}
