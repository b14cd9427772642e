import Testing
@testable import NOLAKit

@Suite("CSV reader (RFC 4180)")
struct TextCSVTests {
    static func read(_ text: String) throws -> [CSVReader.Record] { try CSVReader.records(Array(text.utf8)) }

    @Test("plain and quoted fields, \"\" escapes, commas and line breaks inside quotes, both line ends")
    func fields() throws {
        let text = "mr,ref\r\n\"a, b\",\"say \"\"hi\"\"\"\nplain,\"two\nlines\"\n\"\",last"
        let records = try Self.read(text)
        #expect(records.map(\.fields) == [["mr", "ref"], ["a, b", "say \"hi\""], ["plain", "two\nlines"], ["", "last"]])
        #expect(records.map(\.line) == [1, 2, 3, 5])
    }

    @Test("a byte-order mark is skipped, empty lines are skipped, an empty field is kept")
    func edges() throws {
        #expect(try CSVReader.records([0xEF, 0xBB, 0xBF] + Array("mr,ref\n".utf8)).map(\.fields) == [["mr", "ref"]])
        #expect(try Self.read("a,b\n\n\r\nc,\n").map(\.fields) == [["a", "b"], ["c", ""]])
        #expect(try Self.read("a,b\n\n\r\nc,\n").map(\.line) == [1, 4])
        #expect(try Self.read("").isEmpty)
        #expect(try Self.read("\"\"\n").map(\.fields) == [[""]])  // a quoted empty field is a record
        #expect(try Self.read("x\ry,z").map(\.fields) == [["x"], ["y", "z"]])  // a lone CR ends a line (old Mac files)
        #expect(try Self.read("é,£\n").map(\.fields) == [["é", "£"]])
    }

    @Test("CR-only line ends (issue 27: blamed on a quote at line 1): records and lines as with LF")
    func carriageReturnLines() throws {
        let text = "mr,ref\r\"a, b\",c\r\rd,\"two\rlines\"\re,f"
        let records = try Self.read(text)
        #expect(records.map(\.fields) == [["mr", "ref"], ["a, b", "c"], ["d", "two\rlines"], ["e", "f"]])
        #expect(records.map(\.line) == [1, 2, 4, 6])
    }

    @Test("damage is a problem naming the line", arguments: [
        ("a,b\n\"open,b\nc,d\n", 2, "never closed"),
        ("a,b\nsay \"hi\",b\n", 2, "inside an unquoted field"),
        ("a,b\n\"x\"y,b\n", 2, "text after a closing quote"),
        // A quote left open on line 3 runs to the quote that opens line 4: the line to fix is 3.
        ("a,b\nc,d\n\"multi\nline\"x,y\n", 3, "closing \" is probably missing on line 3"),
        ("mr,ref\n\"name[A]\",\"A is good.\n\"name[B]\",B.\n", 2, "the next \" is on line 3"),
    ])
    func damaged(text: String, line: Int, expected: String) {
        #expect(throws: CSVReader.Problem.self) { try Self.read(text) }
        do {
            _ = try Self.read(text)
        } catch let problem as CSVReader.Problem {
            #expect(problem.line == line, "\(problem)")
            #expect(problem.message.contains(expected), "\(problem)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("bytes that are not UTF-8 are a problem on their line")
    func notUTF8() {
        let bytes = Array("mr,ref\nok,fine\nbad,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        #expect(throws: CSVReader.Problem(line: 3, message: "not UTF-8 text (byte 19)")) { try CSVReader.records(bytes) }
        #expect(CSVReader.firstInvalidUTF8Offset(Array("héllo 👋".utf8)) == nil)
        #expect(CSVReader.firstInvalidUTF8Offset([0x41, 0xFF]) == 1)
        #expect(CSVReader.firstInvalidUTF8Offset([0x41, 0xE2, 0x82]) == 1)  // cut-off character
    }
}
