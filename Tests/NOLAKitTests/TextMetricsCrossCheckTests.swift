import Foundation
import Testing
@testable import NOLAKit

/// NOLAKit's E2E metrics against the Python packages the challenge's scorer is built on, on the
/// real E2E test set and on random sentences (`Sources/Python/e2e_metrics_reference.py` says
/// which package computes what). Skipped when they are not installed:
/// `pip install sacrebleu nltk pycocoevalcap` (and java, for pycocoevalcap's tokenizer).
@Suite("Text metrics: cross-check with sacrebleu, nltk and pycocoevalcap")
struct TextMetricsCrossCheckTests {
    typealias Tools = TextMetricsReferenceTools

    static let available: Bool = {
        guard Tools.stanfordJar != nil, Tools.e2eFolder != nil,
              let r = Tools.run(["python3", "-c", "import sacrebleu, nltk, pycocoevalcap"]) else { return false }
        return r.status == 0
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/Python/e2e_metrics_reference.py").standardized.path

    /// A small deterministic generator (SplitMix64) for the random cases.
    struct SplitMix { var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    enum Corpus: String, CaseIterable, Sendable { case real, random }

    /// `.real`: the E2E test set with each instance's first reference as its hypothesis (the
    /// others as references; an instance with one reference gets the next instance's first
    /// reference). `.random`: 300 random word sequences (0–30 words drawn from the references,
    /// plus punctuation) against random subsets of an instance's references.
    static func cases(_ corpus: Corpus) throws -> (hypotheses: [String], references: [[String]]) {
        let groups = try E2EScorerInput.readReferences(Tools.e2eFolder! + "/testset_w_refs.csv")
        var hyps: [String] = [], refs: [[String]] = []
        switch corpus {
        case .real:
            for (i, g) in groups.enumerated() {
                if g.count > 1 { hyps.append(g[0]); refs.append(Array(g.dropFirst())) } else {
                    hyps.append(groups[(i + 1) % groups.count][0]); refs.append(g)
                }
            }
        case .random:
            var vocabulary = [",", ".", "!", "-", "£20-25", "'s", "(", ")", "\"", "etc.", "U.S."]
            for reference in groups.joined() { vocabulary += reference.split(separator: " ").map(String.init) }
            var random = SplitMix(state: 2024)
            for _ in 0..<300 {
                hyps.append((0..<random.next(31)).map { _ in vocabulary[random.next(vocabulary.count)] }.joined(separator: " "))
                let g = groups[random.next(groups.count)]
                refs.append(Array(g.prefix(1 + random.next(g.count))))
            }
        }
        return (hyps, refs)
    }

    @Test("BLEU, NIST (one reference), ROUGE-L, CIDEr and the COCO tokens agree with the Python packages",
          .enabled(if: available, "skipped: needs python3 with sacrebleu, nltk and pycocoevalcap, java, and the E2E data"),
          arguments: Corpus.allCases)
    func crossCheck(corpus: Corpus) throws {
        let (hyps, refs) = try Self.cases(corpus)
        let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("e2e-cross-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["hypotheses": hyps, "references": refs]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try #require(Tools.run(["python3", Self.script, file.path]))
        try #require(run.status == 0, "the reference script failed")
        let python = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])

        let ours = E2EScores(hypotheses: hyps, references: refs)
        let firstOnly = NIST(hypotheses: hyps.map(MTEvalTokenizer.tokenize),
                             references: refs.map { [MTEvalTokenizer.tokenize($0[0])] })
        let pairs: [(String, Double, Double)] = [
            ("BLEU", ours.bleu.score, python["bleu"] as? Double ?? .nan),
            ("NIST (first reference)", firstOnly.score, python["nist_first"] as? Double ?? .nan),
            ("ROUGE-L", ours.rougeL.score, python["rouge_l"] as? Double ?? .nan),
            ("CIDEr-D", ours.cider.score, python["cider"] as? Double ?? .nan),
        ]
        for (name, a, b) in pairs {
            #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(name): ours \(a), Python \(b)")
        }
        print("cross-check, \(corpus) (\(hyps.count) instances): " + pairs.map { "\($0.0) \($0.1) vs \($0.2) (Δ \(abs($0.1 - $0.2)))" }
            .joined(separator: "; "))

        let tokens = try #require(python["coco_tokens"] as? [String: Any])
        let theirHyps = try #require(tokens["hypotheses"] as? [String])
        let ourHyps = CocoCaptionTokenizer.tokenize(lines: hyps).map { $0.joined(separator: " ") }
        #expect(theirHyps == ourHyps)
        let theirRefs = try #require(tokens["references"] as? [[String]])
        let ourRefs = CocoCaptionTokenizer.tokenize(lines: refs.flatMap { $0 }).map { $0.joined(separator: " ") }
        #expect(theirRefs.flatMap { $0 } == ourRefs)
    }
}

