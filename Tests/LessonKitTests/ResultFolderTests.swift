import Foundation
import LessonKit
import NOLAKit
import Testing

/// The folder of finished runs that lets a long sweep resume (lesson 15's `--full`), its job
/// shares, and the sentence that says which digits a lesson used.
@Suite("Result folders, job shares and data provenance")
struct ResultFolderTests {
    struct Result: Codable, Equatable {
        var accuracy: Double
        var steps: [Int]
    }

    static func temporaryRoot() -> String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("nola-results-\(UUID().uuidString)")
    }

    @Test("a saved result reads back; another configuration, a missing or damaged file read as absent")
    func roundTrip() throws {
        let root = Self.temporaryRoot()
        let folder = try ResultFolder(root: root, configuration: ["epochs": "2", "data": "mnist"])
        #expect(folder.load("nola-seed1", as: Result.self) == nil)
        try folder.save(Result(accuracy: 0.9, steps: [1, 2]), as: "nola-seed1")
        #expect(folder.load("nola-seed1", as: Result.self) == Result(accuracy: 0.9, steps: [1, 2]))
        // The same configuration in another order of keys is the same folder.
        #expect(try ResultFolder(root: root, configuration: ["data": "mnist", "epochs": "2"]).url == folder.url)
        let other = try ResultFolder(root: root, configuration: ["epochs": "3", "data": "mnist"])
        #expect(other.url != folder.url && other.load("nola-seed1", as: Result.self) == nil)
        try Data("{ not json".utf8).write(to: folder.file("lora-seed1"))
        #expect(folder.load("lora-seed1", as: Result.self) == nil)
        let stored = try String(contentsOf: folder.file("nola-seed1"), encoding: .utf8)
        #expect(stored.contains("codeVersion") && stored.contains("\"epochs\" : \"2\""))
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("configuration.json").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).allSatisfy { !$0.hasSuffix(".tmp") })
    }

    @Test("a folder that cannot be made: one line naming it and the option")
    func unwritable() throws {
        let root = Self.temporaryRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let file = (root as NSString).appendingPathComponent("afile")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        do {
            _ = try ResultFolder(root: file, configuration: ["a": "b"])
            Issue.record("a results folder under a file should not be made")
        } catch {
            #expect("\(error)".contains("afile") && "\(error)".contains("--results") && !"\(error)".contains("\n"))
        }
    }

    @Test("job shares: i/n takes every n-th job from the i-th, and the shares cover the sweep once")
    func shares() {
        let share = { (text: String) in try? JobShare(parsing: text) }
        #expect(share("2/3").map { s in (0..<9).filter { s.contains($0) } } == [1, 4, 7])
        #expect(share("1/1") == JobShare.all)
        for bad in ["0/2", "3/2", "2", "a/b", "1/0", "/", ""] { #expect(share(bad) == nil, "\(bad)") }
        let covered = (1...4).flatMap { i in (0..<10).filter { share("\(i)/4")!.contains($0) } }
        #expect(covered.sorted() == Array(0..<10))
    }

    @Test("provenance: says which split trained and which tested")
    func provenance() throws {
        let synthetic = try DigitSource.synthetic.loadSplits(trainCount: 20, validationCount: 10, testCount: 10, seed: 4)
        #expect(synthetic.provenance.hasPrefix("Synthetic digits of seed 4: 20 train, 10 others validate"))
        let trained = DigitSplits(train: synthetic.train, validation: synthetic.validation, test: synthetic.test,
                                  origin: .mnistTrainingSplit(testSplitCount: 10_000))
        #expect(trained.provenance.contains("of the 60,000-digit training split train") && trained.provenance.contains("10 digits of the 10,000-digit test split"))
        let carved = DigitSplits(train: synthetic.train, validation: synthetic.validation, test: synthetic.validation,
                                 origin: .mnistTestSplitOnly(folder: "data/mnist"))
        #expect(carved.provenance.contains("only the t10k files are in data/mnist") && carved.provenance.contains("both validate and test"))
    }
}
