/// Saving a tokenizer with a model: its merges as a short text.
///
/// ## Format (version 1)
///
/// ```
/// nola-bpe 1 merges 3 fnv1a64 5d1c0b3f8e2a9c71
/// 116 104
/// 32 116
/// 261 101
/// ```
/// Line 1: the magic word `nola-bpe`, the format version, the number of merges, and the 64-bit
/// FNV-1a checksum (16 lowercase hex digits) of everything after the first newline. Then one
/// line per merge in rank order: the decimal ids of its left and right parts. Lines end with
/// `\n`; nothing follows the last merge's newline. The byte tokens, the special tokens' ids and
/// the chunking rule are fixed by version 1 and not stored.
///
/// The GPT checkpoint keeps this text as a safetensors metadata value (or its UTF-8 bytes as a
/// `U8` tensor). Reading it back checks the header, the count, the checksum and every merge
/// (`BPETokenizer(merges:)`), so a damaged copy is one `TokenizerError.damaged` line, never a
/// tokenizer that silently splits text differently.
extension BPETokenizer {
    /// The magic word that starts the serialized form.
    public static let serializationMagic = "nola-bpe"
    /// The serialized form's version.
    public static let serializationVersion = 1

    /// This tokenizer as text (format above).
    public func serialized() -> String {
        var body = ""
        body.reserveCapacity(merges.count * 9)
        for merge in merges { body += "\(merge.left) \(merge.right)\n" }
        let checksum = String(BasisSeeds.fnv1a64(body), radix: 16)
        let padded = String(repeating: "0", count: 16 - checksum.count) + checksum
        return "\(Self.serializationMagic) \(Self.serializationVersion) merges \(merges.count) fnv1a64 \(padded)\n" + body
    }

    /// `serialized()` as UTF-8 bytes (for a `U8` tensor).
    public func serializedBytes() -> [UInt8] { Array(serialized().utf8) }

    /// The tokenizer `serialized()` wrote. Throws `TokenizerError.damaged` naming the first
    /// problem found (or `.vocabularySizeOutOfRange` / `.badMerge` when the merges themselves
    /// cannot be built).
    public init(serialized text: String) throws {
        guard let newline = text.firstIndex(of: "\n") else {
            throw TokenizerError.damaged("no header line (expected '\(Self.serializationMagic) 1 merges N fnv1a64 X')")
        }
        let header = text[..<newline].split(separator: " ", omittingEmptySubsequences: false)
        let body = String(text[text.index(after: newline)...])
        guard header.count == 6, header[0] == Self.serializationMagic, header[2] == "merges", header[4] == "fnv1a64" else {
            throw TokenizerError.damaged("header is '\(text[..<newline].prefix(60))', expected '\(Self.serializationMagic) 1 merges N fnv1a64 X'")
        }
        guard header[1] == "\(Self.serializationVersion)" else {
            throw TokenizerError.damaged("format version '\(header[1])' is not \(Self.serializationVersion), the one this code reads")
        }
        guard let count = Int(header[3]), count >= 0 else {
            throw TokenizerError.damaged("merge count '\(header[3])' is not a number")
        }
        guard header[5].count == 16, let checksum = UInt64(header[5], radix: 16) else {
            throw TokenizerError.damaged("checksum '\(header[5])' is not 16 hex digits")
        }
        guard BasisSeeds.fnv1a64(body) == checksum else {
            throw TokenizerError.damaged("checksum mismatch: the merges were changed or cut short")
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "", lines.count - 1 == count else {
            throw TokenizerError.damaged("header says \(count) merges but \(max(lines.count - 1, 0)) lines follow")
        }
        var merges: [(left: Int, right: Int)] = []
        merges.reserveCapacity(count)
        for (i, line) in lines.dropLast().enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let left = Int(parts[0]), let right = Int(parts[1]) else {
                throw TokenizerError.damaged("line \(i + 2), '\(line.prefix(40))', is not two token ids")
            }
            merges.append((left, right))
        }
        try self.init(merges: merges)
    }

    /// The tokenizer `serializedBytes()` wrote; bytes that are not UTF-8 are `.damaged`.
    public init(serializedBytes bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else { throw TokenizerError.damaged("the bytes are not UTF-8 text") }
        try self.init(serialized: text)
    }
}
