import Foundation

extension E2EData {
    /// The E2E NLG Challenge's three splits as published: train on `trainset.csv` (42,061 rows,
    /// 4,862 MRs), validate on `devset.csv` (547 MRs), test on `testset_w_refs.csv` (630 MRs), each
    /// in file order. (`load(.e2e(folder:))` splits the dev set instead, for the lessons whose data
    /// folder lacks the training file.) Throws a one-line `DataFileError` naming the missing or
    /// damaged file and what to do.
    public static func loadWithTrainingSplit(folder: String) throws -> E2EData {
        let trainFile = "trainset.csv"
        let missing = [trainFile, devFileName, testFileName].filter {
            !FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0))
        }
        guard missing.isEmpty else {
            throw DataFileError(
                path: folder, problem: "E2E NLG files not found (missing \(missing.joined(separator: ", ")) in this folder)",
                fix: "download them into it as data/README.md explains, or run with --data synthetic")
        }
        func read(_ file: String, _ name: String) throws -> E2EDataset {
            try E2EFile.read(path: (folder as NSString).appendingPathComponent(file), name: name)
        }
        return E2EData(train: try read(trainFile, "E2E training set"), validation: try read(devFileName, "E2E dev set"),
                       test: try read(testFileName, "E2E test set"), source: .e2e(folder: folder))
    }
}
