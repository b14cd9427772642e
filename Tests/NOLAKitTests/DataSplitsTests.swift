import Foundation
import NOLAKit
import Testing

/// Which MNIST digits train, validate and test, with and without the training files (small IDX
/// fixtures; the real files are checked in `DataMNISTTests`).
@Suite("MNIST splits: the training split when it is there, the test split alone when not")
struct DataSplitsTests {
    /// A folder with `test` test digits and, when `train > 0`, `train` training digits; every
    /// training image's first pixel is 180 + i (distinct for up to 76 images), every test image's i % 50:
    /// the two never mix.
    static func folder(train: Int, test: Int) throws -> String {
        let folder = try DataTestSupport.temporaryFolder("splits\(train)x\(test)")
        func images(_ n: Int, first: (Int) -> UInt8) -> [UInt8] {
            var pixels = [UInt8](repeating: 0, count: n * 784)
            for i in 0..<n { pixels[i * 784] = first(i) }
            return pixels
        }
        let labels = { (n: Int) in (0..<n).map { UInt8($0 % 10) } }
        try DataTestSupport.write(DataTestSupport.idx(sizes: [test, 28, 28], elements: images(test) { UInt8($0 % 50) }),
                                  "t10k-images-idx3-ubyte", in: folder)
        try DataTestSupport.write(DataTestSupport.idx(sizes: [test], elements: labels(test)), "t10k-labels-idx1-ubyte", in: folder)
        if train > 0 {
            try DataTestSupport.write(DataTestSupport.idx(sizes: [train, 28, 28], elements: images(train) { UInt8(180 + $0) }),
                                      "train-images-idx3-ubyte", in: folder)
            try DataTestSupport.write(DataTestSupport.idx(sizes: [train], elements: labels(train)), "train-labels-idx1-ubyte", in: folder)
        }
        return folder
    }

    static func fromTrainingSplit(_ set: DigitDataset) -> Bool {
        (0..<set.count).allSatisfy { set.images[$0, 0] >= 180 / 255 - 1e-6 }
    }

    static func fromTestSplit(_ set: DigitDataset) -> Bool {
        (0..<set.count).allSatisfy { set.images[$0, 0] < 50 / 255 }
    }

    @Test("with the training files: training and validation from the training split, disjoint; the test split for the test")
    func withTrainingSplit() throws {
        let folder = try Self.folder(train: 60, test: 20)
        let splits = try DigitSource.mnist(folder: folder).loadSplits(trainCount: 1000, validationCount: 10, testCount: 1000, seed: 1)
        #expect(splits.origin == .mnistTrainingSplit(testSplitCount: 20) && splits.testIsMNISTTestSplit)
        #expect(splits.train.count == 50 && splits.validation.count == 10 && splits.test.count == 20)
        #expect(Self.fromTrainingSplit(splits.train) && Self.fromTrainingSplit(splits.validation) && Self.fromTestSplit(splits.test))
        let trainFirst = Set((0..<50).map { splits.train.images[$0, 0] })
        let validationFirst = Set((0..<10).map { splits.validation.images[$0, 0] })
        #expect(trainFirst.count == 50 && trainFirst.isDisjoint(with: validationFirst))  // 60 distinct first pixels, none on both sides
        #expect(splits.test.labelCounts() == [Int](repeating: 2, count: 10))  // all 20, shuffled
        // The two-part load of the other lessons: the training split trains, the test split validates.
        let (train, validation) = try DigitSource.mnist(folder: folder).load(trainCount: 1000, validationCount: 1000, seed: 1)
        #expect(train.count == 60 && validation.count == 20 && Self.fromTrainingSplit(train) && Self.fromTestSplit(validation))
        #expect(train.name == "MNIST train split" && validation.name == "MNIST test split")
    }

    @Test("with only the test files: 4/5 of them train, the other fifth validates and tests, and the origin says so")
    func testSplitOnly() throws {
        let folder = try Self.folder(train: 0, test: 50)
        let splits = try DigitSource.mnist(folder: folder).loadSplits(trainCount: 1000, validationCount: 10, testCount: 1000, seed: 1)
        #expect(splits.origin == .mnistTestSplitOnly(folder: folder) && !splits.testIsMNISTTestSplit)
        #expect(splits.train.count == 40 && splits.validation.count == 10 && splits.test == splits.validation)
        #expect(Self.fromTestSplit(splits.train))
        #expect(splits.train.name == "MNIST test split, training part")
    }

    @Test("too few digits, or no MNIST at all: one line naming the folder")
    func missing() throws {
        let empty = try DataTestSupport.temporaryFolder("splitsEmpty")
        #expect(throws: DataFileError.self) {
            _ = try DigitSource.mnist(folder: empty).loadSplits(trainCount: 10, validationCount: 10, testCount: 10, seed: 1)
        }
        let tiny = try Self.folder(train: 0, test: 12)
        do {
            _ = try DigitSource.mnist(folder: tiny).loadSplits(trainCount: 10, validationCount: 10, testCount: 10, seed: 1)
            Issue.record("12 digits should be too few")
        } catch let error as DataFileError {
            #expect("\(error)".contains(tiny) && "\(error)".contains("too few"))
        }
    }
}
