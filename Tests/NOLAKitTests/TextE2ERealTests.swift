import Foundation
import Testing
@testable import NOLAKit

/// The reader on the real E2E NLG training, dev and test files. These tests need the files; they
/// look in `<root>/data/e2e`, `$NOLA_E2E_DIR`, `<root>/../shared/data/e2e`, `/work/shared/data/e2e`
/// (see `TextTestSupport.e2eFolder`) and are skipped, with that reason shown by the test runner,
/// when none holds `trainset.csv`, `devset.csv` and `testset_w_refs.csv`.
@Suite(
    "Real E2E NLG training, dev and test files",
    .enabled(
        if: TextTestSupport.e2eFolder != nil,
        "skipped: E2E's trainset.csv, devset.csv and testset_w_refs.csv are not in data/e2e, $NOLA_E2E_DIR, ../shared/data/e2e or /work/shared/data/e2e (see data/README.md)"))
struct TextE2ERealTests {
    var folder: String { TextTestSupport.e2eFolder! }

    @Test("dev: 4,672 rows of 547 MRs; test: 4,693 rows of 630 MRs; first and last MRs as in the files")
    func counts() throws {
        let dev = try E2EFile.read(path: folder + "/devset.csv")
        #expect(dev.rowCount == 4672 && dev.count == 547)
        #expect(dev.examples[0].mr.description == "name[Alimentum], area[city centre], familyFriendly[no]")
        #expect(dev.examples[0].references.count == 6)
        #expect(dev.examples[0].references[0] == "There is a place in the city centre, Alimentum, that is not family-friendly.")
        #expect(dev.examples.last?.references.count == 9)
        // The one reference with quotes inside ("" in the file).
        #expect(dev.sentences.contains { $0.hasPrefix("A highly rated coffee shop \"The Punter\" serving") })

        let test = try E2EFile.read(path: folder + "/testset_w_refs.csv")
        #expect(test.rowCount == 4693 && test.count == 630)
        #expect(test.examples[0].mr.description == "name[Blue Spice], eatType[coffee shop], area[city centre]")
        #expect(test.examples[0].references == ["A coffee shop in the city centre area called Blue Spice.", "Blue Spice is a coffee shop in city centre."])
        #expect(test.examples.map(\.references.count).max() == 45)
        // Every MR's canonical text is the text in the file (E2E writes them canonically).
        #expect(test.examples.allSatisfy { (try? MeaningRepresentation(parsing: $0.mr.description)) == $0.mr })
    }

    @Test("E2EData: the paper's splits — train 4,862 MRs, validation 547, test 630 in file order, no MR in two parts")
    func data() throws {
        let data = try E2EData.load(.e2e(folder: folder))
        #expect(data.train.count == 4862 && data.train.rowCount == 42061)
        #expect(data.validation.count == 547 && data.validation.rowCount == 4672)
        #expect(data.test.count == 630 && data.test.rowCount == 4693)
        #expect(data.test == (try E2EFile.read(path: folder + "/testset_w_refs.csv", name: "E2E test set")))
        let parts = [data.train, data.validation, data.test].map { Set($0.examples.map(\.mr)) }
        #expect(parts[0].isDisjoint(with: parts[1]) && parts[0].isDisjoint(with: parts[2]) && parts[1].isDisjoint(with: parts[2]))
        // The training and validation MRs in a fixed shuffled order: the same in every run, not the file's.
        let again = try E2EData.load(.e2e(folder: folder))
        #expect(again.train == data.train && again.validation == data.validation)
        #expect(data.train.examples[0].mr.description != "name[The Vaults], eatType[pub], priceRange[more than £30], customer rating[5 out of 5], near[Café Adriatic]")
        #expect(data.pretrainingCorpus.count == data.train.rowCount)
        // Every test restaurant is named in the training split (9 of the 18 in the dev split).
        #expect(data.testNamesInTraining == (18, 18))
    }

    @Test("the tokenizer trained on the training part round-trips every sentence and MR of the three files")
    func tokenizer() throws {
        let data = try E2EData.load(.e2e(folder: folder))
        let tokenizer = try BPETokenizer.train(on: Array(data.tokenizerCorpus.prefix(8000)), vocabularySize: 2048)
        #expect(tokenizer.vocabularySize > 1500 && tokenizer.vocabularySize <= 2048)
        for set in [data.train, data.validation, data.test] {
            for example in set.examples {
                for text in example.references + [example.mr.description] {
                    #expect(try tokenizer.decodeBytes(tokenizer.encode(text)) == Array(text.utf8))
                }
            }
        }
    }

    @Test("a damaged copy of the dev file is one line naming the line")
    func damagedCopy() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/devset.csv")))
        // Remove the closing quote of row 100's MR: the quote then runs on through the file.
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        let start = lines[..<99].reduce(0) { $0 + $1.count + 1 }
        let close = try #require(bytes[(start + 1)...].firstIndex(of: 0x22))
        bytes.remove(at: close)
        let folder = try DataTestSupport.temporaryFolder()
        let path = try DataTestSupport.write(bytes, "devset.csv", in: folder)
        do {
            _ = try E2EFile.read(path: path)
            Issue.record("read a damaged file")
        } catch {
            #expect("\(error)".hasPrefix(path + ":"), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }
}
