import Foundation

/// The E2E NLG dataset's CSV files (`devset.csv`, `testset_w_refs.csv`, `trainset.csv`).
///
/// Format: UTF-8 CSV (`CSVReader`: RFC 4180 quoting with `""`), a header line `mr,ref`, then
/// one row per reference: the MR's text (`MeaningRepresentation`) and one sentence. An MR has
/// several rows, usually but not necessarily adjacent. References are trimmed of white space
/// at both ends (one of the dev set's has a trailing space).
public enum E2EFile {
    /// The fix for a damaged E2E file.
    static let downloadAgain = "download the E2E dataset again (see data/README.md)"

    /// The rows of the file at `path`, grouped by MR in the order each MR first appears, each
    /// MR with all its references in file order.
    ///
    /// Throws a `DataFileError` whose description is one line naming the file, and the line for
    /// problems inside it (`data/e2e/devset.csv:17: malformed MR "…": …; download …`): a missing
    /// or unreadable file, a folder or a named pipe in its place (`InputFile`), text that is not UTF-8, a missing or wrong header, an unbalanced
    /// quote, a row without exactly two fields, a malformed MR, an empty reference, no rows.
    public static func read(path: String, name: String? = nil) throws -> E2EDataset {
        let bytes = try InputFile.read(
            path, missing: "put the E2E files there (see data/README.md), or run with --data synthetic", role: "E2E CSV file")
        return try parse(bytes, path: path, name: name ?? "E2E \((path as NSString).lastPathComponent)")
    }

    /// `read(path:)` on bytes already in memory; `path` names the file in errors.
    public static func parse(_ bytes: [UInt8], path: String, name: String) throws -> E2EDataset {
        func damaged(_ line: Int, _ problem: String) -> DataFileError {
            DataFileError(path: "\(path):\(line)", problem: problem, fix: downloadAgain)
        }
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(bytes)
        } catch let problem as CSVReader.Problem {
            throw damaged(problem.line, problem.message)
        }
        guard let header = records.first else {
            throw DataFileError(path: path, problem: "is empty (expected a header line 'mr,ref' and rows)", fix: downloadAgain)
        }
        guard header.fields.map({ MeaningRepresentation.trimmed($0).lowercased() }) == ["mr", "ref"] else {
            let shown = header.fields.joined(separator: ",").prefix(60)
            throw damaged(header.line, "the header is '\(shown)', expected 'mr,ref'")
        }
        guard records.count > 1 else {
            throw DataFileError(path: path, problem: "has a header but no rows", fix: downloadAgain)
        }

        var examples: [(mr: MeaningRepresentation, references: [String])] = []
        var indexOf: [MeaningRepresentation: Int] = [:]
        for record in records.dropFirst() {
            guard record.fields.count == 2 else {
                throw damaged(record.line, "\(record.fields.count) fields, expected 2 (mr,ref)")
            }
            let mr: MeaningRepresentation
            do {
                mr = try MeaningRepresentation(parsing: record.fields[0])
            } catch let error as MeaningRepresentationError {
                throw damaged(record.line, "\(error)")
            }
            let reference = MeaningRepresentation.trimmed(record.fields[1])
            guard !reference.isEmpty else { throw damaged(record.line, "the reference is empty") }
            if let k = indexOf[mr] {
                examples[k].references.append(reference)
            } else {
                indexOf[mr] = examples.count
                examples.append((mr, [reference]))
            }
        }
        return E2EDataset(name: name, examples: examples.map { E2EExample(mr: $0.mr, references: $0.references) })
    }
}
