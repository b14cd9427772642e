import Foundation

/// Where a text lesson's restaurant data comes from: its `--data synthetic|e2e` option.
public enum E2ESource: Sendable, Equatable, CustomStringConvertible {
    /// The project's own restaurants (`SyntheticRestaurants`) from `seed`: offline, instant.
    case synthetic(seed: UInt64)
    /// The real E2E NLG dev and test files in `folder` (see `E2EData`).
    case e2e(folder: String)

    /// The real data in its default folder, `data/e2e` under the current directory.
    public static let e2eDefault = E2ESource.e2e(folder: E2EData.defaultFolder)

    /// The `--data` values: "synthetic", "e2e".
    public static let argumentValues = ["synthetic", "e2e"]

    /// The source a `--data` value names ("synthetic" with `seed`, "e2e" reads `data/e2e`), or
    /// `nil` for other text.
    public init?(argument: String, seed: UInt64) {
        switch argument.lowercased() {
        case "synthetic": self = .synthetic(seed: seed)
        case "e2e": self = .e2eDefault
        default: return nil
        }
    }

    /// The `--data` value: "synthetic" or "e2e".
    public var description: String {
        switch self {
        case .synthetic: "synthetic"
        case .e2e: "e2e"
        }
    }
}

/// The three parts a text lesson uses: train on `train`, stop early on `validation`, score on
/// `test` (each MR against all its references).
///
/// ```swift
/// let data = try E2EData.load(.synthetic(seed: 1))     // or .e2e(folder: "data/e2e")
/// data.train.pairs          // (MR, reference) rows to fine-tune on
/// data.pretrainingCorpus    // the training part's sentences, no MRs: language-model text
/// data.test.examples        // MRs with all their references, for BLEU and friends
/// ```
///
/// - `.e2e(folder:)`: `devset.csv` split by MR (`E2EDataset.split`, seed `splitSeed`, fixed so
///   the split is the same in every run): 492 MRs (4,215 rows) for training, 55 (457 rows) for validation;
///   `testset_w_refs.csv` (630 MRs, 4,693 rows) for testing, in file order. The challenge's
///   42,061-row training file is not used (the dev set stands in for it, as in this project's
///   data folder); if you have it, `E2EFile.read` reads it too.
/// - `.synthetic(seed:)`: `SyntheticRestaurants.generate(count: 547 + 630, seed:)`: its first
///   547 MRs are the dev set, split the same way with the run's seed, and the other 630 the test
///   set, so no MR is in two parts; about 5.5 references per MR (3–8).
public struct E2EData: Sendable {
    /// Training MRs with their references.
    public let train: E2EDataset
    /// Held-out MRs for validation loss and early stopping.
    public let validation: E2EDataset
    /// The MRs to score, each with all its references.
    public let test: E2EDataset
    /// Where the data came from.
    public let source: E2ESource

    public init(train: E2EDataset, validation: E2EDataset, test: E2EDataset, source: E2ESource) {
        self.train = train
        self.validation = validation
        self.test = test
        self.source = source
    }

    /// Where lessons look for the real files: `data/e2e`, relative to the current directory.
    public static let defaultFolder = "data/e2e"
    /// The development split's file: 4,672 rows, 547 MRs.
    public static let devFileName = "devset.csv"
    /// The test split's file with its references: 4,693 rows, 630 MRs.
    public static let testFileName = "testset_w_refs.csv"
    /// The seed of the real dev set's split (ASCII "E2E-DEV"), fixed for every run.
    public static let splitSeed: UInt64 = 0x45_3245_2D44_4556
    /// The part of the dev set's MRs held out for validation.
    public static let validationFraction = 0.1

    /// The reference sentences of the training part, without MRs: the text a base model is
    /// pretrained on as a plain language model before it learns to follow MRs.
    public var pretrainingCorpus: [String] { train.sentences }

    /// The text to train a tokenizer on: the training part's sentences, then its MRs' canonical
    /// text (each MR once), so both what the model reads and what it writes are in few tokens.
    public var tokenizerCorpus: [String] { train.sentences + train.examples.map(\.mr.description) }

    /// Whether `folder` holds both E2E files.
    public static func isPresent(folder: String) -> Bool {
        [devFileName, testFileName].allSatisfy {
            FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0))
        }
    }

    /// The training, validation and test parts from `source` (see the type's documentation).
    ///
    /// Throws a `DataFileError` whose description is one line; when the real files are missing
    /// it names the folder, says where to get them (data/README.md) or to use `--data synthetic`.
    public static func load(_ source: E2ESource) throws -> E2EData {
        switch source {
        case .synthetic(let seed):
            let all = SyntheticRestaurants.generate(count: SyntheticRestaurants.devMRCount + SyntheticRestaurants.testMRCount, seed: seed)
            let dev = E2EDataset(name: "synthetic restaurants (seed \(seed)), dev set", examples: Array(all[..<SyntheticRestaurants.devMRCount]))
            let test = E2EDataset(name: "synthetic restaurants (seed \(seed)), test set", examples: Array(all[SyntheticRestaurants.devMRCount...]))
            let (train, validation) = dev.split(validationFraction: validationFraction, seed: seed)
            return E2EData(train: train, validation: validation, test: test, source: source)

        case .e2e(let folder):
            guard isPresent(folder: folder) else {
                throw DataFileError(
                    path: folder,
                    problem: "E2E NLG dev and test files not found (expected \(devFileName) and \(testFileName) in this folder)",
                    fix: "download them into it as data/README.md explains, or run with --data synthetic")
            }
            let dev = try E2EFile.read(path: (folder as NSString).appendingPathComponent(devFileName), name: "E2E dev set")
            let test = try E2EFile.read(path: (folder as NSString).appendingPathComponent(testFileName), name: "E2E test set")
            let (train, validation) = dev.split(validationFraction: validationFraction, seed: splitSeed)
            return E2EData(train: train, validation: validation, test: test, source: source)
        }
    }
}
