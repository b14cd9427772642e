import Foundation
import Testing
@testable import NOLAKit

/// The e2e-score file formats (those of the challenge's measure_scores.py) and every kind of bad
/// input, each of which must be one line naming the file.
@Suite("Text metrics: scorer input")
struct TextMetricsScorerInputTests {
    /// Writes `files` (name → bytes) into a new temporary folder and returns the folder.
    func folder(_ files: [String: [UInt8]]) throws -> String {
        let path = try DataTestSupport.temporaryFolder("scorer")
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name)) }
        return path
    }

    func folder(text files: [String: String]) throws -> String { try folder(files.mapValues { Array($0.utf8) }) }

    /// The error thrown by `body`, checked to be one line.
    func error(_ body: () throws -> Void) -> DataFileError? {
        do {
            try body()
            Issue.record("expected a DataFileError, nothing was thrown")
        } catch let error as DataFileError {
            #expect(!error.description.contains("\n"), "one line: \(error)")
            return error
        } catch {
            Issue.record("expected a DataFileError, got \(error)")
        }
        return nil
    }

    // MARK: Valid files

    @Test("text references: blank lines separate instances (runs of them, CRLF, surrounding space)")
    func textReferences() throws {
        let dir = try folder(text: ["refs.txt": "\n  A pub.  \r\nThe pub.\r\n\r\n\r\nA cafe.\n\nA bar.\nThe bar.\n\n"])
        #expect(try E2EScorerInput.readReferences(dir + "/refs.txt") == [["A pub.", "The pub."], ["A cafe."], ["A bar.", "The bar."]])
    }

    @Test("text references without blank lines: one reference per instance")
    func singleReferencePerLine() throws {
        let dir = try folder(text: ["refs.txt": "One.\nTwo.\nThree."])
        #expect(try E2EScorerInput.readReferences(dir + "/refs.txt") == [["One."], ["Two."], ["Three."]])
    }

    @Test("hypotheses: one per line; the final newline ends the last line; an empty line is an empty output")
    func hypotheses() throws {
        let dir = try folder(text: ["a.txt": "One.\n\n  Three. \n", "b.txt": "One.\nTwo."])
        #expect(try E2EScorerInput.readHypotheses(dir + "/a.txt") == ["One.", "", "Three."])
        #expect(try E2EScorerInput.readHypotheses(dir + "/b.txt") == ["One.", "Two."])
    }

    @Test("CSV references: header skipped, RFC 4180 quoting, all rows of one MR form an instance, adjacent or not")
    func csvReferences() throws {
        let csv = "mr,ref\r\n"
            + "\"name[A], food[Thai]\",\"A, a Thai place.\"\r\n"
            + "\"name[A], food[Thai]\",\"She said \"\"good\"\".\"\r\n"
            + "name[B],Plain text\r\n"
            + "\"food[Thai],name[A]\",\"Line one\nline two\"\r\n"
            + "\r\n"
        let dir = try folder(text: ["refs.csv": csv])
        #expect(try E2EScorerInput.readReferences(dir + "/refs.csv") == [
            ["A, a Thai place.", "She said \"good\".", "Line one\nline two"], ["Plain text"],
        ])
    }

    @Test("text references of one instance, then a blank line: one instance (was split into one-reference instances)")
    func oneInstance() throws {
        let dir = try folder(text: ["one.txt": "A pub.\nThe pub.\n\n", "lines.txt": "A pub.\nThe pub.\n",
                                    "written.txt": E2EDecoding.referencesFile([["A pub.", "The pub."]])])
        #expect(try E2EScorerInput.readReferences(dir + "/one.txt") == [["A pub.", "The pub."]])
        #expect(try E2EScorerInput.readReferences(dir + "/lines.txt") == [["A pub."], ["The pub."]])
        // What lesson 12 writes as references.txt reads back, one instance too.
        #expect(try E2EScorerInput.readReferences(dir + "/written.txt") == [["A pub.", "The pub."]])
    }

    @Test("TSV (the challenge scorer's mr<TAB>sentence): quotes and white space stripped, a header skipped, rows grouped by MR")
    func tsv() throws {
        let dir = try folder(text: [
            "refs.tsv": "mr\tref\nname[A]\t \"A pub.\" \n\nname[B]\t'A cafe.'\r\nname[A]\tThe pub.\n",
            "hyps.tsv": "name[B]\tA cafe.\nname[A]\tA pub.\n",
        ])
        #expect(try E2EScorerInput.readReferences(dir + "/refs.tsv") == [["A pub.", "The pub."], ["A cafe."]])
        let input = try E2EScorerInput.load(hypotheses: dir + "/hyps.tsv", references: dir + "/refs.tsv")
        #expect(input.pairedByMR)
        #expect(input.hypotheses == ["A pub.", "A cafe."])
        #expect(input.references == [["A pub.", "The pub."], ["A cafe."]])
    }

    @Test("outputs with MRs meet the references of the same MR; an unknown, doubled or missing MR is named")
    func pairingByMR() throws {
        let refs = "mr,ref\n\"name[A], food[Thai]\",A Thai place.\nname[B],A pub.\n"
        let dir = try folder(text: [
            "refs.csv": refs,
            "swapped.csv": "mr,output\nname[B],A pub.\n\"food[Thai], name[A]\",A Thai place.\n",
            "unknown.csv": "mr,output\nname[B],A pub.\nname[C],Who?\n",
            "twice.csv": "mr,output\nname[B],A pub.\nname[B],Again.\n",
            "missing.csv": "mr,output\nname[B],A pub.\n",
            "plain.txt": "A Thai place.\nA pub.\n",
        ])
        let swapped = try E2EScorerInput.load(hypotheses: dir + "/swapped.csv", references: dir + "/refs.csv")
        #expect(swapped.pairedByMR && swapped.hypotheses == ["A Thai place.", "A pub."])
        #expect(error { _ = try E2EScorerInput.load(hypotheses: dir + "/unknown.csv", references: dir + "/refs.csv") }?.path
            == dir + "/unknown.csv:3")
        #expect(error { _ = try E2EScorerInput.load(hypotheses: dir + "/twice.csv", references: dir + "/refs.csv") }?.problem
            == "a second output for MR 'name[B]' (the first is on line 2)")
        #expect(error { _ = try E2EScorerInput.load(hypotheses: dir + "/missing.csv", references: dir + "/refs.csv") }?.problem
            == "no output for MR 'name[A], food[Thai]' of \(dir)/refs.csv")
        let plain = try E2EScorerInput.load(hypotheses: dir + "/plain.txt", references: dir + "/refs.csv")
        #expect(!plain.pairedByMR && plain.hypotheses == ["A Thai place.", "A pub."])
        // The format can be given: a .txt read as CSV (one field a line) is then an error.
        #expect(error { _ = try E2EScorerInput.readHypotheses(dir + "/plain.txt", format: .csv) }?.problem
            == "line 1 has 1 fields, expected 2 (mr and the sentence)")
    }

    @Test("CSV hypotheses: the second column; a byte-order mark is ignored")
    func csvHypotheses() throws {
        let dir = try folder(["hyps.csv": [0xEF, 0xBB, 0xBF] + Array("MR,output\n\"x[1]\",First.\n\"x[2]\",\"Second, too.\"\n".utf8)])
        #expect(try E2EScorerInput.readHypotheses(dir + "/hyps.csv") == ["First.", "Second, too."])
    }

    @Test("the real E2E test set: 630 instances, 4,693 references",
          .enabled(if: TextMetricsReferenceTools.e2eFolder != nil, "skipped: no E2E data on this machine"))
    func realTestSet() throws {
        let refs = try E2EScorerInput.readReferences(TextMetricsReferenceTools.e2eFolder! + "/testset_w_refs.csv")
        #expect(refs.count == 630)
        #expect(refs.reduce(0) { $0 + $1.count } == 4_693)
        #expect(refs[0] == ["A coffee shop in the city centre area called Blue Spice.", "Blue Spice is a coffee shop in city centre."])
    }

    @Test("load pairs hypotheses with reference instances")
    func load() throws {
        let dir = try folder(text: ["h.txt": "A pub.\nA cafe.\n", "r.txt": "A pub.\nThe pub.\n\nA cafe.\n"])
        let input = try E2EScorerInput.load(hypotheses: dir + "/h.txt", references: dir + "/r.txt")
        #expect(input.hypotheses == ["A pub.", "A cafe."])
        #expect(input.references == [["A pub.", "The pub."], ["A cafe."]])
    }

    // MARK: Bad input

    @Test("count mismatch names both files and both counts")
    func countMismatch() throws {
        let dir = try folder(text: ["h.txt": "A pub.\nA cafe.\nA bar.\n", "r.txt": "A pub.\n\nA cafe.\n"])
        let e = error { _ = try E2EScorerInput.load(hypotheses: dir + "/h.txt", references: dir + "/r.txt") }
        #expect(e?.path == dir + "/h.txt")
        #expect(e?.problem.contains("3 hypotheses") == true && e?.problem.contains("2 reference instances") == true)
        #expect(e?.problem.contains(dir + "/r.txt") == true)
    }

    @Test("missing file, folder, empty file, blank file")
    func missingAndEmpty() throws {
        let dir = try folder(["empty.txt": [], "blank.txt": Array(" \n\n\t\n".utf8)])
        #expect(error { _ = try E2EScorerInput.readHypotheses(dir + "/nope.txt") }?.problem == "not found")
        #expect(error { _ = try E2EScorerInput.readReferences(dir) }?.problem == "is a folder, not a file")
        #expect(error { _ = try E2EScorerInput.readHypotheses(dir + "/empty.txt") }?.problem == "the file is empty")
        #expect(error { _ = try E2EScorerInput.readReferences(dir + "/blank.txt") }?.problem == "the file is empty")
    }

    @Test("invalid UTF-8: the byte and the line are named")
    func invalidUTF8() throws {
        // "ok\nbad " then a lone continuation byte 0x80 at byte 7, on line 2.
        let dir = try folder(["h.txt": Array("ok\nbad ".utf8) + [0x80] + Array(" text\n".utf8),
                              "latin1.txt": [0x63, 0x61, 0x66, 0xE9, 0x0A]])
        let e = error { _ = try E2EScorerInput.readHypotheses(dir + "/h.txt") }
        #expect(e?.problem == "not valid UTF-8 (byte 7 of the file, line 2)")
        #expect(e?.fix == "save the file as UTF-8")
        #expect(error { _ = try E2EScorerInput.readHypotheses(dir + "/latin1.txt") }?.problem
            == "not valid UTF-8 (byte 3 of the file, line 1)")
    }

    @Test("malformed CSV: wrong number of fields, an unclosed quote, text after a closing quote, header only")
    func badCSV() throws {
        let dir = try folder(text: [
            "three.csv": "mr,ref\nx[1],a,b\n",
            "open.csv": "mr,ref\n\"x[1]\",\"never closed\n",
            "after.csv": "mr,ref\n\"x[1]\" junk,a\n",
            "header.csv": "mr,ref\n",
        ])
        #expect(error { _ = try E2EScorerInput.readReferences(dir + "/three.csv") }?.problem
            == "line 2 has 3 fields, expected 2 (mr and the sentence)")
        #expect(error { _ = try E2EScorerInput.readReferences(dir + "/open.csv") }?.problem.hasPrefix("line 2: a quoted field is never closed") == true)
        #expect(error { _ = try E2EScorerInput.readReferences(dir + "/after.csv") }?.problem.hasPrefix("line 2: text after a closing quote") == true)
        #expect(error { _ = try E2EScorerInput.readReferences(dir + "/header.csv") }?.problem == "has a header but no rows")
    }

    // MARK: Whole pipeline

    @Test("E2EScores: case and tokenisation as the challenge's scorer does them")
    func scoresPipeline() {
        // Identical up to case and spacing: every metric is perfect for that instance; the
        // challenge lower-cases (both back ends) and tokenises before comparing.
        let same = E2EScores(hypotheses: ["THE EAGLE,a pub."], references: [["the eagle , a pub ."]])
        #expect(same.bleu.score == 1)
        #expect(same.rougeL.score == 1)
        // mteval's tokens: the eagle , a pub . → 6.
        #expect(same.bleu.hypothesisLength == 6)
        // One instance: every n-gram has df = N = 1, so every CIDEr weight is 0 (ln 1 − ln 1).
        #expect(same.cider.score == 0)
        #expect(same.instances == 1 && same.referenceCount == 1)
    }

    @Test("prepared references give the same scores as scoring from scratch, for several systems")
    func preparedReferences() {
        let refs = [["The Eagle is a pub.", "The Eagle is a bar near the river."], ["A cheap cafe.", "It is a cafe, cheap."],
                    ["Near Burger King, a family-friendly pub."]]
        let prepared = E2EScores.References(refs)
        for hyps in [["The Eagle is a pub.", "A cafe.", "A pub near Burger King."], ["x", "", "The Eagle is a pub."]] {
            let a = E2EScores(hypotheses: hyps, references: prepared), b = E2EScores(hypotheses: hyps, references: refs)
            #expect(a.bleu.score == b.bleu.score && a.nist.score == b.nist.score)
            #expect(a.rougeL.score == b.rougeL.score && a.cider.score == b.cider.score)
            #expect(a.bleu.score > 0 || hyps[0] == "x")
        }
    }
}
