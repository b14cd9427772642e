/// One mini-batch: `x: (batch, 784)` images and their `labels`.
public struct MiniBatch: Sendable {
    /// `(batch, 784)`, one image per row.
    public let x: Matrix
    /// The digit in each row of `x`.
    public let labels: [Int]
    /// Where each row came from in the dataset.
    public let indices: [Int]

    /// Number of examples in the batch.
    public var count: Int { labels.count }
}

/// The mini-batches of one pass over a `DigitDataset` in a fixed order, made one at a time as
/// the loop asks for them (see `DigitDataset.batches(size:seed:epoch:)`).
public struct MiniBatches: Sequence, IteratorProtocol, Sendable {
    /// The dataset the batches are cut from.
    public let dataset: DigitDataset
    /// The order of the pass: `order[k]` is the `k`-th example visited.
    public let order: [Int]
    /// The batch size; the last batch may be smaller.
    public let size: Int
    private var position = 0

    init(dataset: DigitDataset, order: [Int], size: Int) {
        self.dataset = dataset
        self.order = order
        self.size = size
    }

    /// Number of batches in the pass: `⌈count / size⌉`.
    public var batchCount: Int { (order.count + size - 1) / size }

    /// The next batch, or `nil` after the last one.
    public mutating func next() -> MiniBatch? {
        guard position < order.count else { return nil }
        let indices = Array(order[position..<Swift.min(position + size, order.count)])
        position += indices.count
        let picked = dataset.subset(indices)
        return MiniBatch(x: picked.images, labels: picked.labels, indices: indices)
    }
}
