/// Where a lesson's digits come from: its `--data synthetic|mnist` option.
public enum DigitSource: Sendable, Equatable, CustomStringConvertible {
    /// The project's own procedural digits (`SyntheticDigits`): offline, any size, by seed.
    case synthetic
    /// MNIST's IDX files in `folder` (see `MNIST`).
    case mnist(folder: String)

    /// MNIST in its default folder, `data/mnist` under the current directory.
    public static let mnistDefault = DigitSource.mnist(folder: MNIST.defaultFolder)

    /// The fewest training and validation digits a run accepts by default: enough for an
    /// accuracy that is a number (a real MNIST split has thousands).
    public static let minimumCount = 10

    /// The `--data` values: "synthetic", "mnist".
    public static let argumentValues = ["synthetic", "mnist"]

    /// The source a `--data` value names ("mnist" reads `data/mnist`), or `nil` for other text.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "synthetic": self = .synthetic
        case "mnist": self = .mnistDefault
        default: return nil
        }
    }

    /// The `--data` value: "synthetic" or "mnist".
    public var description: String {
        switch self {
        case .synthetic: "synthetic"
        case .mnist: "mnist"
        }
    }

    /// A training and a validation set of digits for a lesson.
    ///
    /// - `.synthetic`: images `0 ..< trainCount` of the set `(seed, style)` for training and
    ///   images `trainCount ..< trainCount + validationCount` for validation (disjoint by
    ///   construction; both balanced when the counts are multiples of ten).
    /// - `.mnist`: `MNIST.trainingAndValidation(folder:)`, then the first `trainCount` and
    ///   `validationCount` digits of each part (a fixed uniform sample; fewer when the part is
    ///   smaller: 8,000 and 2,000 with only the test files). `style: .shifted` gives
    ///   `leanedAndBold()` images, MNIST's counterpart of the shifted synthetic digits. `seed`
    ///   plays no part: the real-data split is the same in every run.
    ///
    /// Throws a `DataFileError` whose description is one line; when MNIST is missing it says
    /// how to get it or to use `--data synthetic`, and when its files hold fewer digits than
    /// `minimumTrainCount` for training or `minimumValidationCount` for validation (a file of 0 or 1
    /// images, say: nothing to train on, or an accuracy of 0/0) it says how many there are and
    /// how many the lesson needs. Between the minimum and the asked count the run is simply
    /// smaller (the lessons print the counts they use).
    public func load(
        trainCount: Int, validationCount: Int, seed: UInt64, style: DigitStyle = .upright,
        minimumTrainCount: Int = DigitSource.minimumCount, minimumValidationCount: Int = DigitSource.minimumCount
    ) throws -> (train: DigitDataset, validation: DigitDataset) {
        checkPrecondition(trainCount >= 0 && validationCount >= 0, "DigitSource.load: negative counts")
        let minimumTrainCount = min(minimumTrainCount, trainCount)
        let minimumValidationCount = min(minimumValidationCount, validationCount)
        switch self {
        case .synthetic:
            let train = SyntheticDigits.generate(count: trainCount, seed: seed, style: style)
            let validation = SyntheticDigits.generate(
                count: validationCount, seed: seed, style: style, first: trainCount)
            return (train, validation)

        case .mnist(let folder):
            try DigitSource.requireMNIST(in: folder)
            let (train, validation) = try MNIST.trainingAndValidation(folder: folder)
            guard train.count >= minimumTrainCount && validation.count >= minimumValidationCount else {
                throw DataFileError(
                    path: folder,
                    problem: "the MNIST files hold \(train.count + validation.count) "
                        + "digit\(train.count + validation.count == 1 ? "" : "s") (\(train.count) for training, "
                        + "\(validation.count) for validation), but this run needs at least \(minimumTrainCount) "
                        + "for training and \(minimumValidationCount) for validation",
                    fix: "put the complete MNIST files there (see data/README.md), or run with --data synthetic")
            }
            let pickedTrain = train.prefix(trainCount), pickedValidation = validation.prefix(validationCount)
            guard style == .shifted else { return (pickedTrain, pickedValidation) }
            return (pickedTrain.leanedAndBold(), pickedValidation.leanedAndBold())
        }
    }

    /// Throws the one-line "MNIST not found" error unless `folder` holds the test or the
    /// training files.
    static func requireMNIST(in folder: String) throws {
        guard MNIST.isPresent(.test, in: folder) || MNIST.isPresent(.train, in: folder) else {
            throw DataFileError(
                path: folder,
                problem: "MNIST not found (expected t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz, "
                    + "optionally the train-* pair, gzip or raw)",
                fix: "download them as data/README.md explains, or run with --data synthetic")
        }
    }
}
