/// Training, validation and test digits, and where they came from: for a lesson that trains,
/// watches a validation set while training, and reports accuracy on a test set it never looked
/// at (lesson 15, as the paper's Tables 8 and 9 report test accuracy).
///
/// ```swift
/// let splits = try DigitSource.mnistDefault.loadSplits(trainCount: 55_000, validationCount: 5000,
///                                                      testCount: 10_000, seed: 1)
/// // splits.origin == .mnistTrainingSplit(testSplitCount: 10_000) when the training files are there
/// ```
public struct DigitSplits: Sendable {
    public let train: DigitDataset
    public let validation: DigitDataset
    public let test: DigitDataset
    /// Where the three came from.
    public let origin: Origin

    public init(train: DigitDataset, validation: DigitDataset, test: DigitDataset, origin: Origin) {
        (self.train, self.validation, self.test, self.origin) = (train, validation, test, origin)
    }

    /// Where a `DigitSplits` came from.
    public enum Origin: Sendable, Equatable {
        /// Three disjoint ranges of synthetic digits of this seed.
        case synthetic(seed: UInt64)
        /// MNIST as the paper uses it: training and validation from the 60,000-digit training
        /// split, test from the test split (of `testSplitCount` digits; `test` may be a prefix).
        case mnistTrainingSplit(testSplitCount: Int)
        /// MNIST without its training files, in `folder`: training and validation carved out of
        /// the test split, and the test set is the validation part.
        case mnistTestSplitOnly(folder: String)
    }

    /// Whether `test` is MNIST's own test split, which nothing else here touched.
    public var testIsMNISTTestSplit: Bool {
        if case .mnistTrainingSplit = origin { return true }
        return false
    }
}

extension DigitSource {
    /// Training, validation and test sets.
    ///
    /// - `.synthetic`: images `0 ..< trainCount`, then `validationCount`, then `testCount` more
    ///   of the set `(seed, .upright)`: three disjoint ranges.
    /// - `.mnist`: `MNIST.trainingValidationAndTest` with `validationCount` digits held out of the
    ///   training split, then the first `trainCount` training and `testCount` test digits (all
    ///   of them when they are fewer). Without the training files, 8,000 of the test split train
    ///   and the other 2,000 both validate and test (`origin` says which happened).
    ///
    /// Throws `DataFileError` (one line with the fix) when MNIST is missing or damaged, or holds
    /// fewer than `DigitSource.minimumCount` digits in a part.
    public func loadSplits(trainCount: Int, validationCount: Int, testCount: Int, seed: UInt64) throws -> DigitSplits {
        checkPrecondition(trainCount > 0 && validationCount > 0 && testCount > 0, "DigitSource.loadSplits: counts must be positive")
        switch self {
        case .synthetic:
            let train = SyntheticDigits.generate(count: trainCount, seed: seed)
            let validation = SyntheticDigits.generate(count: validationCount, seed: seed, first: trainCount)
            let test = SyntheticDigits.generate(count: testCount, seed: seed, first: trainCount + validationCount)
            return DigitSplits(train: train, validation: validation, test: test, origin: .synthetic(seed: seed))
        case .mnist(let folder):
            try DigitSource.requireMNIST(in: folder)
            let parts = try MNIST.trainingValidationAndTest(folder: folder, validationCount: validationCount)
            let (train, validation, test) = (parts.train.prefix(trainCount), parts.validation, parts.test.prefix(testCount))
            let minimum = DigitSource.minimumCount
            guard train.count >= minimum && validation.count >= minimum && test.count >= minimum else {
                throw DataFileError(
                    path: folder,
                    problem: "the MNIST files hold too few digits (\(train.count) for training, \(validation.count) for "
                        + "validation, \(test.count) for testing; at least \(minimum) each are needed)",
                    fix: "put the complete MNIST files there (see data/README.md), or run with --data synthetic")
            }
            return DigitSplits(
                train: train, validation: validation, test: test,
                origin: parts.hasTrainingSplit ? .mnistTrainingSplit(testSplitCount: parts.test.count) : .mnistTestSplitOnly(folder: folder))
        }
    }
}
