import Foundation
import Testing

@testable import NOLAKit

/// Random damage to valid E2E CSV files and to `e2e-score`'s input files (text, CSV and TSV
/// outputs; text, CSV and TSV references), fed to `E2EFile` and to `E2EScorerInput`: every case
/// must be read or rejected with one line naming the file, never trap, never hang (a second of
/// CPU time at most) — the loop of `ReaderFuzzTests`. Cases that read are also scored: finite
/// inputs must give finite scores.
///
/// Besides the byte-level damage of `ReaderFuzzTests` (bit flips, overwrites, truncation,
/// garbage), the mutations here know text: a quote, comma, tab, `\r`, `\n` or bracket put in
/// (or taken out) at random, lines duplicated, swapped or deleted, a byte-order mark or a lone
/// `\r` in the middle, invalid UTF-8, a line of 20,000 characters, an MR's attribute renamed.
///
/// `NOLA_FUZZ_CASES=N swift test --filter TextReaderFuzzTests` runs N cases per reader (default
/// 2,000 each); `NOLA_FUZZ_SEED` and `NOLA_FUZZ_TRACE` work as in `ReaderFuzzTests`.
@Suite("Text readers under random damage (fuzzing)")
struct TextReaderFuzzTests {
    typealias Dice = ReaderFuzzTests.Dice

    // MARK: Samples

    /// Valid E2E files: LF and CRLF line ends, quoted MRs with commas, a quote written `""`, a
    /// reference over two lines, rows of one MR apart, a byte-order mark.
    static let e2eSamples: [(name: String, bytes: [UInt8])] = {
        let rows = "mr,ref\n"
            + "\"name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate]\",\"The Eagle, a French coffee shop.\"\n"
            + "\"name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate]\",\"They say \"\"moderate\"\" prices.\"\n"
            + "\"name[Aromi], area[riverside], familyFriendly[yes], customer rating[5 out of 5]\",\"Aromi is by the river,\nfor families.\"\n"
            + "\"name[Blue Spice], near[Burger King]\",Blue Spice is near Burger King.\n"
            + "\"name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate]\",The Eagle again.\n"
        return [("lf", Array(rows.utf8)),
                ("crlf", Array(rows.replacingOccurrences(of: "\n", with: "\r\n").utf8)),
                ("bom", [0xEF, 0xBB, 0xBF] + Array(rows.utf8))]
    }()

    /// Valid scorer inputs: (outputs, their format, references, their format).
    static let scorerSamples: [(name: String, hypotheses: [UInt8], hypothesesFormat: E2EScorerInput.Format,
                                references: [UInt8], referencesFormat: E2EScorerInput.Format)] = {
        let mrs = ["name[The Eagle], food[French]", "name[Aromi], area[riverside]", "name[Blue Spice]"]
        let outputs = ["The Eagle serves French food.", "Aromi, by the river.", "Blue Spice."]
        let textHyps = outputs.joined(separator: "\n") + "\n"
        let csvHyps = "mr,output\n" + zip(mrs, outputs).reversed().map { "\"\($0)\",\"\($1)\"" }.joined(separator: "\n") + "\n"
        let tsvHyps = zip(mrs, outputs).map { "\($0)\t\($1)" }.joined(separator: "\n") + "\n"
        let textRefs = "The Eagle has French food.\nA French place, The Eagle.\n\nAromi is by the river.\n\nBlue Spice it is.\n\n"
        let csvRefs = "mr,ref\n\"\(mrs[0])\",The Eagle has French food.\n\"\(mrs[1])\",\"Aromi, by the river.\"\n"
            + "\"\(mrs[2])\",Blue Spice it is.\n\"\(mrs[0])\",\"A French place, \"\"The Eagle\"\".\"\n"
        let tsvRefs = "\(mrs[0])\tThe Eagle has French food.\n\(mrs[1])\t'Aromi, by the river.'\n\(mrs[2])\tBlue Spice.\n"
        func b(_ s: String) -> [UInt8] { Array(s.utf8) }
        return [("text-text", b(textHyps), .text, b(textRefs), .text),
                ("csv-csv", b(csvHyps), .csv, b(csvRefs), .csv),
                ("tsv-csv", b(tsvHyps), .tsv, b(csvRefs), .csv),
                ("text-tsv", b(textHyps), .text, b(tsvRefs), .tsv),
                ("csv-tsv", b(csvHyps), .csv, b(tsvRefs), .tsv),
                ("tsv-text", b(tsvHyps), .tsv, b(textRefs), .text)]
    }()

    // MARK: Mutations

    /// Bytes that mean something to these readers.
    static let specials: [[UInt8]] = [[0x22], [0x2C], [0x09], [0x0D], [0x0A], [0x0D, 0x0A], [0x5B], [0x5D], [0x27], [0x20],
                                      [0x00], [0xFF], [0xC3], [0xEF, 0xBB, 0xBF], [0x22, 0x22], [0x0A, 0x0A]]

    /// The line ranges of `bytes` (without their `\n`).
    static func lines(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = [], start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            ranges.append(start..<i)
            start = i + 1
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        return ranges
    }

