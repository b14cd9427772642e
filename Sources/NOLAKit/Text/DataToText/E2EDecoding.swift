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
    /// context keeps its last `context − 1` tokens. All MRs' beams are decoded together
    /// (`BeamSearch.decode(_:prompts:)`: the same sentences as one MR at a time, several times
    /// faster); `progress(done, total)` each time an MR's search ends.
    public static func decode(
        _ model: GPT, tokenizer: BPETokenizer, mrs: [MeaningRepresentation], search: BeamSearch,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> [String] {
        decode(model, tokenizer: tokenizer, mrs: mrs, search: search, parallel: true, progress: progress)
    }

    static func decode(
        _ model: GPT, tokenizer: BPETokenizer, mrs: [MeaningRepresentation], search: BeamSearch, parallel: Bool,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> [String] {
        let prompts = mrs.map { Array(tokenizer.encodePrompt($0.description).suffix(model.configuration.context - 1)) }
        let hypotheses = search.decode(model, prompts: prompts, parallel: parallel) { progress($0, mrs.count) }
        // Generated ids are the model's own vocabulary, which is the tokenizer's: decoding cannot fail.
        return hypotheses.map { oneLine((try? tokenizer.decode($0.tokens)) ?? "") }
    }

    /// The same sentences as `decode(_:tokenizer:mrs:search:progress:)`, written by several
    /// threads at once: `models` are copies computing one function (the caller builds them,
    /// e.g. the adapted model and copies with its values); worker `w` decodes the `w`-th
    /// contiguous slice of `mrs` with `models[w]` alone. Each MR's search is independent of the
    /// others, so the outputs are those of one thread, in order. BLAS's thread count is left
    /// alone: it is global, and other threads (tests running side by side) may be training
    /// with it; each worker keeps its products on its own thread (`parallel: false`).
    public static func decode(
        copies models: [GPT], tokenizer: BPETokenizer, mrs: [MeaningRepresentation], search: BeamSearch
    ) -> [String] {
        checkPrecondition(!models.isEmpty, "E2EDecoding.decode: no model to decode with")
        let workers = min(models.count, max(1, mrs.count))
        guard workers > 1 else { return decode(models[0], tokenizer: tokenizer, mrs: mrs, search: search) }
        let bounds = (0...workers).map { $0 * mrs.count / workers }
        let results = WorkerResults(count: workers)
        let shared = UncheckedSendable(models)  // each worker touches only its own model
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let flushed = Subnormals.setFlushToZeroOnThisThread(true)
            defer { _ = Subnormals.setFlushToZeroOnThisThread(flushed) }
            let slice = Array(mrs[bounds[w]..<bounds[w + 1]])
            results.set(w, decode(shared.value[w], tokenizer: tokenizer, mrs: slice, search: search, parallel: false))
        }
        return results.joined
    }

    /// The workers' outputs, one slot each, written under a lock.
    private final class WorkerResults: @unchecked Sendable {
        private var slots: [[String]]
        private let lock = NSLock()
        init(count: Int) { slots = Array(repeating: [], count: count) }
        func set(_ index: Int, _ outputs: [String]) { lock.withLock { slots[index] = outputs } }
        var joined: [String] { lock.withLock { slots.flatMap { $0 } } }
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

    /// The scorer's references file: one reference per line, each instance followed by a blank
    /// line (so that a file of one instance is not read as one reference per line).
    public static func referencesFile(_ references: [[String]]) -> String {
        references.map { $0.map(oneLine).joined(separator: "\n") + "\n\n" }.joined()
    }
}
