/// A batch of token sequences of mixed lengths for a language model: inputs, next-token
/// targets and which of them count in the loss.
///
/// `B` sequences are right-padded to a common length `T`; row `b·T + t` is position `t` of
/// sequence `b`. Position `t` predicts the token at `t + 1`:
///
///     tokens[b·T + t]   the input at position t (the padding token beyond the real length)
///     targets[b·T + t]  the next token, or `TokenBatch.ignored` (−1) where no loss is taken:
///                       after the end of the sequence, and wherever the caller's mask says so
///     lengths[b]        real positions of sequence b
///
/// The E2E lessons train on `MR <sep> sentence <end>` with the loss on the sentence only: give
/// `targetMask` true for the sentence's tokens and its end token.
public struct TokenBatch: Sendable, Equatable {
    /// The target of a position whose prediction is not scored.
    public static let ignored = -1

    /// Sequences `B`.
    public let sequences: Int
    /// Positions per sequence `T` (the longest input).
    public let length: Int
    /// Input tokens, `B·T`.
    public let tokens: [Int]
    /// Next-token targets, `B·T`, `ignored` where unscored.
    public let targets: [Int]
    /// Real input positions per sequence.
    public let lengths: [Int]

    /// A batch from its parts (shapes checked).
    public init(sequences: Int, length: Int, tokens: [Int], targets: [Int], lengths: [Int]) {
        checkPrecondition(
            sequences > 0 && length > 0 && tokens.count == sequences * length && targets.count == tokens.count
                && lengths.count == sequences && lengths.allSatisfy { $0 >= 0 && $0 <= length },
            "TokenBatch: \(tokens.count) tokens, \(targets.count) targets and lengths \(lengths) "
                + "for \(sequences) sequences of length \(length)")
        self.sequences = sequences
        self.length = length
        self.tokens = tokens
        self.targets = targets
        self.lengths = lengths
    }

    /// Next-token prediction on whole sequences: sequence `s` (at least one token) gives the
    /// inputs `s[0..<n−1]` and targets `s[1..<n]`. A target `s[j]` is scored only where
    /// `targetMask[i][j]` is true (default: every target). Inputs are padded with `padding` to
    /// the longest, or to `length` when given (at least the longest input).
    public init(sequences list: [[Int]], targetMask: [[Bool]]? = nil, padding: Int = 0, length: Int? = nil) {
        checkPrecondition(
            !list.isEmpty && list.allSatisfy { !$0.isEmpty },
            "TokenBatch: needs at least one sequence, each of at least one token")
        if let targetMask {
            checkPrecondition(
                targetMask.count == list.count && zip(targetMask, list).allSatisfy { $0.count == $1.count },
                "TokenBatch: the target mask must have one flag per token of every sequence")
        }
        let longest = list.map { $0.count - 1 }.max()!
        let t = max(1, length ?? longest)
        checkPrecondition(t >= longest, "TokenBatch: length \(t) is shorter than the longest input (\(longest))")
        var tokens = [Int](repeating: padding, count: list.count * t)
        var targets = [Int](repeating: TokenBatch.ignored, count: list.count * t)
        for (b, s) in list.enumerated() {
            for j in 0..<(s.count - 1) {
                tokens[b * t + j] = s[j]
                if targetMask?[b][j + 1] ?? true { targets[b * t + j] = s[j + 1] }
            }
        }
        self.init(sequences: list.count, length: t, tokens: tokens, targets: targets, lengths: list.map { $0.count - 1 })
    }

    /// The number of scored targets.
    public var targetCount: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }

    /// The causal mask of this batch.
    public var mask: AttentionMask {
        AttentionMask(sequences: sequences, length: length, lengths: lengths, causal: true)
    }

    /// One epoch's batches of a corpus: the sequences (with their target masks, if any) in the
    /// order `StreamCursor(seed: seed, stream: DigitDataset.batchStream(epoch: epoch)).permutation`,
    /// cut into batches of `size` (the last one smaller), each padded to its own longest input.
    /// `seed: nil` keeps the corpus order (for evaluation).
    public static func batches(
        of sequences: [[Int]], targetMasks: [[Bool]]? = nil, size: Int, seed: UInt64? = nil, epoch: Int = 0, padding: Int = 0
    ) -> [TokenBatch] {
        checkPrecondition(size > 0, "TokenBatch.batches: size must be positive, got \(size)")
        checkPrecondition(targetMasks == nil || targetMasks!.count == sequences.count,
                          "TokenBatch.batches: \(targetMasks?.count ?? 0) target masks for \(sequences.count) sequences")
        var order = Array(sequences.indices)
        if let seed {
            var cursor = StreamCursor(seed: seed, stream: DigitDataset.batchStream(epoch: epoch))
            order = cursor.permutation(sequences.count)
        }
        return stride(from: 0, to: order.count, by: size).map { start in
            let picked = order[start..<min(start + size, order.count)]
            return TokenBatch(
                sequences: picked.map { sequences[$0] }, targetMask: targetMasks.map { masks in picked.map { masks[$0] } },
                padding: padding)
        }
    }
}
