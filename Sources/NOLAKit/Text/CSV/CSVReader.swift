/// A reader for comma-separated values as RFC 4180 defines them, in UTF-8.
///
/// - Records end with `\r\n` or `\n` (E2E's dev file uses the first, its test file the second),
///   or with a lone `\r` (old Mac files; Python's csv module reads them too); the last record may
///   lack one. Empty lines are skipped.
/// - Fields are separated by `,`. A field that starts with `"` is quoted: it runs to the next
///   lone `"`, may hold commas and line breaks, and writes a quote as `""`. After its closing
///   quote only `,` or the end of the record may follow.
/// - An unquoted field may not contain `"`.
/// - A UTF-8 byte-order mark at the very start is skipped.
///
/// Problems are `CSVReader.Problem`s that name the line (1-based; a record's line is where it
/// starts) and what is wrong; file readers turn them into a `DataFileError`. A quote left open
/// in the middle of a file swallows the line breaks after it until the next `"`; the problem
/// then shows where that next quote is followed by text, and is blamed on the line where the
/// field opened, the one to fix.
public enum CSVReader {
    /// One record: its fields and the line it starts on.
    public struct Record: Equatable, Sendable {
        public let line: Int
        public let fields: [String]

        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    /// Something the reader cannot read, on `line`.
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The records of `bytes`, in order. Throws a `Problem` for text that is not UTF-8, an
    /// unbalanced quote, a quote in an unquoted field, or text after a closing quote.
    public static func records(_ bytes: [UInt8]) throws -> [Record] {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, newline: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D
        if let bad = firstInvalidUTF8Offset(bytes) {
            throw Problem(line: 1 + bytes[..<bad].count(where: { $0 == newline }), message: "not UTF-8 text (byte \(bad))")
        }
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var records: [Record] = []
        let n = bytes.count

        /// The length of the line break at `i` (`\n`, `\r\n` or a lone `\r`), 0 when there is none.
        func lineBreak(at i: Int) -> Int {
            guard i < n else { return 0 }
            if bytes[i] == newline { return 1 }
            if bytes[i] == carriageReturn { return i + 1 < n && bytes[i + 1] == newline ? 2 : 1 }
            return 0
        }

        /// Whether a record ends at `i` (a line break or the end), moving past the line break.
        func atRecordEnd() -> Bool {
            if i == n { return true }
            let length = lineBreak(at: i)
            guard length > 0 else { return false }
            i += length
            line += 1
            return true
        }

        while i < n {
            let recordLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            while true {
                field.removeAll(keepingCapacity: true)
                quoted = i < n && bytes[i] == quote
                let openLine = line
                if quoted {
                    i += 1
                    while true {
                        guard i < n else {
                            throw Problem(line: openLine, message: "a quoted field is never closed (unbalanced \")")
                        }
                        if bytes[i] == quote {
                            if i + 1 < n && bytes[i + 1] == quote {
                                field.append(quote)
                                i += 2
                                continue
                            }
                            i += 1
                            break
                        }
                        let length = lineBreak(at: i)
                        if length > 0 {
                            field += bytes[i..<(i + length)]
                            i += length
                            line += 1
                            continue
                        }
                        field.append(bytes[i])
                        i += 1
                    }
                } else {
                    while i < n && bytes[i] != comma && lineBreak(at: i) == 0 {
                        if bytes[i] == quote {
                            throw Problem(line: line, message: "a \" inside an unquoted field (quote the whole field and write \" as \"\")")
                        }
                        field.append(bytes[i])
                        i += 1
                    }
                }
                fields.append(String(decoding: field, as: UTF8.self))
                if i < n && bytes[i] == comma {
                    i += 1
                    continue
                }
                guard atRecordEnd() else {
                    if quoted && line > openLine {
                        throw Problem(line: openLine, message: "a quoted field opens here and is not closed on this line: "
                            + "the next \" is on line \(line) and text follows it (a closing \" is probably missing on line \(openLine))")
                    }
                    throw Problem(line: line, message: "text after a closing quote (a field's \" must be written \"\")")
                }
                break
            }
            if fields.count == 1 && fields[0].isEmpty && !quoted { continue }  // an empty line
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, or `nil` when
    /// all of `bytes` is UTF-8.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
