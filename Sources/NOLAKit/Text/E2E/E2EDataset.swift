/// One MR with every reference sentence written for it.
public struct E2EExample: Sendable, Hashable {
    /// What the sentence must say.
    public let mr: MeaningRepresentation
    /// The human-written (or generated) sentences for `mr`, in file order; at least one.
    public let references: [String]

    public init(mr: MeaningRepresentation, references: [String]) {
        checkPrecondition(!references.isEmpty, "E2EExample: an MR needs at least one reference")
        self.mr = mr
        self.references = references
    }
}

/// A set of E2E examples: one split (or part of one) of the real data or of the synthetic
/// restaurants, each MR once with all its references.
///
/// A model trains on `pairs` (one per reference, as the challenge's training rows) and is
/// scored per MR: its one output against all of that MR's `references`.
public struct E2EDataset: Sendable, Equatable {
    /// What the set is, for narration: "E2E dev set (devset.csv), training part".
    public let name: String
    /// The MRs with their references; no MR twice.
    public let examples: [E2EExample]

    public init(name: String, examples: [E2EExample]) {
        self.name = name
        self.examples = examples
    }

    /// Number of MRs.
    public var count: Int { examples.count }

    /// Number of (MR, reference) rows: all references of all MRs.
    public var rowCount: Int { examples.reduce(0) { $0 + $1.references.count } }

    /// Every reference sentence, MR after MR: the text of a language-model corpus.
    public var sentences: [String] { examples.flatMap(\.references) }

    /// One (MR, reference) pair per reference, MR after MR: the training rows.
    public var pairs: [(mr: MeaningRepresentation, reference: String)] {
        examples.flatMap { example in example.references.map { (example.mr, $0) } }
    }

    /// The first `n` MRs (all of them when `n ≥ count`).
    public func prefix(_ n: Int) -> E2EDataset {
        E2EDataset(name: n >= count ? name : name + ", first \(n) MRs", examples: Array(examples.prefix(max(n, 0))))
    }

    /// The MRs at `indices`, in that order.
    public func subset(_ indices: [Int], name: String) -> E2EDataset {
        for i in indices { checkPrecondition(examples.indices.contains(i), "E2EDataset.subset: index \(i) outside 0..<\(count)") }
        return E2EDataset(name: name, examples: indices.map { examples[$0] })
    }

    /// The same MRs in the order `StreamCursor(seed: seed, stream: splitStream).permutation(count)`:
    /// a prefix of the result is a uniform sample of the set.
    public func shuffled(seed: UInt64) -> E2EDataset {
        var cursor = StreamCursor(seed: seed, stream: Self.splitStream)
        return E2EDataset(name: name, examples: cursor.permutation(count).map { examples[$0] })
    }

    /// Stream id of the seeded split: the same as `DigitDataset.splitStream` (ASCII "SPLT").
    public static let splitStream = DigitDataset.splitStream

    /// A split by MR (never by row, so no MR is in both parts): the MRs are put in the order
    /// `StreamCursor(seed: seed, stream: splitStream).permutation(count)`; the first
    /// `validationCount(for: count, fraction:)` are the validation part, the rest the training
    /// part, both in that shuffled order (so a prefix of either is a uniform sample).
    public func split(validationFraction: Double = 0.1, seed: UInt64) -> (train: E2EDataset, validation: E2EDataset) {
        let cut = Self.validationCount(for: count, fraction: validationFraction)
        var cursor = StreamCursor(seed: seed, stream: Self.splitStream)
        let order = cursor.permutation(count)
        return (
            subset(Array(order[cut...]), name: name + ", training part"),
            subset(Array(order[..<cut]), name: name + ", validation part")
        )
    }

    /// The validation part's size: `fraction · count` rounded to the nearest MR, at least one
    /// when `count ≥ 2` and `fraction > 0`, and at most `count − 1` (55 of E2E's 547 dev MRs).
    public static func validationCount(for count: Int, fraction: Double) -> Int {
        checkPrecondition(fraction >= 0 && fraction < 1, "E2EDataset.split: validation fraction \(fraction) outside [0, 1)")
        guard count >= 2, fraction > 0 else { return 0 }
        return min(max(Int((fraction * Double(count)).rounded()), 1), count - 1)
    }
}
