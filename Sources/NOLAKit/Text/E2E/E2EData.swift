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
/// - `.e2e(folder:)`: the paper's splits. Train on `trainset.csv` (4,862 MRs, 42,061 rows),
///   validate on `devset.csv` (547 MRs, 4,672 rows: validation loss, epochs, rates, early
///   stopping), score on `testset_w_refs.csv` (630 MRs, 4,693 rows) with all references of
///   each MR. The training and validation MRs are put in a fixed shuffled order (seed
///   `splitSeed`), so a prefix of either is a uniform sample; the test MRs keep the file's
///   order (the challenge's scorer pairs outputs with MRs by position). All three files are
///   required.
/// - `.synthetic(seed:)`: `SyntheticRestaurants.generate(count: 547 + 630, seed:)`: its first
///   547 MRs are split by MR (`E2EDataset.split`, 10 % for validation) into 492 training and 55
///   validation MRs, and the other 630 are the test set, so no MR is in two parts; about 5.5
///   references per MR (3–8).
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
    /// The training split's file: 42,061 rows, 4,862 MRs.
    public static let trainFileName = "trainset.csv"
    /// The development split's file: 4,672 rows, 547 MRs.
    public static let devFileName = "devset.csv"
    /// The test split's file with its references: 4,693 rows, 630 MRs.
    public static let testFileName = "testset_w_refs.csv"
    /// The three files of the E2E NLG release, in the order training, validation, test.
    public static let fileNames = [trainFileName, devFileName, testFileName]
    /// The seed of the real training and dev sets' fixed shuffled order (ASCII "E2E-DEV").
    public static let splitSeed: UInt64 = 0x45_3245_2D44_4556
    /// The part of the synthetic dev set's MRs held out for validation.
    public static let validationFraction = 0.1

    /// The reference sentences of the training part, without MRs: the text a base model is
    /// pretrained on as a plain language model before it learns to follow MRs.
    public var pretrainingCorpus: [String] { train.sentences }

    /// The text to train a tokenizer on: the training part's sentences, then its MRs' canonical
    /// text (each MR once), so both what the model reads and what it writes are in few tokens.
    public var tokenizerCorpus: [String] { train.sentences + train.examples.map(\.mr.description) }

    /// Whether `folder` holds all three E2E files.
    public static func isPresent(folder: String) -> Bool { missingFiles(folder: folder).isEmpty }

    /// The E2E files `folder` lacks, in `fileNames` order.
    public static func missingFiles(folder: String) -> [String] {
        fileNames.filter { !FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
    }

    /// The test set's restaurant names (`name[…]`) and how many of them occur as a name in the
    /// training MRs: a model can copy a name it has read in an MR, but it writes a name it was
    /// trained on more readily (E2E: all 18 test names are in the training split; 9 of them in
    /// the dev split).
    public var testNamesInTraining: (seen: Int, total: Int) {
        func names(_ set: E2EDataset) -> Set<String> { Set(set.examples.compactMap { $0.mr.values[.name] }) }
        let test = names(self.test)
        return (test.intersection(names(train)).count, test.count)
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
            let missing = missingFiles(folder: folder)
            guard missing.isEmpty else {
                let path = missing.count == 1 ? (folder as NSString).appendingPathComponent(missing[0]) : folder
                let what = missing.count == 1 ? "not found" : "E2E NLG files not found (\(missing.joined(separator: ", ")))"
                throw DataFileError(
                    path: path,
                    problem: "\(what); the lesson needs all three files of the E2E NLG release v1.0.0 (\(fileNames.joined(separator: ", ")))",
                    fix: "download them into \(folder) as data/README.md explains, or run with --data synthetic")
            }
            func read(_ file: String, _ name: String) throws -> E2EDataset {
                try E2EFile.read(path: (folder as NSString).appendingPathComponent(file), name: name)
            }
            let train = try read(trainFileName, "E2E training set")
            let dev = try read(devFileName, "E2E dev set")
            let test = try read(testFileName, "E2E test set")
            return E2EData(train: train.shuffled(seed: splitSeed), validation: dev.shuffled(seed: splitSeed), test: test, source: source)
        }
    }
}
