import Foundation

/// Reads the files of the E2E challenge's scorer (`measure_scores.py`), all UTF-8, and pairs
/// each output with its references.
///
/// ```swift
/// let input = try E2EScorerInput.load(hypotheses: "outputs.csv", references: "testset_w_refs.csv")
/// let scores = E2EScores(hypotheses: input.hypotheses, references: input.references)
/// ```
///
/// Formats (`Format`; `.auto` picks by the name's extension, `.csv`, `.tsv`, anything else text):
///
/// - **text** hypotheses: one output per line (an empty line is an empty output; the newline that
///   ends the last line does not start another). Text references: one reference per line, the
///   references of one instance on consecutive lines and instances separated by blank lines; a
///   file without any blank line holds one reference per instance. (One instance of several
///   references is therefore written with a blank line after it; the challenge's scorer, which
///   splits any single group into one-reference instances, reads such a file differently.)
/// - **csv**: two columns, MR and sentence (`mr,ref` for references, `mr,output` for outputs); a
///   header line whose first field starts with `mr` (and holds no `[`) is skipped. RFC 4180
///   (`CSVReader`): a field in double quotes may contain commas, line breaks and `""` for a quote.
///   The E2E release's `testset_w_refs.csv` is such a file.
/// - **tsv**: the challenge scorer's `mr<TAB>sentence` lines: exactly one tab per non-empty line,
///   surrounding white space and one quote at either end of a field removed, as it removes them.
///
/// References with MRs (csv, tsv) form one instance per MR, all its rows wherever they are, in
/// the order each MR first appears. Outputs with MRs are paired with the references **by MR** when
/// the references have MRs too: an output for an MR the references lack, two outputs for one MR,
/// or an MR of the references without an output is an error naming the MR. Otherwise outputs and
/// instances are paired by position, and their counts must agree. MRs are compared as E2E MRs
/// (`name[A], food[Thai]` equals `food[Thai],name[A]`) when they parse as such, else as text.
///
/// `-` reads standard input (only one of the two files can); named pipes, `/dev/stdin` and
/// `<(…)` are read to their end (`InputFile`). Lines and fields are stripped of surrounding white
/// space, as the challenge's scorer strips them; `\r\n` and a lone `\r` end lines as `\n` does; a
/// byte-order mark at the start is ignored.
///
/// Every problem is one ``DataFileError`` naming the file: missing, a folder, unreadable, empty,
/// not UTF-8 (with the byte and line), a malformed CSV or TSV row, an MR that does not pair, or
/// output and instance counts that differ (both counts given, and how the instances were formed).
public enum E2EScorerInput {
    /// What the scorer reads: one hypothesis per instance and its references.
    public struct Instances: Sendable, Equatable {
        public var hypotheses: [String]
        public var references: [[String]]
        /// Whether outputs met their references by MR (both files had MRs) or by position.
        public var pairedByMR = false
    }

    /// How a file is read.
    public enum Format: String, CaseIterable, Sendable {
        /// By the name's extension: `.csv`, `.tsv`, anything else (and `-`) text.
        case auto, text, csv, tsv

        /// The format `path` is read in.
        func resolved(for path: String) -> Format {
            guard self == .auto else { return self }
            let lower = path.lowercased()
            return lower.hasSuffix(".csv") ? .csv : lower.hasSuffix(".tsv") ? .tsv : .text
        }
    }

    static let formatHelp = "HYPS has one output per line (or mr,output rows of a .csv, mr<TAB>output lines of a .tsv); "
        + "REFS has references one per line with instances separated by blank lines, or mr,ref rows of a .csv or .tsv"

    /// One output, with its MR when the file gives MRs.
    struct Output {
        var text: String
        var mr: String?
        var line: Int
    }

    /// The instances of a references file, with their MRs when the file gives MRs, and a phrase
    /// saying how the instances were formed (for a count mismatch).
    struct ReferenceInstances {
        var references: [[String]]
        var mrs: [String]?
        var grouping: String
    }

    /// Reads both files and pairs outputs with reference instances (by MR when both have MRs).
    public static func load(
        hypotheses hypothesesPath: String, references referencesPath: String,
        hypothesesFormat: Format = .auto, referencesFormat: Format = .auto
    ) throws -> Instances {
        if hypothesesPath == "-" && referencesPath == "-" {
            throw DataFileError(path: "-", problem: "both files are standard input",
                                fix: "read one of HYPS and REFS from standard input, the other from a file")
        }
        let outputs = try readOutputs(hypothesesPath, format: hypothesesFormat)
        let instances = try readInstances(referencesPath, format: referencesFormat)
        return try pair(outputs, hypothesesName: displayName(hypothesesPath), instances,
                        referencesName: displayName(referencesPath))
    }

