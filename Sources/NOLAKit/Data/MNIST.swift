import Foundation

/// The MNIST digits (LeCun, Cortes, Burges) read from their IDX files, raw or gzip-compressed.
///
/// The four files, each optionally with `.gz`, in one folder (by default `data/mnist/` under the
/// current directory):
/// ```
/// train-images-idx3-ubyte  train-labels-idx1-ubyte   60,000 training digits
/// t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte    10,000 test digits
/// ```
/// Pixels become `Float(byte) / 255`, so 0 is background and 1 full ink, as in the synthetic set.
public enum MNIST {
    /// Where lessons look when no folder is given: `data/mnist`, relative to the current directory.
    public static let defaultFolder = "data/mnist"

    /// One of MNIST's two splits.
    public enum Split: String, Sendable, CaseIterable {
        /// 60,000 digits: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`.
        case train
        /// 10,000 digits: `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`.
        case test

        /// The images file's name without `.gz`.
        public var imagesFileName: String { self == .train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte" }
        /// The labels file's name without `.gz`.
        public var labelsFileName: String { self == .train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte" }
    }

    /// The path of file `name` in `folder`: `name` itself when present, else `name.gz` when
    /// present, else `nil`.
    public static func path(of name: String, in folder: String) -> String? {
        let raw = (folder as NSString).appendingPathComponent(name)
        for candidate in [raw, raw + ".gz"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// Whether both files of `split` are in `folder` (raw or gzip).
    public static func isPresent(_ split: Split, in folder: String) -> Bool {
        path(of: split.imagesFileName, in: folder) != nil && path(of: split.labelsFileName, in: folder) != nil
    }

    /// The digits of `split` from `folder`, checked: magic numbers, 28×28 images, file lengths
    /// against their headers, labels in 0…9, as many labels as images.
    public static func load(_ split: Split, folder: String = defaultFolder) throws -> DigitDataset {
        let imagesPath = try existingPath(of: split.imagesFileName, in: folder)
        let labelsPath = try existingPath(of: split.labelsFileName, in: folder)
        let images = try readImages(path: imagesPath)
        let labels = try readLabels(path: labelsPath)
        guard images.rows == labels.count else {
            throw DataFileError(
                path: labelsPath,
                problem: "has \(labels.count) labels but \((imagesPath as NSString).lastPathComponent) "
                    + "has \(images.rows) images",
                fix: "download both files again (see data/README.md)")
        }
        return DigitDataset(images: images, labels: labels, name: "MNIST \(split.rawValue) split")
    }

    /// The images of an IDX images file: `(n, 784)`, pixels `byte / 255`.
    public static func readImages(path: String) throws -> Matrix {
        let file = try IDXFile(path: path, dimensions: 3, itemName: "images")
        guard file.sizes[1] == DigitDataset.side && file.sizes[2] == DigitDataset.side else {
            throw DataFileError(
                path: path,
                problem: "wrong dimensions: images are \(file.sizes[1])×\(file.sizes[2]), MNIST's are 28×28",
                fix: "use the MNIST IDX files (see data/README.md)")
        }
        return pixelMatrix(file.elements, rows: file.sizes[0])
    }

    /// The labels of an IDX labels file, each checked to be a digit 0…9.
    public static func readLabels(path: String) throws -> [Int] {
        let file = try IDXFile(path: path, dimensions: 1, itemName: "labels")
        var labels = [Int]()
        labels.reserveCapacity(file.sizes[0])
        for (k, byte) in file.elements.enumerated() {
            guard byte < 10 else {
                throw DataFileError(
                    path: path, problem: "label \(byte) at position \(k) is not a digit 0-9",
                    fix: "check that this is an MNIST labels file, or " + DataFileError.downloadAgain)
            }
            labels.append(Int(byte))
        }
        return labels
    }

    /// Bytes `0…255` to a `(rows, 784)` matrix of `byte / 255`.
    static func pixelMatrix(_ bytes: ArraySlice<UInt8>, rows: Int) -> Matrix {
        var data = [Float](repeating: 0, count: bytes.count)
        bytes.withUnsafeBufferPointer { src in
            data.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count { dst[i] = Float(src[i]) / 255 }
            }
        }
        return Matrix(rows: rows, cols: DigitDataset.pixelCount, data: data)
    }

    /// `path(of:in:)`, or an error naming the missing file (as `name.gz`, the download's name).
    static func existingPath(of name: String, in folder: String) throws -> String {
        if let found = path(of: name, in: folder) { return found }
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue {
            throw DataFileError(
                path: folder, problem: "MNIST folder not found",
                fix: "create it and put the four MNIST IDX files in it (see data/README.md)")
        }
        throw DataFileError(
            path: (folder as NSString).appendingPathComponent(name + ".gz"),
            problem: "not found (nor \(name))",
            fix: "put the MNIST IDX files in \(folder) (see data/README.md)")
    }

    // MARK: Training and validation parts

    /// The seed of MNIST's fixed shuffles (ASCII "MNIST"). Fixed, not the run's `--seed`, so the
    /// real-data split is the same in every run.
    public static let splitSeed: UInt64 = 0x4D_4E49_5354

    /// The validation part carved out of the test split when the training split is absent: a
    /// fifth of it (2,000 of MNIST's 10,000).
    public static func carvedValidationCount(testCount: Int) -> Int { testCount / 5 }

    /// A training and a validation part from the MNIST files in `folder`.
    ///
    /// - With the 60,000-digit training files present: training = the train split, validation =
    ///   the test split.
    /// - With only the test files (as in this project's CI): the 10,000 test digits are split
    ///   by `split(validationCount: count / 5, seed: MNIST.splitSeed)`: a fixed shuffle, its
    ///   first 2,000 digits for validation, the other 8,000 for training.
    ///
    /// Both parts come in a fixed shuffled order (seed `splitSeed`), so their first `n` digits are
    /// a uniform sample (MNIST's test file has its cleaner, easier half first).
    public static func trainingAndValidation(folder: String = defaultFolder) throws
        -> (train: DigitDataset, validation: DigitDataset)
    {
        if isPresent(.train, in: folder) {
            let train = try load(.train, folder: folder)
            let test = try load(.test, folder: folder)
            return (shuffled(train, name: "MNIST train split"), shuffled(test, name: "MNIST test split"))
        }
        let test = try load(.test, folder: folder)
        return test.split(validationCount: carvedValidationCount(testCount: test.count), seed: splitSeed)
    }

    /// Training, validation and test parts from the MNIST files in `folder`, for a lesson that
    /// reports on a test set it never looked at (the paper's protocol).
    ///
    /// - With the training files: validation = the first `validationCount` digits of the training
    ///   split in its fixed shuffle (seed `splitSeed`), training = the rest of it (55,000 with the
    ///   default 5,000), test = the 10,000 digits of the test split, in its fixed shuffle too (so
    ///   that a prefix of it is a uniform sample: the file has its easier half first).
    /// - With only the test files: the split of `trainingAndValidation` (8,000 training, 2,000
    ///   validation digits of the test split), and the test set is that validation part: there is
    ///   nothing else left to test on. `hasTrainingSplit` is false, and a lesson says so.
    public static func trainingValidationAndTest(folder: String = defaultFolder, validationCount: Int = 5000) throws
        -> (train: DigitDataset, validation: DigitDataset, test: DigitDataset, hasTrainingSplit: Bool)
    {
        checkPrecondition(validationCount >= 0, "MNIST.trainingValidationAndTest: negative validation count")
        guard isPresent(.train, in: folder) else {
            let (train, validation) = try trainingAndValidation(folder: folder)
            return (train, validation, validation, false)
        }
        let train = try load(.train, folder: folder)
        let test = try load(.test, folder: folder)
        let order = shuffled(train, name: "MNIST training split")
        let held = min(validationCount, order.count)
        return (order.subset(Array(held..<order.count), name: "MNIST training split, training part"),
                order.subset(Array(0..<held), name: "MNIST training split, held-out part"),
                shuffled(test, name: "MNIST test split"), true)
    }

    /// `dataset` in the fixed order `permutation(count)` of seed `splitSeed`.
    static func shuffled(_ dataset: DigitDataset, name: String) -> DigitDataset {
        var cursor = StreamCursor(seed: splitSeed, stream: DigitDataset.splitStream)
        return dataset.subset(cursor.permutation(dataset.count), name: name)
    }
}
