import Foundation

/// A byte-level byte-pair-encoding (BPE) tokenizer, as GPT-2 uses: text becomes UTF-8 bytes,
/// bytes become tokens, and learned merges join frequent neighbouring tokens into longer ones.
///
/// ## Token ids (fixed; a checkpoint depends on them)
///
/// ```
/// 0 … 255                 one byte each (0x00 … 0xFF)
/// 256  begin     <|begin|>  starts a sequence
/// 257  separator <|sep|>    between an MR and its sentence
/// 258  end       <|end|>    ends a sequence (generation stops here)
/// 259  padding   <|pad|>    fills a batch's short sequences (masked out of the loss)
/// 260 + r                 merge r: the concatenation of its two parts' bytes
/// ```
/// `vocabularySize = 260 + merges.count`, at most `maximumVocabularySize` (4,096).
///
/// ## Encoding
///
/// The text is cut into chunks (`TextChunks`: a word carries its leading space, merges never
/// cross a chunk), each chunk's bytes are tokens `0 … 255`, then merges apply by rank: the
/// adjacent pair with the lowest merge rank is replaced by its merged token everywhere in the
/// chunk (left to right, non-overlapping), until no adjacent pair has a merge. Chunks already
/// seen are looked up in a cache. Encoding never produces a special token, whatever the text
/// says: `"<|end|>"` in a sentence is seven ordinary bytes.
///
/// ## Decoding
///
/// `decodeBytes` concatenates the bytes of each token; special tokens contribute no bytes; an id
/// outside `0 ..< vocabularySize` is an error (never a trap). `decode` turns those bytes into a
/// `String`; a token sequence that splits a multi-byte character (a model's output can) decodes
/// each invalid byte sequence as U+FFFD, the replacement character. For any token sequence that
/// `encode` produced, the bytes are the text's own, so `decode(encode(s)) == s` byte for byte.
public struct BPETokenizer: Sendable, Equatable, CustomStringConvertible {
    /// Token `begin`: starts every sequence.
    public static let begin = 256
    /// Token `separator`: between the model's input (an MR) and the text it must produce.
    public static let separator = 257
    /// Token `end`: ends a sequence; decoding stops here.
    public static let end = 258
    /// Token `padding`: fills the tail of short sequences in a batch.
    public static let padding = 259
    /// The first merged token's id: 256 bytes and 4 special tokens come before it.
    public static let firstMergeID = 260
    /// The largest vocabulary this tokenizer allows.
    public static let maximumVocabularySize = 4096
    /// The smallest vocabulary: bytes and special tokens, no merges.
    public static let minimumVocabularySize = firstMergeID
    /// The special tokens' names, by id: `"<|begin|>"`, `"<|sep|>"`, `"<|end|>"`, `"<|pad|>"`.
    public static let specialTokenNames = [begin: "<|begin|>", separator: "<|sep|>", end: "<|end|>", padding: "<|pad|>"]

    /// The merges in rank order: merge `r` makes token `260 + r` from `(left, right)`.
    public let merges: [(left: Int, right: Int)]
    /// The bytes each token stands for, by id (empty for the special tokens).
    let tokenBytes: [[UInt8]]
    /// Merge rank by pair, the pair packed as `left << 32 | right`.
    let ranks: [UInt64: Int]
    private let cache = ChunkCache()

    /// The number of token ids: `260 + merges.count`.
    public var vocabularySize: Int { tokenBytes.count }