    /// `load` on bytes already in memory (the fuzzer's way in); the names stand for the files in
    /// errors, the formats must not be `.auto`.
    static func load(hypotheses: [UInt8], _ hypothesesFormat: Format, references: [UInt8], _ referencesFormat: Format,
                     names: (String, String)) throws -> Instances {
        try pair(try outputs(try text(hypotheses, name: names.0), name: names.0, format: hypothesesFormat), hypothesesName: names.0,
                 try instances(try text(references, name: names.1), name: names.1, format: referencesFormat), referencesName: names.1)
    }

    /// Outputs met with instances: by MR when both sides have MRs, else by position.
    static func pair(_ outputs: [Output], hypothesesName: String, _ instances: ReferenceInstances,
                     referencesName: String) throws -> Instances {
        if let mrs = instances.mrs, outputs.allSatisfy({ $0.mr != nil }) {
            return try pairByMR(outputs, hypothesesName: hypothesesName, instances: instances.references, mrs: mrs,
                                referencesName: referencesName)
        }
        guard outputs.count == instances.references.count else {
            throw DataFileError(
                path: hypothesesName,
                problem: "\(outputs.count) hypotheses, but \(referencesName) has \(instances.references.count) reference "
                    + "instance\(instances.references.count == 1 ? "" : "s") (\(instances.grouping))",
                fix: "give one output per instance, in the order of the references")
        }
        return Instances(hypotheses: outputs.map(\.text), references: instances.references)
    }

    /// The hypotheses of a file.
    public static func readHypotheses(_ path: String, format: Format = .auto) throws -> [String] {
        try readOutputs(path, format: format).map(\.text)
    }

    /// The reference instances of a file.
    public static func readReferences(_ path: String, format: Format = .auto) throws -> [[String]] {
        try readInstances(path, format: format).references
    }

    // MARK: Reading

    static func readOutputs(_ path: String, format: Format) throws -> [Output] {
        try outputs(try readText(path, role: "hypotheses"), name: displayName(path), format: format.resolved(for: path))
    }

    static func readInstances(_ path: String, format: Format) throws -> ReferenceInstances {
        try instances(try readText(path, role: "references"), name: displayName(path), format: format.resolved(for: path))
    }

    /// The outputs of a hypotheses file's text in `format`.
    static func outputs(_ text: String, name: String, format: Format) throws -> [Output] {
        switch format {
        case .csv: return try csvPairs(text, name: name).map { Output(text: $0.text, mr: $0.mr, line: $0.line) }
        case .tsv: return try tsvPairs(text, name: name).map { Output(text: $0.text, mr: $0.mr, line: $0.line) }
        case .text, .auto:
            var lines = text.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            return lines.enumerated().map { Output(text: stripped($0.element), mr: nil, line: $0.offset + 1) }
        }
    }