    static func mutateText(_ original: [UInt8], _ dice: inout Dice) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + dice.below(3)) {
            switch dice.below(11) {
            case 0: ReaderFuzzTests.flipBits(&bytes, &dice)
            case 1: ReaderFuzzTests.overwrite(&bytes, &dice)
            case 2: ReaderFuzzTests.truncate(&bytes, &dice)
            case 3: ReaderFuzzTests.append(&bytes, &dice)
            case 4:  // a special byte (or two) put in
                bytes.insert(contentsOf: dice.pick(specials), at: dice.below(bytes.count + 1))
            case 5 where !bytes.isEmpty:  // a special byte taken out
                let positions = bytes.indices.filter { [0x22, 0x2C, 0x09, 0x0A, 0x0D, 0x5B, 0x5D].contains(bytes[$0]) }
                if !positions.isEmpty { bytes.remove(at: dice.pick(positions)) }
            case 6:  // a line duplicated
                let all = lines(bytes)
                if !all.isEmpty {
                    let line = dice.pick(all)
                    bytes.insert(contentsOf: bytes[line] + [0x0A], at: line.lowerBound)
                }
            case 7:  // a line deleted, or two swapped
                let all = lines(bytes)
                if all.count >= 2 {
                    let a = dice.pick(all), b = dice.pick(all)
                    if dice.chance(50) || a == b {
                        bytes.removeSubrange(a.lowerBound..<min(bytes.count, a.upperBound + 1))
                    } else {
                        let (first, second) = a.lowerBound < b.lowerBound ? (a, b) : (b, a)
                        if first.upperBound <= second.lowerBound {
                            let swapped = Array(bytes[second]) + bytes[first.upperBound..<second.lowerBound] + Array(bytes[first])
                            bytes.replaceSubrange(first.lowerBound..<second.upperBound, with: swapped)
                        }
                    }
                }
            case 8:  // a very long line
                bytes.insert(contentsOf: [UInt8](repeating: dice.pick([0x61, 0x22, 0x2C, 0x20]), count: dice.pick([1_000, 20_000])),
                             at: dice.below(bytes.count + 1))
            case 9:  // an attribute renamed, a bracket broken: the letters and spaces before a `[`
                let brackets = bytes.indices.filter { bytes[$0] == 0x5B }
                if !brackets.isEmpty {
                    let end = dice.pick(brackets)
                    var start = end
                    while start > 0 && end - start < 30
                        && (bytes[start - 1] == 0x20 || (bytes[start - 1] | 0x20) >= 0x61 && (bytes[start - 1] | 0x20) <= 0x7A) {
                        start -= 1
                    }
                    let replacement = dice.pick(["nam[", "parking[", "[", "name[name[", "customer  rating[", "Name["])
                    bytes.replaceSubrange(start...end, with: Array(replacement.utf8))
                }
            default:  // all line ends changed
                let kind = dice.below(3)
                var out: [UInt8] = []
                for b in bytes where b != 0x0D {
                    if b == 0x0A { out += kind == 0 ? [0x0D] : kind == 1 ? [0x0D, 0x0A] : [0x0A, 0x0A] } else { out.append(b) }
                }
                bytes = out
            }
        }
        return bytes
    }

    // MARK: The readers

    @Test("E2E CSV reader (E2EFile): random damage is read or rejected in one line")
    func e2eFile() {
        let tally = ReaderFuzzTests.fuzz(count: ReaderFuzzTests.cases, stream: 3, samples: Self.e2eSamples, mutate: Self.mutateText) {
            bytes in
            do {
                let data = try E2EFile.parse(bytes, path: "fuzz.csv", name: "fuzz")
                // What was read is usable: MRs with at least one non-empty reference each.
                if data.examples.contains(where: { $0.references.isEmpty || $0.references.contains(where: \.isEmpty) }) {
                    Issue.record("an example without references was read")
                }
                return nil
            } catch {
                return error
            }
        }
        #expect(tally.rejected > 0 && tally.accepted > 0, "\(tally)")
    }

    @Test("e2e-score's readers (text, CSV, TSV; pairing by MR or position): random damage is read or rejected in one line")
    func scorerInput() {
        // Each sample twice: outputs damaged, then references damaged.
        let samples = Self.scorerSamples.flatMap { s in
            [(name: s.name + "/hyps", bytes: s.hypotheses), (name: s.name + "/refs", bytes: s.references)]
        }
        var index = 0
        let tally = ReaderFuzzTests.fuzz(count: ReaderFuzzTests.cases, stream: 4, samples: samples, mutate: Self.mutateText) {
            bytes in
            let sample = Self.scorerSamples[(index / 2) % Self.scorerSamples.count]
            let damagedOutputs = index % 2 == 0
            index += 1
            do {
                let input = try E2EScorerInput.load(
                    hypotheses: damagedOutputs ? bytes : sample.hypotheses, sample.hypothesesFormat,
                    references: damagedOutputs ? sample.references : bytes, sample.referencesFormat,
                    names: ("fuzz-hyps", "fuzz-refs"))
                guard input.hypotheses.count == input.references.count, input.references.allSatisfy({ !$0.isEmpty }) else {
                    Issue.record("read, but \(input.hypotheses.count) outputs for \(input.references.count) instances")
                    return nil
                }
                let scores = E2EScores(hypotheses: input.hypotheses, references: input.references)
                for score in [scores.bleu.score, scores.nist.score, scores.rougeL.score, scores.cider.score] where !score.isFinite {
                    Issue.record("a score came out as \(score)")
                }
                return nil
            } catch {
                return error
            }
        }
        #expect(tally.rejected > 0 && tally.accepted > 0, "\(tally)")
    }
}
