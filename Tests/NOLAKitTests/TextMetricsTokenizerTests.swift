import Foundation
import Testing
@testable import NOLAKit

@Suite("Text metrics: tokenizers")
struct TextMetricsTokenizerTests {
    typealias Tools = TextMetricsReferenceTools

    @Test("PTB tokenizer matches Stanford's Java tokenizer on every E2E reference",
          .enabled(if: Tools.stanfordJar != nil && Tools.e2eFolder != nil,
                   "skipped: needs java, python3 with pycocoevalcap (pip install pycocoevalcap) and the E2E data"))
    func ptbMatchesJavaOnE2E() throws {
        let refs = try Tools.e2eReferences()
        let java = try Tools.javaPTB(refs)
        #expect(java.count >= refs.count)
        let ours = PTBTokenizer.tokenize(lines: refs)
        var mismatches = 0
        for (i, line) in refs.enumerated() where i < java.count {
            let theirs = java[i].split(separator: " ").map(String.init)
            if theirs != ours[i] {
                mismatches += 1
                if mismatches <= 15 { Issue.record("line \(i): \(line)\n java: \(theirs)\n ours: \(ours[i])") }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(refs.count) lines differ")
    }
}

extension TextMetricsTokenizerTests {
    @Test("timing: PTB on the E2E references", .enabled(if: TextMetricsReferenceTools.e2eFolder != nil))
    func ptbTiming() throws {
        let refs = try Tools.e2eReferences()
        let start = Date()
        let tokens = PTBTokenizer.tokenize(lines: refs)
        print("PTB: \(refs.count) lines, \(tokens.map(\.count).reduce(0, +)) tokens in \(Date().timeIntervalSince(start)) s")
        let start2 = Date()
        let m = refs.map(MTEvalTokenizer.tokenize)
        print("mteval: \(m.map(\.count).reduce(0, +)) tokens in \(Date().timeIntervalSince(start2)) s")
    }
}
