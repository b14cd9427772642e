import Foundation

/// A downstream task of the few-shot lesson: a training pool to draw k-shot sets from, a fixed
/// validation set that picks the learning rate, and a separate test set that scores. The three
/// never share an example.
///
/// - `.letters`: new classes. `SyntheticLetters` images `0 ..< poolCount` form the pool, the
///   next `validationCount` the validation set, the next `testCount` the test set (disjoint
///   by index; all balanced when the counts are multiples of ten).
/// - `.mnist`: a new domain (real handwriting; the backbone saw synthetic digits only). The pool
///   is the first `poolCount` digits of MNIST's training part; validation and test are the first
///   `validationCount` and the next `testCount` digits of its validation part
///   (`MNIST.trainingAndValidation`: the training split and the test split, or the two parts of
///   the test split when only its files are there); each set is named after the split it came
///   from. Fixed: `seed` plays no part, as for every real-data split here.
public struct FewShotTask: Sendable {
    /// Which task.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case letters
        case mnist(folder: String)

        /// The task's name in tables: "letters" (lesson 14's `--data synthetic`) or "MNIST" (`--data mnist`).
        public var description: String {
            switch self {
            case .letters: "letters"
            case .mnist: "MNIST"
            }
        }
    }

    public let source: Source
    public let pool: DigitDataset
    public let validation: DigitDataset
    public let test: DigitDataset

    /// The task's sets. Throws `DataFileError` when MNIST is missing or too small for the
    /// asked validation and test sets (one line with the fix).
    public init(_ source: Source, seed: UInt64, poolCount: Int = 1000, validationCount: Int = 200, testCount: Int = 1000) throws {
        checkPrecondition(poolCount > 0 && validationCount > 0 && testCount > 0, "FewShotTask: counts must be positive")
        self.source = source
        switch source {
        case .letters:
            pool = SyntheticLetters.generate(count: poolCount, seed: seed)
            validation = SyntheticLetters.generate(count: validationCount, seed: seed, first: poolCount)
            test = SyntheticLetters.generate(count: testCount, seed: seed, first: poolCount + validationCount)
        case .mnist(let folder):
            let (train, held) = try DigitSource.mnist(folder: folder).load(
                trainCount: poolCount, validationCount: validationCount + testCount, seed: seed,
                minimumTrainCount: poolCount, minimumValidationCount: validationCount + testCount)
            // Named after the split each came from ("MNIST train split", "MNIST test split"; or, with
            // only the test files, "MNIST test split, training part" and "…, validation part").
            pool = DigitDataset(images: train.images, labels: train.labels, name: train.name)
            validation = held.subset(Array(0..<validationCount), name: held.name)
            test = held.subset(Array(validationCount..<(validationCount + testCount)), name: held.name)
        }
    }
}
