/// Which keys each query of a batch of sequences may attend to.
///
/// A batch holds `sequences` sequences of `length` positions each, row `b·T + t` for position `t`
/// of sequence `b` (sequences contiguous). Sequence `b` is real at positions `0..<lengths[b]` and
/// padding after (right padding). Query `t` of sequence `b` may attend to the keys
///
///     causal (GPT):        0 … t               when t < lengths[b]
///     bidirectional (ViT): 0 ..< lengths[b]    when t < lengths[b]
///     padded query:        none                when t ≥ lengths[b]  (its attention output is 0)
///
/// so a padded key is never attended to and a padded query contributes nothing: changing the
/// tokens at padded positions changes no output and no gradient at a real position.
public struct AttentionMask: Sendable, Equatable {
    /// Sequences in the batch, `B`.
    public let sequences: Int
    /// Positions per sequence, `T`.
    public let length: Int
    /// The real length of each sequence, in `0…T`.
    public let lengths: [Int]
    /// Whether queries see only the keys up to their own position.
    public let causal: Bool

    /// `sequences` sequences of `length` positions; `lengths` gives each one's real length
    /// (default: all real).
    public init(sequences: Int, length: Int, lengths: [Int]? = nil, causal: Bool) {
        checkPrecondition(sequences >= 0 && length > 0, "AttentionMask: \(sequences) sequences of length \(length)")
        let lengths = lengths ?? [Int](repeating: length, count: sequences)
        checkPrecondition(
            lengths.count == sequences && lengths.allSatisfy { $0 >= 0 && $0 <= length },
            "AttentionMask: lengths \(lengths) for \(sequences) sequences of length \(length)")
        self.sequences = sequences
        self.length = length
        self.lengths = lengths
        self.causal = causal
    }

    /// Rows of the batch, `B·T`.
    public var rows: Int { sequences * length }

    /// The keys query `t` of sequence `b` attends to: always a prefix `0..<end` (empty for a padded query).
    @inlinable
    public func keyCount(sequence b: Int, query t: Int) -> Int {
        let n = lengths[b]
        guard t < n else { return 0 }
        return causal ? t + 1 : n
    }

    /// Whether row `b·T + t` is a real position.
    public func isReal(row: Int) -> Bool {
        row % length < lengths[row / length]
    }
}
