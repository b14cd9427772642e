import Testing
@testable import NOLAKit

/// Subsets, splits and mini-batches of a `DigitDataset`.
@Suite("Digit datasets: subsets, splits, mini-batches")
struct DataBatchingTests {
    /// `n` examples whose image `i` has pixel 0 equal to `i` (so rows can be traced) and whose
    /// other pixels are `i / n`; label `i % 10`.
    func numbered(_ n: Int) -> DigitDataset {
        var images = Matrix(rows: n, cols: 784)
        for i in 0..<n {
            images[i, 0] = Float(i)
            for p in 1..<784 { images[i, p] = Float(i) / Float(n) }
        }
        return DigitDataset(images: images, labels: (0..<n).map { $0 % 10 }, name: "numbered")
    }

    /// The original index of each row of `set` (pixel 0).
    func origins(_ set: DigitDataset) -> [Int] {
        (0..<set.count).map { Int(set.images[$0, 0]) }
    }

    @Test("every example appears exactly once per epoch, with its own image and label")
    func coverage() {
        let set = numbered(103)
        var seen: [Int] = []
        var sizes: [Int] = []
        let batches = set.batches(size: 16, seed: 5, epoch: 0)
        #expect(batches.batchCount == 7)
        for batch in batches {
            sizes.append(batch.count)
            #expect(batch.x.rows == batch.count && batch.x.cols == 784)
            for (row, index) in batch.indices.enumerated() {
                #expect(Int(batch.x[row, 0]) == index)
                #expect(batch.x[row, 5] == Float(index) / 103)
                #expect(batch.labels[row] == index % 10)
            }
            seen += batch.indices
        }
        #expect(sizes == [16, 16, 16, 16, 16, 16, 7])
        #expect(seen.sorted() == Array(0..<103))
        #expect(seen != Array(0..<103), "the epoch is shuffled")
    }

    @Test("the order depends on seed and epoch only")
    func determinism() {
        let set = numbered(50)
        func order(_ seed: UInt64, _ epoch: Int) -> [Int] {
            set.batches(size: 8, seed: seed, epoch: epoch).flatMap(\.indices)
        }
        #expect(order(3, 0) == order(3, 0))
        #expect(order(3, 1) == order(3, 1))
        #expect(order(3, 0) != order(3, 1))
        #expect(order(3, 0) != order(4, 0))
        // Pinned: the shuffle is StreamCursor.permutation on stream "BTCH" | epoch.
        var cursor = StreamCursor(seed: 3, stream: DigitDataset.batchStream(epoch: 1))
        #expect(order(3, 1) == cursor.permutation(50))
        #expect(DigitDataset.batchStream(epoch: 1) == 0x4254_4348_0000_0001)
    }

    @Test("batches in order visit the examples in order")
    func inOrder() {
        let set = numbered(10)
        let batches = Array(set.batchesInOrder(size: 4))
        #expect(batches.map(\.indices) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        #expect(batches[2].x == set.images.rows(8..<10))
    }

    @Test("an unseeded split takes the last examples for validation")
    func plainSplit() {
        let (train, validation) = numbered(20).split(validationCount: 5)
        #expect(origins(train) == Array(0..<15))
        #expect(origins(validation) == Array(15..<20))
        #expect(train.labels == (0..<15).map { $0 % 10 })
    }

    @Test("a seeded split is deterministic, disjoint and complete")
    func seededSplit() {
        let set = numbered(40)
        let (train, validation) = set.split(validationCount: 12, seed: 9)
        #expect(train.count == 28 && validation.count == 12)
        #expect(Set(origins(train)).isDisjoint(with: origins(validation)))
        #expect((origins(train) + origins(validation)).sorted() == Array(0..<40))
        let again = set.split(validationCount: 12, seed: 9)
        #expect(again.train == train && again.validation == validation)
        #expect(set.split(validationCount: 12, seed: 10).validation != validation)
        var cursor = StreamCursor(seed: 9, stream: DigitDataset.splitStream)
        #expect(origins(validation) == Array(cursor.permutation(40).prefix(12)))
    }

    @Test("subset, prefix and label counts")
    func subsetPrefixCounts() {
        let set = numbered(30)
        #expect(origins(set.subset([4, 4, 29, 0])) == [4, 4, 29, 0])
        #expect(set.subset([4, 29]).labels == [4, 9])
        #expect(origins(set.prefix(3)) == [0, 1, 2])
        #expect(set.prefix(99) == set)
        #expect(set.labelCounts() == [Int](repeating: 3, count: 10))
        #expect(set.subset([]).count == 0)
    }

    @Test("a batch size of zero is a programming error")
    func zeroBatch() async {
        await #expect(processExitsWith: .failure) {
            _ = DigitDataset(images: Matrix(rows: 1, cols: 784), labels: [0], name: "one").batches(size: 0, seed: 1, epoch: 0)
        }
    }

    @Test("images of the wrong width are a programming error")
    func wrongWidth() async {
        // NOLAKit is built with -O, where a failed precondition stops the process without
        // printing its message, so only the failure itself can be observed.
        await #expect(processExitsWith: .failure) {
            _ = DigitDataset(images: Matrix(rows: 2, cols: 100), labels: [0, 1], name: "bad")
        }
    }
}