    /// The reference instances of a references file's text in `format`.
    static func instances(_ text: String, name: String, format: Format) throws -> ReferenceInstances {
        guard format == .text || format == .auto else {
            let pairs = format == .csv ? try csvPairs(text, name: name) : try tsvPairs(text, name: name)
            var references: [[String]] = [], mrs: [String] = [], index: [String: Int] = [:]
            for pair in pairs {
                let key = mrKey(pair.mr)
                if let k = index[key] {
                    references[k].append(pair.text)
                } else {
                    index[key] = references.count
                    references.append([pair.text])
                    mrs.append(key)
                }
            }
            return ReferenceInstances(references: references, mrs: mrs,
                                      grouping: "its \(pairs.count) rows grouped by MR: \(mrs.count) distinct MRs")
        }
        var lines = text.components(separatedBy: "\n").map(stripped)
        if lines.last == "" { lines.removeLast() }  // the newline ending the last line
        guard lines.contains("") else {
            return ReferenceInstances(references: lines.map { [$0] }, mrs: nil,
                                      grouping: "it has no blank line, so each line is an instance of one reference")
        }
        var instances: [[String]] = [], current: [String] = []
        for line in lines {
            if line.isEmpty {
                if !current.isEmpty { instances.append(current) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { instances.append(current) }
        return ReferenceInstances(references: instances, mrs: nil, grouping: "blank lines separate its instances")
    }

    /// Outputs met with the instances of the same MR, in the references' order.
    static func pairByMR(
        _ outputs: [Output], hypothesesName: String, instances: [[String]], mrs: [String], referencesName: String
    ) throws -> Instances {
        let wanted = Set(mrs)
        var outputOf: [String: Output] = [:]
        for output in outputs {
            let key = mrKey(output.mr ?? "")
            guard wanted.contains(key) else {
                throw DataFileError(
                    path: "\(hypothesesName):\(output.line)", problem: "an output for MR '\(shown(key))', which \(referencesName) does not have",
                    fix: "score outputs against the references of the same MRs")
            }
            if let earlier = outputOf[key] {
                throw DataFileError(
                    path: "\(hypothesesName):\(output.line)",
                    problem: "a second output for MR '\(shown(key))' (the first is on line \(earlier.line))",
                    fix: "give one output per MR")
            }
            outputOf[key] = output
        }
        let missing = mrs.filter { outputOf[$0] == nil }
        if let first = missing.first {
            throw DataFileError(
                path: hypothesesName,
                problem: "no output for MR '\(shown(first))' of \(referencesName)"
                    + (missing.count > 1 ? " (nor for \(missing.count - 1) more of its \(mrs.count) MRs)" : ""),
                fix: "give one output for every MR of the references")
        }
        return Instances(hypotheses: mrs.map { outputOf[$0]!.text }, references: instances, pairedByMR: true)
    }

    // MARK: Text

    static func stripped(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The name of `path` in messages: "standard input" for `-`.
    static func displayName(_ path: String) -> String { path == "-" ? InputFile.standardInputName : path }

    /// How MRs are compared: the canonical text of an E2E MR (attribute order and spacing do not
    /// matter), else the text with its white space collapsed.
    static func mrKey(_ text: String) -> String {
        if let mr = try? MeaningRepresentation(parsing: text) { return mr.description }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// An MR for a message: at most 80 characters.
    static func shown(_ mr: String) -> String { mr.count <= 80 ? mr : String(mr.prefix(77)) + "…" }

    /// The file's text, checked: present, readable, UTF-8, not blank. Line ends become `\n`.
    static func readText(_ path: String, role: String) throws -> String {
        let bytes = try InputFile.read(path, streams: true, missing: "check the path of the \(role) file", role: "\(role) file")
        return try text(bytes, name: displayName(path))
    }

    /// `bytes` as text: UTF-8, not blank; line ends become `\n`.
    static func text(_ bytes: [UInt8], name: String) throws -> String {
        let text = try decodeUTF8(bytes, path: name)
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw DataFileError(path: name, problem: "the file is empty", fix: formatHelp)
        }
        return text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
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

    // MARK: CSV and TSV

    /// Whether a first row is a header: its first field starts with `mr` and is not an MR.
    static func isHeader(_ firstField: String) -> Bool {
        let field = stripped(firstField).lowercased()
        return field.hasPrefix("mr") && !field.contains("[")
    }

    /// The `(mr, text)` rows of a two-column CSV file, without its header, with their lines.
    static func csvPairs(_ text: String, name: String) throws -> [(mr: String, text: String, line: Int)] {
        var rows: [CSVReader.Record]
        do {
            rows = try CSVReader.records(Array(text.utf8))
        } catch let problem as CSVReader.Problem {
            throw DataFileError(path: name, problem: "line \(problem.line): \(problem.message)",
                                fix: "write RFC 4180 CSV: quote fields that contain commas, and write a quote inside a quoted field as \"\"")
        }
        if let first = rows.first?.fields.first, isHeader(first) { rows.removeFirst() }
        var pairs: [(mr: String, text: String, line: Int)] = []
        for row in rows {
            if row.fields.count == 1 && stripped(row.fields[0]).isEmpty { continue }  // a blank line
            guard row.fields.count == 2 else {
                throw DataFileError(
                    path: name, problem: "line \(row.line) has \(row.fields.count) fields, expected 2 (mr and the sentence)",
                    fix: "write two columns, mr,ref, and quote fields that contain commas")
            }
            pairs.append((stripped(row.fields[0]), stripped(row.fields[1]), row.line))
        }
        guard !pairs.isEmpty else {
            throw DataFileError(path: name, problem: "has a header but no rows", fix: formatHelp)
        }
        return pairs
    }

    /// The `(mr, text)` lines of a TSV file as the challenge's scorer reads them: empty lines
    /// skipped, exactly one tab on every other line, each field stripped of white space and of one
    /// quote at either end; a header line (first field `mr…`) skipped.
    static func tsvPairs(_ text: String, name: String) throws -> [(mr: String, text: String, line: Int)] {
        func unquoted(_ field: Substring) -> String {
            var s = stripped(String(field))
            if s.first == "\"" || s.first == "'" { s = stripped(String(s.dropFirst())) }
            if s.last == "\"" || s.last == "'" { s = stripped(String(s.dropLast())) }
            return s
        }
        var pairs: [(mr: String, text: String, line: Int)] = []
        var first = true
        for (index, line) in text.components(separatedBy: "\n").enumerated() where !stripped(line).isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw DataFileError(
                    path: name, problem: "line \(index + 1) has \(fields.count - 1) tabs, expected 1 (mr<TAB>sentence)",
                    fix: "write one MR, a tab and one sentence per line")
            }
            defer { first = false }
            if first && isHeader(String(fields[0])) { continue }
            pairs.append((unquoted(fields[0]), unquoted(fields[1]), index + 1))
        }
        guard !pairs.isEmpty else {
            throw DataFileError(path: name, problem: "has a header but no rows", fix: formatHelp)
        }
        return pairs
    }
}