    /// A tokenizer with these merges, checked: merge `r`'s parts are byte or merge tokens made
    /// before it (ids below `260 + r`, no special token), and no pair is merged twice.
    public init(merges: [(left: Int, right: Int)]) throws {
        guard merges.count + Self.firstMergeID <= Self.maximumVocabularySize else {
            throw TokenizerError.vocabularySizeOutOfRange(merges.count + Self.firstMergeID)
        }
        var tokenBytes = (0..<256).map { [UInt8($0)] } + [[UInt8]](repeating: [], count: 4)
        var ranks: [UInt64: Int] = [:]
        ranks.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let id = Self.firstMergeID + rank
            for part in [merge.left, merge.right] where !Self.isMergeable(part, below: id) {
                throw TokenizerError.badMerge(rank: rank, "part \(part) is not a byte or an earlier merged token")
            }
            guard ranks.updateValue(rank, forKey: Self.pairKey(merge.left, merge.right)) == nil else {
                throw TokenizerError.badMerge(rank: rank, "the pair (\(merge.left), \(merge.right)) is merged twice")
            }
            tokenBytes.append(tokenBytes[merge.left] + tokenBytes[merge.right])
        }
        self.merges = merges
        self.tokenBytes = tokenBytes
        self.ranks = ranks
    }

    /// Whether `id` may be part of the merge that makes token `newID`.
    static func isMergeable(_ id: Int, below newID: Int) -> Bool {
        (0..<256).contains(id) || (firstMergeID..<newID).contains(id)
    }

    /// The dictionary key of the pair `(left, right)`.
    @inline(__always) static func pairKey(_ left: Int, _ right: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
    }

    public static func == (a: BPETokenizer, b: BPETokenizer) -> Bool {
        a.merges.elementsEqual(b.merges) { $0.left == $1.left && $0.right == $1.right }
    }

    /// "byte-level BPE, 2,048 tokens (256 bytes, 4 special, 1,788 merges)".
    public var description: String {
        "byte-level BPE, \(vocabularySize) tokens (256 bytes, 4 special, \(merges.count) merges)"
    }

    // MARK: Encoding

    /// The tokens of `text`: byte and merged tokens only, never a special token.
    public func encode(_ text: String) -> [Int] {
        let bytes = Array(text.utf8)
        var tokens: [Int] = []
        tokens.reserveCapacity(bytes.count / 2 + 1)
        for range in TextChunks.ranges(of: text) {
            let chunk = Array(bytes[range])
            if let known = cache.tokens(for: chunk) {
                tokens += known
            } else {
                let fresh = encodeChunk(chunk)
                cache.store(fresh, for: chunk)
                tokens += fresh
            }
        }
        return tokens
    }

    /// `[begin] + encode(source) + [separator] + encode(target) + [end]`, and the index of the
    /// first token of `target` in it (the loss counts the tokens from there on, `end` included).
    public func encodePair(source: String, target: String) -> (tokens: [Int], targetStart: Int) {
        let prompt = encodePrompt(source)
        return (prompt + encode(target) + [Self.end], prompt.count)
    }

    /// `[begin] + encode(source) + [separator]`: what a model continues to write `source`'s text.
    public func encodePrompt(_ source: String) -> [Int] {
        [Self.begin] + encode(source) + [Self.separator]
    }

    /// The merges of one chunk, by rank (see the type's documentation).
    func encodeChunk(_ bytes: [UInt8]) -> [Int] {
        var symbols = bytes.map { Int($0) }
        while symbols.count > 1 {
            var bestRank = Int.max
            for i in 0..<(symbols.count - 1) {
                if let rank = ranks[Self.pairKey(symbols[i], symbols[i + 1])], rank < bestRank { bestRank = rank }
            }
            guard bestRank != Int.max else { break }
            let (left, right) = merges[bestRank]
            symbols = Self.merging(symbols, left, right, into: Self.firstMergeID + bestRank)
        }
        return symbols
    }

    /// `symbols` with every non-overlapping `(left, right)`, left to right, replaced by `merged`.
    static func merging(_ symbols: [Int], _ left: Int, _ right: Int, into merged: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(symbols.count)
        var i = 0
        while i < symbols.count {
            if i + 1 < symbols.count && symbols[i] == left && symbols[i + 1] == right {
                out.append(merged)
                i += 2
            } else {
                out.append(symbols[i])
                i += 1
            }
        }
        return out
    }

    // MARK: Decoding

    /// The bytes of `tokens`, concatenated; special tokens give none. Throws
    /// `TokenizerError.unknownToken` for an id outside `0 ..< vocabularySize`.
    public func decodeBytes<S: Sequence<Int>>(_ tokens: S) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for id in tokens {
            guard id >= 0 && id < vocabularySize else {
                throw TokenizerError.unknownToken(id: id, vocabularySize: vocabularySize)
            }
            bytes += tokenBytes[id]
        }
        return bytes
    }

    /// The text of `tokens`: `decodeBytes` read as UTF-8, each invalid byte sequence (a
    /// character split between tokens a model wrote) as U+FFFD. Lossless for `encode`'s output.
    public func decode<S: Sequence<Int>>(_ tokens: S) throws -> String {
        String(decoding: try decodeBytes(tokens), as: UTF8.self)
    }

    /// The bytes token `id` stands for (empty for a special token), or `nil` when `id` is not
    /// in the vocabulary.
    public func bytes(of id: Int) -> [UInt8]? {
        id >= 0 && id < vocabularySize ? tokenBytes[id] : nil
    }

    /// A readable form of token `id` for tables and figures: a special token's name
    /// (`<|sep|>`), or its bytes as text with `·` for a space, `\n` `\t` `\r` written out, and
    /// other control bytes and bytes that are not whole UTF-8 characters as `<0xNN>`; `<?NNNN>`
    /// for an id outside the vocabulary.
    public func display(_ id: Int) -> String {
        if let name = Self.specialTokenNames[id] { return name }
        guard let bytes = bytes(of: id) else { return "<?\(id)>" }
        let text = String(decoding: bytes, as: UTF8.self)
        guard Array(text.utf8) == bytes else {  // not whole UTF-8 characters
            return bytes.map { String(format: "<0x%02X>", $0) }.joined()
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case " ": out += "·"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "<0x%02X>", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// A thread-safe memo of chunk → tokens, shared by the copies of one tokenizer. It only speeds
/// up `encode`: the tokens of a chunk do not depend on whether it was cached. Bounded: it is
/// emptied when it holds `capacity` chunks.
final class ChunkCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int]] = [:]
    private let capacity = 1 << 16

    func tokens(for chunk: [UInt8]) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[chunk]
    }

    func store(_ tokens: [Int], for chunk: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[chunk] = tokens
    }
}
