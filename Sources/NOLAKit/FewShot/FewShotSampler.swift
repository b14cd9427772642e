/// k-shot training sets (paper §3.4 and A.3): `k` labelled examples per class, drawn without
/// replacement from a training pool.
///
/// Draw `d` of seed `s` takes, for each class `c = 0…9` in turn, the first `k` entries of a
/// permutation of that class's pool indices, all from one cursor
/// `StreamCursor(seed: s, stream: "KSHT" << 32 | d)`. So a draw depends only on `(pool, k, s, d)`;
/// draws with other `d` are independent samplings (the paper's four), and the examples of one
/// draw are distinct pool examples. The pool is disjoint from the validation and test sets by
/// construction (`FewShotTask`), so a sample never meets them.
public struct FewShotSampler: Sendable {
    /// The training pool the shots come from.
    public let pool: DigitDataset
    /// The pool's indices of each class, in pool order.
    let indicesByClass: [[Int]]

    public init(pool: DigitDataset) {
        self.pool = pool
        var byClass = [[Int]](repeating: [], count: DigitDataset.classCount)
        for (i, label) in pool.labels.enumerated() { byClass[label].append(i) }
        indicesByClass = byClass
    }

    /// The stream id of draw `d` (ASCII "KSHT" in the high word).
    public static func stream(draw: Int) -> UInt64 {
        checkPrecondition(draw >= 0 && draw <= Int(UInt32.max), "FewShotSampler: draw \(draw) out of range")
        return 0x4B53_4854 << 32 | UInt64(draw)
    }

    /// The fewest pool examples of any class: the largest `k` the pool serves.
    public var fewestPerClass: Int { indicesByClass.map(\.count).min() ?? 0 }

    /// The pool indices of draw `draw` with `shots` examples per class, class 0's first.
    /// Throws `FewShotError` when a class has fewer than `shots` examples in the pool.
    public func indices(shots: Int, seed: UInt64, draw: Int) throws -> [Int] {
        guard shots > 0 else { throw FewShotError("\(shots) shots per class: k must be at least 1") }
        if let c = indicesByClass.indices.first(where: { indicesByClass[$0].count < shots }) {
            throw FewShotError("\(pool.name) holds \(indicesByClass[c].count) examples of class \(c), "
                + "fewer than the \(shots) per class a \(shots)-shot set needs")
        }
        var cursor = StreamCursor(seed: seed, stream: FewShotSampler.stream(draw: draw))
        var picked: [Int] = []
        picked.reserveCapacity(shots * indicesByClass.count)
        for members in indicesByClass {
            let order = cursor.permutation(members.count)
            picked += order.prefix(shots).map { members[$0] }
        }
        return picked
    }

    /// The examples of `indices(shots:seed:draw:)`, named for narration.
    public func sample(shots: Int, seed: UInt64, draw: Int) throws -> DigitDataset {
        pool.subset(try indices(shots: shots, seed: seed, draw: draw),
                    name: "\(shots)-shot draw \(draw) of \(pool.name)")
    }
}

/// A k-shot set that cannot be drawn (a pool with too few examples of a class); one line.
public struct FewShotError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
