import Foundation

/// Reads the files of the E2E challenge's scorer (`measure_scores.py`), all UTF-8:
///
/// - **hypotheses**: one output per line (an empty line is an empty output; the newline that ends
///   the last line does not start another); or a `.csv` file with two columns, MR and output.
/// - **references**: one reference per line, the references of one instance on consecutive lines
///   and instances separated by blank lines (a file without blank lines holds one reference per
///   instance); or a `.csv` file with `mr,ref` columns (a header line whose first field starts
///   with `mr` is skipped), where consecutive rows with the same MR are the references of one
///   instance — the E2E release's `testset_w_refs.csv` is such a file.
///
/// Lines and fields are stripped of surrounding whitespace, as the challenge's scorer strips
/// them. CSV follows RFC 4180: fields separated by commas, a field in double quotes may contain
/// commas, line breaks and `""` for a quote. A byte-order mark at the start is ignored.
///
/// Every problem is one ``DataFileError`` naming the file: missing, a folder, unreadable, empty,
/// not UTF-8 (with the byte and line), a malformed CSV row, or hypothesis and reference counts
/// that differ (both counts given).
public enum E2EScorerInput {
    /// What the scorer reads: one hypothesis per instance and its references.
    public struct Instances: Sendable, Equatable {
        public var hypotheses: [String]
        public var references: [[String]]
    }

    static let formatHelp = "HYPS has one output per line; REFS has references one per line with instances "
        + "separated by blank lines, or is a CSV file with mr,ref columns"

    /// Reads both files and checks that they describe the same number of instances.
    public static func load(hypotheses hypothesesPath: String, references referencesPath: String) throws -> Instances {
        let hypotheses = try readHypotheses(hypothesesPath)
        let references = try readReferences(referencesPath)
        guard hypotheses.count == references.count else {
            throw DataFileError(
                path: hypothesesPath,
                problem: "\(hypotheses.count) hypotheses, but \(referencesPath) has \(references.count) reference instances",
                fix: "give one output per instance, in the order of the references")
        }
        return Instances(hypotheses: hypotheses, references: references)
    }

    /// The hypotheses of a text or `.csv` file.
    public static func readHypotheses(_ path: String) throws -> [String] {
        let text = try readText(path, role: "hypotheses")
        if isCSV(path) { return try mrTextPairs(text, path: path).map(\.text) }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines.map(stripped)
    }

    /// The reference instances of a text or `.csv` file.
    public static func readReferences(_ path: String) throws -> [[String]] {
        let text = try readText(path, role: "references")
        var instances: [[String]] = []
        if isCSV(path) {
            var lastMR: String?
            for pair in try mrTextPairs(text, path: path) {
                if pair.mr == lastMR { instances[instances.count - 1].append(pair.text) } else { instances.append([pair.text]) }
                lastMR = pair.mr
            }
        } else {
            var current: [String] = []
            for line in text.components(separatedBy: "\n").map(stripped) {
                if line.isEmpty {
                    if !current.isEmpty { instances.append(current) }
                    current = []
                } else {
                    current.append(line)
                }
            }
            if !current.isEmpty { instances.append(current) }
            // No blank line at all: one reference per line, each its own instance.
            if instances.count == 1 { instances = instances[0].map { [$0] } }
        }
        guard !instances.isEmpty else {
            throw DataFileError(path: path, problem: "has no references", fix: formatHelp)
        }
        return instances
    }

    // MARK: Text

    static func isCSV(_ path: String) -> Bool { path.lowercased().hasSuffix(".csv") }

    static func stripped(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The file's text, checked: present, a file, readable, UTF-8, not blank. `\r\n` becomes `\n`.
    static func readText(_ path: String, role: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DataFileError(path: path, problem: "not found", fix: "check the path of the \(role) file")
        }
        guard !isFolder.boolValue else {
            throw DataFileError(path: path, problem: "is a folder, not a file", fix: "give the \(role) file itself")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(path: path, problem: "cannot be read", fix: "check its permissions")
        }
        let text = try decodeUTF8([UInt8](data), path: path)
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw DataFileError(path: path, problem: "the file is empty", fix: formatHelp)
        }
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// `bytes` as UTF-8 text without a leading byte-order mark, or an error naming the first bad byte.
    static func decodeUTF8(_ bytes: [UInt8], path: String) throws -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var scalars = String.UnicodeScalarView()
        var input = CountingIterator(base: body.makeIterator())
        var decoder = UTF8()
        var line = 1, goodBytes = 0
        while true {
            switch decoder.decode(&input) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                if scalar == "\n" { line += 1 }
                goodBytes = input.consumed
            case .emptyInput:
                return String(scalars)
            case .error:
                throw DataFileError(
                    path: path, problem: "not valid UTF-8 (byte \(body.startIndex + goodBytes) of the file, line \(line))",
                    fix: "save the file as UTF-8")
            }
        }
    }

    /// A byte iterator that counts what it has handed out (to locate a decoding error).
    struct CountingIterator: IteratorProtocol {
        var base: ArraySlice<UInt8>.Iterator
        var consumed = 0
        mutating func next() -> UInt8? {
            guard let b = base.next() else { return nil }
            consumed += 1
            return b
        }
    }

    // MARK: CSV

    /// The `(mr, text)` rows of a two-column CSV file, without its header.
    static func mrTextPairs(_ text: String, path: String) throws -> [(mr: String, text: String)] {
        var rows = try csvRecords(text, path: path)
        if let first = rows.first, first.fields.first.map({ stripped($0).lowercased().hasPrefix("mr") }) == true {
            rows.removeFirst()
        }
        var pairs: [(mr: String, text: String)] = []
        for row in rows {
            if row.fields.count == 1 && stripped(row.fields[0]).isEmpty { continue }  // a blank line
            guard row.fields.count == 2 else {
                throw DataFileError(
                    path: path, problem: "line \(row.line) has \(row.fields.count) fields, expected 2 (mr and the sentence)",
                    fix: "write two columns, mr,ref, and quote fields that contain commas")
            }
            pairs.append((stripped(row.fields[0]), stripped(row.fields[1])))
        }
        guard !pairs.isEmpty else {
            throw DataFileError(path: path, problem: "has a header but no rows", fix: formatHelp)
        }
        return pairs
    }

    /// The records of a CSV file (`CSVReader`, RFC 4180), each with the line it starts on.
    static func csvRecords(_ text: String, path: String) throws -> [(line: Int, fields: [String])] {
        do {
            return try CSVReader.records(Array(text.utf8)).map { ($0.line, $0.fields) }
        } catch let problem as CSVReader.Problem {
            throw DataFileError(path: path, problem: "line \(problem.line): \(problem.message)",
                                fix: "write RFC 4180 CSV: quote fields that contain commas, and write a quote inside a quoted field as \"\"")
        }
    }
}
