import Testing
@testable import NOLAKit

/// The reader on the real MNIST test split (10,000 digits). These tests need the files; they
/// look in `<root>/data/mnist`, `$NOLA_MNIST_DIR`, `<root>/../shared/data/mnist`,
/// `/work/shared/data/mnist` (see `DataTestSupport.mnistFolder`) and are skipped, with that
/// reason shown by the test runner, when none holds `t10k-images-idx3-ubyte[.gz]` and
/// `t10k-labels-idx1-ubyte[.gz]`.
@Suite(
    "Real MNIST test split",
    .enabled(
        if: DataTestSupport.mnistFolder != nil,
        "skipped: MNIST's t10k files are not in data/mnist, $NOLA_MNIST_DIR, ../shared/data/mnist or /work/shared/data/mnist (see data/README.md)"))
struct DataMNISTTests {
    var folder: String { DataTestSupport.mnistFolder! }

    @Test("10,000 images of 28×28, the known label counts and pixel sum")
    func testSplit() throws {
        let test = try MNIST.load(.test, folder: folder)
        #expect(test.count == 10000 && test.images.cols == 784)
        #expect(test.labelCounts() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        #expect(Array(test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        // Sum of all pixel bytes, computed once from the files and pinned.
        let byteSum = test.images.data.reduce(0) { $0 + Int(($1 * 255).rounded()) }
        #expect(byteSum == 264_923_200)
        #expect(test.images.data.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("without the training files, 8,000 training and 2,000 validation digits, fixed and disjoint")
    func carvedParts() throws {
        guard !MNIST.isPresent(.train, in: folder) else { return }  // the 60K files change the rule
        let (train, validation) = try MNIST.trainingAndValidation(folder: folder)
        #expect(train.count == 8000 && validation.count == 2000)
        let again = try MNIST.trainingAndValidation(folder: folder)
        #expect(again.train == train && again.validation == validation)
        // Together they are the test split, each digit once.
        let test = try MNIST.load(.test, folder: folder)
        #expect(zip(train.labelCounts(), validation.labelCounts()).map(+) == test.labelCounts())
        let pixelSum = { (set: DigitDataset) in set.images.data.reduce(0.0) { $0 + Double($1) } }
        #expect(abs(pixelSum(train) + pixelSum(validation) - pixelSum(test)) < 1)
        #expect(validation.labelCounts().allSatisfy { $0 > 150 })
    }

    @Test("the 60,000-digit training split: known label counts; the lesson's three parts from it",
          .enabled(if: DataTestSupport.mnistFolder.map { MNIST.isPresent(.train, in: $0) } ?? false,
                   "skipped: MNIST's train-* files are not beside the t10k ones"))
    func trainingSplit() throws {
        let train = try MNIST.load(.train, folder: folder)
        #expect(train.count == 60000)
        #expect(train.labelCounts() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        #expect(Array(train.labels.prefix(10)) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        let parts = try MNIST.trainingValidationAndTest(folder: folder, validationCount: 5000)
        #expect(parts.hasTrainingSplit && parts.train.count == 55000 && parts.validation.count == 5000 && parts.test.count == 10000)
        #expect(zip(parts.train.labelCounts(), parts.validation.labelCounts()).map(+) == train.labelCounts())
        #expect(parts.test.labelCounts() == (try MNIST.load(.test, folder: folder)).labelCounts())
    }

    @Test("nearest class means reach their usual accuracy on MNIST (81.7% here)")
    func nearestClassMeans() throws {
        let test = try MNIST.load(.test, folder: folder)
        let (train, validation) = test.split(validationCount: 2000, seed: MNIST.splitSeed)
        let accuracy = DataTestSupport.nearestClassMeanAccuracy(train: train, test: validation)
        #expect(accuracy > 0.78 && accuracy < 0.86, "nearest class means on MNIST: \(accuracy)")
    }

    @Test("the leaned-and-bold MNIST keeps labels and adds ink")
    func leanedAndBold() throws {
        let test = try MNIST.load(.test, folder: folder).prefix(200)
        let shifted = test.leanedAndBold()
        #expect(shifted.labels == test.labels)
        #expect(shifted.images.data.allSatisfy { $0 >= 0 && $0 <= 1 })
        let ink = { (set: DigitDataset) in set.images.data.reduce(0.0) { $0 + Double($1) } }
        #expect(ink(shifted) > 1.5 * ink(test))
    }
}
