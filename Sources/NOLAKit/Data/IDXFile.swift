import Foundation

/// A file in the IDX format of LeCun's MNIST distribution, holding an array of unsigned bytes.
///
/// Layout (all integers big-endian):
/// ```
/// offset 0   magic: 0x00 0x00, type 0x08 (unsigned byte), number of dimensions d
/// offset 4   d sizes, 32 bits each
/// offset 4+4d the elements, one byte each, last dimension fastest
/// ```
/// MNIST images are `0x00000803` with sizes `(n, 28, 28)`, labels `0x00000801` with `(n)`.
/// The file may be gzip-compressed; that is recognised by its content, not by its name.
struct IDXFile {
    /// The sizes from the header, e.g. `[10000, 28, 28]`.
    let sizes: [Int]
    /// The elements, `sizes.reduce(1, *)` bytes.
    let elements: ArraySlice<UInt8>

    /// Reads and checks the IDX file at `path`, which must have `dimensions` dimensions.
    /// `itemName` names one entry along the first dimension in messages ("images", "labels").
    init(path: String, dimensions: Int, itemName: String) throws {
        var bytes = try IDXFile.readBytes(path)
        if Gzip.isGzip(bytes) { bytes = try Gzip.decompress(bytes, path: path) }
        try self.init(bytes: bytes, path: path, dimensions: dimensions, itemName: itemName)
    }

    /// Parses and checks the uncompressed IDX `bytes` read from `path` (named in errors).
    init(bytes: [UInt8], path: String, dimensions: Int, itemName: String) throws {
        let expectedMagic = 0x0800 | UInt32(dimensions)
        let expectedMagicText = IDXFile.hex(expectedMagic)
        guard bytes.count >= 4 else {
            throw DataFileError(
                path: path,
                problem: bytes.isEmpty
                    ? "the file is empty"
                    : "truncated: only \(bytes.count) bytes, but an IDX file starts with a 4-byte magic number",
                fix: DataFileError.downloadAgain)
        }
        let magic = IDXFile.bigEndian(bytes, at: 0)
        guard magic == expectedMagic else {
            throw DataFileError(
                path: path,
                problem: "wrong magic number \(IDXFile.hex(magic))\(IDXFile.looksLikeText(bytes)), expected "
                    + "\(expectedMagicText) (IDX \(itemName): unsigned bytes, \(dimensions) dimension"
                    + "\(dimensions == 1 ? "" : "s"))",
                fix: "check that this is the right MNIST file, or " + DataFileError.downloadAgain)
        }
        let headerSize = 4 + 4 * dimensions
        guard bytes.count >= headerSize else {
            throw DataFileError(
                path: path,
                problem: "truncated: the header needs \(headerSize) bytes but the file has \(bytes.count)",
                fix: DataFileError.downloadAgain)
        }
        sizes = (0..<dimensions).map { Int(IDXFile.bigEndian(bytes, at: 4 + 4 * $0)) }
        let present = bytes.count - headerSize
        let shape = sizes.dropFirst().map(String.init).joined(separator: "×")
        let announced = "header says \(sizes[0]) \(itemName)" + (shape.isEmpty ? "" : " of \(shape)")
        // Each size is below 2³², but their product can pass Int's range (0xFFFFFFFF³, say).
        let (expected, overflow) = sizes.reduce((1, false)) { acc, size in
            let (product, o) = acc.0.multipliedReportingOverflow(by: size)
            return (product, acc.1 || o)
        }
        guard !overflow else {
            throw DataFileError(
                path: path,
                problem: "impossible header: \(announced), more bytes than any file holds (only \(present) follow)",
                fix: DataFileError.downloadAgain)
        }
        guard present == expected else {
            throw DataFileError(
                path: path,
                problem: present < expected
                    ? "truncated: \(announced) (\(expected) bytes) but only \(present) bytes follow"
                    : "too long: \(announced) (\(expected) bytes) but \(present) bytes follow",
                fix: DataFileError.downloadAgain)
        }
        elements = bytes[headerSize...]
    }

    /// The whole file, or a one-line error naming the reason it cannot be read.
    static func readBytes(_ path: String) throws -> [UInt8] {
        try InputFile.read(path, limit: 1 << 31, missing: "see data/README.md for how to get MNIST", role: "MNIST file")
    }

    /// The big-endian 32-bit integer at `offset`.
    static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// " (the file starts with text "<!DOCTYPE h…": a web page?)" when it starts with printable
    /// ASCII, the usual sign of a download that saved an error page; "" otherwise.
    static func looksLikeText(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(12)
        guard head.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            return ""
        }
        let text = String(decoding: head, as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        return " (the file starts with text \"\(text)…\": a saved web page?)"
    }
}
