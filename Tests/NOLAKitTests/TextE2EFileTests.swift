import Foundation
import Testing
@testable import NOLAKit

@Suite("E2E CSV files, splits and sources")
struct TextE2EFileTests {
    static let small = """
        mr,ref\r
        "name[Cotto], eatType[pub], area[riverside]","Cotto is a pub by the river."\r
        "name[Zizzi], food[Italian], near[Café Rouge]",Zizzi serves Italian food near Café Rouge. \r
        "name[Cotto], eatType[pub], area[riverside]","There is a pub, Cotto, in the riverside area; it's called ""Cotto""."\r
        "name[Zizzi],food[Italian],near[Café Rouge]","Near Café Rouge, Zizzi has Italian food."\r

        """

    @Test("rows grouped by MR in order of first appearance, references in file order and trimmed")
    func grouping() throws {
        let folder = try DataTestSupport.temporaryFolder()
        let path = try TextTestSupport.write(Self.small, "small.csv", in: folder)
        let set = try E2EFile.read(path: path)
        #expect(set.name == "E2E small.csv")
        #expect(set.count == 2 && set.rowCount == 4)
        #expect(set.examples[0].mr.description == "name[Cotto], eatType[pub], area[riverside]")
        #expect(set.examples[0].references == [
            "Cotto is a pub by the river.", "There is a pub, Cotto, in the riverside area; it's called \"Cotto\".",
        ])
        #expect(set.examples[1].references == ["Zizzi serves Italian food near Café Rouge.", "Near Café Rouge, Zizzi has Italian food."])
        #expect(set.sentences.count == 4 && set.pairs.count == 4)
        #expect(set.pairs[2].mr == set.examples[1].mr && set.pairs[2].reference == set.examples[1].references[0])
    }

    /// Writes `text` as a file and returns the one-line error reading it gives.
    static func errorReading(_ text: String) throws -> (path: String, message: String) {
        let folder = try DataTestSupport.temporaryFolder()
        let path = try TextTestSupport.write(text, "bad.csv", in: folder)
        do {
            _ = try E2EFile.read(path: path)
            return (path, "")
        } catch let error as DataFileError {
            return (path, error.description)
        }
    }

    @Test("damaged files are one line naming the file, the line and the fix", arguments: [
        ("", "", "is empty"),
        ("mr,ref\n", "", "has a header but no rows"),
        ("mr,reference\n\"name[A]\",x\n", ":1", "the header is 'mr,reference'"),
        ("\"name[A], area[riverside]\",A is by the river.\n", ":1", "expected 'mr,ref'"),
        ("mr,ref\n\"name[A]\",\"unclosed\n", ":2", "never closed"),
        ("mr,ref\n\"name[A]\",ok\n\"name[B]\",one,two\n", ":3", "3 fields, expected 2"),
        ("mr,ref\n\"name[A]\"\n", ":2", "1 fields, expected 2"),
        ("mr,ref\n\"name[A]\",ok\n\"nom[B]\",x\n", ":3", "unknown attribute 'nom'"),
        ("mr,ref\n\"name[A\",x\n", ":2", "malformed MR"),
        ("mr,ref\n\"name[A]\",\"  \"\n", ":2", "the reference is empty"),
    ])
    func damaged(text: String, location: String, expected: String) throws {
        let (path, message) = try Self.errorReading(text)
        #expect(message.hasPrefix(path + location + ": "), "\(message)")
        #expect(message.contains(expected), "\(message)")
        #expect(message.contains("data/README.md") && !message.contains("\n"), "\(message)")
    }

    @Test("a file that is not UTF-8 names its line; a missing file says where to get it")
    func notUTF8AndMissing() throws {
        let folder = try DataTestSupport.temporaryFolder()
        let path = try DataTestSupport.write(Array("mr,ref\n\"name[A]\",ok\n\"name[B]\",".utf8) + [0xE9] + [0x0A], "latin1.csv", in: folder)
        #expect(throws: DataFileError.self) { try E2EFile.read(path: path) }
        do { _ = try E2EFile.read(path: path) } catch {
            #expect("\(error)".hasPrefix(path + ":3: not UTF-8 text"), "\(error)")
        }
        let missing = folder + "/nothing.csv"
        do { _ = try E2EFile.read(path: missing) } catch {
            #expect("\(error)" == "\(missing): not found; put the E2E files there (see data/README.md), or run with --data synthetic")
        }
    }

    // MARK: Splits and sources

    @Test("the split is by MR: disjoint, complete, 10 % for validation, fixed by its seed")
    func split() {
        let set = E2EDataset(name: "s", examples: SyntheticRestaurants.generate(count: 547, seed: 4))
        let (train, validation) = set.split(seed: 7)
        #expect(train.count == 492 && validation.count == 55)
        let trainMRs = Set(train.examples.map(\.mr)), validationMRs = Set(validation.examples.map(\.mr))
        #expect(trainMRs.isDisjoint(with: validationMRs))
        #expect(trainMRs.union(validationMRs) == Set(set.examples.map(\.mr)))
        #expect(train.rowCount + validation.rowCount == set.rowCount)
        let again = set.split(seed: 7), other = set.split(seed: 8)
        #expect(again.train == train && again.validation == validation)
        #expect(other.validation != validation)
        #expect(train.name == "s, training part" && validation.name == "s, validation part")
        #expect([0, 1, 2, 10, 547].map { E2EDataset.validationCount(for: $0, fraction: 0.1) } == [0, 0, 1, 1, 55])
        #expect(E2EDataset.validationCount(for: 547, fraction: 0) == 0)
        #expect(set.prefix(3).count == 3 && set.prefix(1000) == set && set.prefix(-1).count == 0)
    }

    @Test("--data values name the two sources")
    func sources() {
        #expect(E2ESource(argument: "synthetic", seed: 3) == .synthetic(seed: 3))
        #expect(E2ESource(argument: "E2E", seed: 3) == .e2e(folder: "data/e2e"))
        #expect(E2ESource(argument: "mnist", seed: 3) == nil)
        #expect(E2ESource.argumentValues.map { E2ESource(argument: $0, seed: 1)!.description } == E2ESource.argumentValues)
    }

    @Test("synthetic data: the real splits' MR counts, disjoint parts, the same for the same seed")
    func syntheticData() throws {
        let data = try E2EData.load(.synthetic(seed: 2))
        #expect(data.train.count == 492 && data.validation.count == 55 && data.test.count == 630)
        let parts = [data.train, data.validation, data.test].map { Set($0.examples.map(\.mr)) }
        #expect(parts[0].isDisjoint(with: parts[1]) && parts[0].isDisjoint(with: parts[2]) && parts[1].isDisjoint(with: parts[2]))
        #expect(data.pretrainingCorpus == data.train.sentences)
        #expect(!data.pretrainingCorpus.contains { $0.contains("[") })
        let again = try E2EData.load(.synthetic(seed: 2))
        #expect(again.train == data.train && again.test == data.test)
        #expect(try E2EData.load(.synthetic(seed: 3)).test != data.test)
        #expect(data.tokenizerCorpus.count == data.train.rowCount + data.train.count)
    }

    @Test("--data e2e without the files: one line with the folder, where to get them and the way out")
    func missingRealData() throws {
        let folder = try DataTestSupport.temporaryFolder()
        #expect(!E2EData.isPresent(folder: folder))
        do {
            _ = try E2EData.load(.e2e(folder: folder))
            Issue.record("loaded E2E from an empty folder")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix(folder + ": "))
            #expect(message.contains("devset.csv") && message.contains("testset_w_refs.csv"))
            #expect(message.contains("data/README.md") && message.contains("--data synthetic") && !message.contains("\n"))
        }
    }
}
