/// A labelled set of 28×28 grayscale digits: the synthetic digits or MNIST, in one shape.
///
/// `images: (count, 784)`: row `i` is image `i`, its pixels row after row (pixel `(y, x)` at column
/// `28·y + x`, `y` going down), each a `Float` in [0, 1] with 0 the background and 1 full ink.
/// `labels[i]` in 0…9 is the digit drawn in row `i`.
public struct DigitDataset: Sendable, Equatable {
    /// Side of an image in pixels.
    public static let side = 28
    /// Pixels per image, the width of a row of `images`.
    public static let pixelCount = side * side
    /// Number of classes, the digits 0…9.
    public static let classCount = 10

    /// `(count, 784)`, one image per row.
    public let images: Matrix
    /// One label in 0…9 per row of `images`.
    public let labels: [Int]
    /// What the set is, for narration: "synthetic upright digits (seed 1, images 0…7999)",
    /// "MNIST test split, training part".
    public let name: String

    /// A set over `images: (n, 784)` and `n` labels in 0…9.
    public init(images: Matrix, labels: [Int], name: String) {
        checkPrecondition(
            images.cols == DigitDataset.pixelCount,
            "DigitDataset: images are \(images.shapeDescription), expected (n×\(DigitDataset.pixelCount))")
        checkPrecondition(
            images.rows == labels.count,
            "DigitDataset: \(images.rows) images but \(labels.count) labels")
        checkPrecondition(
            labels.allSatisfy { (0..<DigitDataset.classCount).contains($0) },
            "DigitDataset: labels must lie in 0...9")
        self.images = images
        self.labels = labels
        self.name = name
    }

    /// Number of examples.
    public var count: Int { labels.count }

    /// How many examples carry each label: `counts[d]` for digit `d`.
    public func labelCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: DigitDataset.classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The examples at `indices`, in that order (an index may repeat).
    public func subset(_ indices: [Int], name: String? = nil) -> DigitDataset {
        let width = DigitDataset.pixelCount
        var data = [Float](repeating: 0, count: indices.count * width)
        images.data.withUnsafeBufferPointer { src in
            data.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    checkPrecondition(
                        index >= 0 && index < count,
                        "DigitDataset.subset: index \(index) outside 0..<\(count)")
                    let from = src.baseAddress! + index * width
                    (dst.baseAddress! + row * width).update(from: from, count: width)
                }
            }
        }
        return DigitDataset(
            images: Matrix(rows: indices.count, cols: width, data: data),
            labels: indices.map { labels[$0] },
            name: name ?? self.name)
    }

    /// The first `n` examples (all of them when `n >= count`).
    public func prefix(_ n: Int) -> DigitDataset {
        checkPrecondition(n >= 0, "DigitDataset.prefix: negative count \(n)")
        let n = min(n, count)
        if n == count { return self }
        return DigitDataset(images: images.rows(0..<n), labels: Array(labels[0..<n]), name: name)
    }

    /// Splits into a training and a validation set, deterministically and without overlap.
    ///
    /// - Without a seed: the last `validationCount` examples are the validation set, the others
    ///   the training set, both in their original order.
    /// - With a seed: the examples are put in the order
    ///   `StreamCursor(seed: seed, stream: DigitDataset.splitStream).permutation(count)`; the
    ///   first `validationCount` of that order are the validation set, the rest the training set,
    ///   both kept in the shuffled order (so any prefix of either is a uniform sample).
    public func split(validationCount: Int, seed: UInt64? = nil) -> (train: DigitDataset, validation: DigitDataset) {
        checkPrecondition(
            validationCount >= 0 && validationCount <= count,
            "DigitDataset.split: validationCount \(validationCount) outside 0...\(count)")
        if let seed {
            var cursor = StreamCursor(seed: seed, stream: DigitDataset.splitStream)
            let order = cursor.permutation(count)
            return (
                subset(Array(order[validationCount...]), name: name + ", training part"),
                subset(Array(order[..<validationCount]), name: name + ", validation part")
            )
        }
        let cut = count - validationCount
        return (
            subset(Array(0..<cut), name: name + ", training part"),
            subset(Array(cut..<count), name: name + ", validation part")
        )
    }

    /// Stream id of the seeded split: ASCII "SPLT" in the high word, so it never meets the small
    /// stream ids that models use for their weights under the same seed.
    public static let splitStream: UInt64 = 0x5350_4C54 << 32

    /// Stream id of epoch `e`'s shuffle: ASCII "BTCH" in the high word, `e` in the low word.
    public static func batchStream(epoch: Int) -> UInt64 {
        checkPrecondition(epoch >= 0 && epoch <= Int(UInt32.max), "batchStream: epoch \(epoch) out of range")
        return (0x4254_4348 << 32) | UInt64(epoch)
    }

    /// The mini-batches of one epoch, in a shuffled order that depends only on `seed` and `epoch`.
    ///
    /// The order is `StreamCursor(seed: seed, stream: batchStream(epoch: epoch)).permutation(count)`,
    /// cut into runs of `size`; the last batch is smaller when `size` does not divide `count`
    /// (every example appears exactly once per epoch).
    ///
    /// ```
    /// for batch in train.batches(size: 64, seed: seed, epoch: epoch) {
    ///     // batch.x: (64, 784), batch.labels: 64 digits
    /// }
    /// ```
    public func batches(size: Int, seed: UInt64, epoch: Int) -> MiniBatches {
        checkPrecondition(size > 0, "DigitDataset.batches: batch size must be positive, got \(size)")
        var cursor = StreamCursor(seed: seed, stream: DigitDataset.batchStream(epoch: epoch))
        return MiniBatches(dataset: self, order: cursor.permutation(count), size: size)
    }

    /// The mini-batches in the stored order, without shuffling (for evaluation).
    public func batchesInOrder(size: Int) -> MiniBatches {
        checkPrecondition(size > 0, "DigitDataset.batchesInOrder: batch size must be positive, got \(size)")
        return MiniBatches(dataset: self, order: Array(0..<count), size: size)
    }
}
