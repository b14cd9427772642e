import Foundation
import Testing
@testable import NOLAKit

/// The `e2e-score` executable itself, when the build has produced it beside the test bundle
/// (`swift build` does): output lines, exit status, one-line errors.
@Suite("Text metrics: e2e-score command")
struct TextMetricsScorerCommandTests {
    static let binary: String? = {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let path = folder.appendingPathComponent("e2e-score").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.binary))
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func files(_ contents: [String: String]) throws -> String {
        let dir = try DataTestSupport.temporaryFolder("command")
        for (name, text) in contents { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("prints the five metric lines and exits 0",
          .enabled(if: binary != nil, "skipped: e2e-score is not built (swift build --product e2e-score)"))
    func scores() throws {
        let dir = try files(["h.txt": "The Eagle is a pub.\nA cheap cafe.\n",
                             "r.txt": "The Eagle is a pub.\nThe Eagle is a bar.\n\nA cafe that is cheap.\n"])
        let r = try run([dir + "/h.txt", dir + "/r.txt"])
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.map { String($0.prefix { $0 != ":" }) } == ["BLEU", "NIST", "METEOR", "ROUGE_L", "CIDEr"])
        #expect(lines[2] == "METEOR: " + E2EScores.meteorNote)
        let expected = E2EScores(hypotheses: ["The Eagle is a pub.", "A cheap cafe."],
                                 references: [["The Eagle is a pub.", "The Eagle is a bar."], ["A cafe that is cheap."]])
        #expect(lines[0] == "BLEU: " + String(format: "%.4f", expected.bleu.score))
        #expect(lines[4] == "CIDEr: " + String(format: "%.4f", expected.cider.score))
    }

    @Test("bad input: one line on stderr naming the file, exit status 1",
          .enabled(if: binary != nil, "skipped: e2e-score is not built (swift build --product e2e-score)"))
    func badInput() throws {
        let dir = try files(["h.txt": "One.\nTwo.\n", "r.txt": "One.\n\nTwo.\n\nThree.\n", "empty.txt": ""])
        for (arguments, needle) in [
            ([dir + "/missing.txt", dir + "/r.txt"], "missing.txt: not found"),
            ([dir + "/h.txt", dir + "/r.txt"], "2 hypotheses, but \(dir)/r.txt has 3 reference instances"),
            ([dir + "/empty.txt", dir + "/r.txt"], "empty.txt: the file is empty"),
        ] {
            let r = try run(arguments)
            #expect(r.status == 1, "\(arguments)")
            #expect(r.out.isEmpty)
            #expect(r.err.hasPrefix("error: ") && r.err.contains(needle), "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1, "one line: \(r.err)")
        }
    }
}
