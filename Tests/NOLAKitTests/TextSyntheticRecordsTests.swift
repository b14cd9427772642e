import Foundation
import Testing

@testable import NOLAKit

/// The records of other domains that lesson 12's base reads in pretraining (`SyntheticRecords`).
@Suite("Text: synthetic records of other domains")
struct TextSyntheticRecordsTests {
    static let seed = E2EBaseModel.recordSeed

    @Test("known answers: the first records of the lesson's seed, and a checksum of 200")
    func knownAnswers() {
        let records = SyntheticRecords.generate(count: 200, seed: Self.seed)
        #expect(records[0].record == "name[Yusra Lindqvist], nationality[Estonian], birthYear[1808], knownFor[field guides], married[yes]")
        #expect(records[0].text == "There is a person called Yusra Lindqvist who was born in 1808, is married and is famous for field guides. Lindqvist is Estonian.")
        #expect(records[2].record == "name[Falstad], country[Croatia], region[the west], population[58,630], founded[1001]")
        #expect(records[2].text == "Falstad is in Croatia. The town is in the west and was founded in 1001. It has 58,630 inhabitants.")
        let text = records.map { $0.record + "\n" + $0.text }.joined(separator: "\n")
        #expect(String(BasisSeeds.fnv1a64(text), radix: 16) == "202b767a153ab330")
    }

    @Test("deterministic, a prefix of a larger set, other seeds differ")
    func determinism() {
        let ten = SyntheticRecords.generate(count: 10, seed: 3)
        #expect(SyntheticRecords.generate(count: 4, seed: 3) == Array(ten.prefix(4)))
        #expect(SyntheticRecords.generate(count: 10, seed: 3) == ten)
        #expect(SyntheticRecords.generate(count: 10, seed: 4) != ten)
        #expect(SyntheticRecords.generate(count: 0, seed: 3).isEmpty)
    }

    @Test("every record: its subject and at least two more attributes, each value said in the text, no E2E attribute")
    func saysEveryValue() {
        let yesNo: Set<String> = ["married", "colour", "sequel", "coastal", "series"]
        let e2eKeys = Set(E2EAttribute.allCases.map(\.rawValue)).subtracting(["name"])
        for example in SyntheticRecords.generate(count: 2000, seed: 11) {
            #expect(example.pairs.count >= 3, "\(example.record)")
            #expect(example.record == example.pairs.map { "\($0.key)[\($0.value)]" }.joined(separator: ", "))
            #expect(example.text.hasSuffix(".") && example.text.first?.isUppercase == true, "\(example.text)")
            for pair in example.pairs {
                #expect(!e2eKeys.contains(pair.key), "an E2E attribute: \(pair.key)")
                if yesNo.contains(pair.key) {
                    #expect(["yes", "no"].contains(pair.value))
                } else if pair.key == "children" && ["0", "1"].contains(pair.value) {
                    #expect(example.text.contains(pair.value == "0" ? "no children" : "1 child") || example.text.contains("one child"))
                } else {
                    #expect(example.text.contains(pair.value), "\(pair.key)[\(pair.value)] not said in: \(example.text)")
                }
            }
        }
    }

    @Test("a yes/no value changes the phrase: 'is in colour' against 'is in black and white'")
    func yesNo() {
        #expect(SyntheticRecords.phrases("colour", "yes").allSatisfy { $0.contains("colour") })
        #expect(SyntheticRecords.phrases("colour", "no").allSatisfy { $0.contains("black and white") })
        #expect(Set(SyntheticRecords.phrases("coastal", "yes")).isDisjoint(with: SyntheticRecords.phrases("coastal", "no")))
        #expect(SyntheticRecords.withThousands(1234567) == "1,234,567" && SyntheticRecords.withThousands(999) == "999")
    }

    @Test("pretraining documents of records: [begin] record [sep] text [end], packed within the context, all of them in order")
    func documents() throws {
        let records = SyntheticRecords.generate(count: 40, seed: 2)
        let tokenizer = try BPETokenizer.train(on: records.flatMap { [$0.record, $0.text] }, vocabularySize: 400)
        let context = 400  // longer than any one record here: none is cut
        let documents = E2EBaseModel.recordDocuments(records, tokenizer: tokenizer, context: context)
        #expect(documents.allSatisfy { $0.count <= context + 1 && $0.first == BPETokenizer.begin && $0.last == BPETokenizer.end })
        #expect(documents.count < records.count, "records are packed, several to a document")
        let pairs = records.map { tokenizer.encodePair(source: $0.record, target: $0.text).tokens }
        #expect(documents.flatMap { $0 } == pairs.flatMap { $0 })
    }
}
