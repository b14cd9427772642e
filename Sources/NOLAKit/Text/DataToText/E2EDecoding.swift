import Foundation

/// Writing sentences for a test set with beam search, and the files the challenge's scorer reads.
///
///     let outputs = E2EDecoding.decode(model, tokenizer: base.tokenizer, mrs: test.examples.map(\.mr),
///                                      search: .e2e(endTokens: [BPETokenizer.end]))
///     let scores = E2EScores(hypotheses: outputs, references: prepared)   // E2EScores.References
public enum E2EDecoding {
    /// The sentence `model` writes for each MR: the prompt `[begin] MR [sep]`, continued by
    /// `search` until the end token (or its token limit, or the context), decoded to text on one
    /// line (line breaks become spaces; surrounding spaces trimmed). A prompt longer than the
    /// context keeps its last `context − 1` tokens. `progress(done, total)` after
    /// each MR.
    public static func decode(
        _ model: GPT, tokenizer: BPETokenizer, mrs: [MeaningRepresentation], search: BeamSearch,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> [String] {
        var outputs: [String] = []
        outputs.reserveCapacity(mrs.count)
        for (i, mr) in mrs.enumerated() {
            let prompt = Array(tokenizer.encodePrompt(mr.description).suffix(model.configuration.context - 1))
            let hypothesis = search.decode(model, prompt: prompt)
            // Generated ids are the model's own vocabulary, which is the tokenizer's: decoding cannot fail.
            let text = (try? tokenizer.decode(hypothesis.tokens)) ?? ""
            outputs.append(oneLine(text))
            progress(i + 1, mrs.count)
        }
        return outputs
    }

    /// `text` on one line: every line break (and tab) a space, surrounding whitespace removed.
    public static func oneLine(_ text: String) -> String {
        let flat = text.map { $0.isNewline || $0 == "\t" ? " " : $0 }
        return String(flat).trimmingCharacters(in: .whitespaces)
    }

    /// The scorer's hypotheses file: one output per line.
    public static func outputsFile(_ outputs: [String]) -> String {
        outputs.map(oneLine).joined(separator: "\n") + "\n"
    }

    /// The scorer's references file: one reference per line, instances separated by a blank line.
    public static func referencesFile(_ references: [[String]]) -> String {
        references.map { $0.map(oneLine).joined(separator: "\n") }.joined(separator: "\n\n") + "\n"
    }
}
