/// A language model that extends a set of sequences one token at a time: what greedy decoding
/// and beam search need. A `GPT` does it with a key–value cache (`GPTGenerator`); the tests use
/// scripted models.
public protocol IncrementalLanguageModel: AnyObject {
    /// Token ids are `0..<vocabulary`.
    var vocabulary: Int { get }
    /// Starts `rows` copies of `prompt` (at least one token); returns the logits `(V)` for the
    /// token after the prompt.
    func start(prompt: [Int], rows: Int) -> [Float]
    /// Row `r` continues old row `parents[r]` with token `tokens[r]`; returns the logits
    /// `(rows, V)` for the token after each.
    func advance(parents: [Int], tokens: [Int]) -> Matrix
    /// How many more tokens the rows can take (the model's context minus the tokens read).
    var remaining: Int { get }
}

/// A `GPT` generating with its key–value cache: the prompt is read once (all its positions in
/// one forward), then each new token costs one position per row. Runs `DecodingModel` over a
/// snapshot of the weights taken at `start` (adapters folded in).
public final class GPTGenerator: IncrementalLanguageModel {
    /// The model (adapters attached or merged as it is).
    public let model: GPT
    private var cache: KeyValueCache?
    private var decoding: DecodingModel?

    public init(model: GPT) {
        self.model = model
    }

    public var vocabulary: Int { model.configuration.vocabulary }

    public var remaining: Int { cache?.remaining ?? model.configuration.context }

    public func start(prompt: [Int], rows: Int) -> [Float] {
        checkPrecondition(
            !prompt.isEmpty && prompt.count <= model.configuration.context && rows > 0,
            "GPTGenerator: a prompt of \(prompt.count) tokens for a context of \(model.configuration.context), \(rows) rows")
        let decoding = DecodingModel(model)
        self.decoding = decoding
        let single = KeyValueCache(for: model, rows: 1)
        let logits = decoding.forward(
            tokens: prompt, slots: [Int](repeating: 0, count: prompt.count), cache: single, logitRows: [prompt.count - 1])
        cache = rows == 1 ? single : single.broadcast(rows: rows)
        return logits.data
    }

    public func advance(parents: [Int], tokens: [Int]) -> Matrix {
        guard let cache, let decoding else {
            checkPrecondition(false, "GPTGenerator.advance: call start first")
            return Matrix(rows: 0, cols: 0)
        }
        checkPrecondition(tokens.count == cache.rows, "GPTGenerator.advance: \(tokens.count) tokens for \(cache.rows) rows")
        cache.reorder(parents)
        return decoding.forward(tokens: tokens, slots: Array(0..<tokens.count), cache: cache, logitRows: Array(0..<tokens.count))
    }
}

extension GPT {
    /// The tokens greedy decoding adds to `prompt` (see `GreedyDecoding`).
    public func greedy(prompt: [Int], maxTokens: Int, endTokens: Set<Int> = [], noRepeatNgram: Int = 0) -> [Int] {
        GreedyDecoding(maxTokens: maxTokens, endTokens: endTokens, noRepeatNgram: noRepeatNgram)
            .decode(GPTGenerator(model: self), prompt: prompt)
    }
}

/// Greedy decoding: append the most probable token (lowest id on ties) until an end token
/// (not included in the result), `maxTokens` new tokens, or until prompt and new tokens fill the
/// context. With
/// `noRepeatNgram = n > 0`, a token that would repeat an `n`-gram of the generated tokens is
/// never chosen (as `BeamSearch`).
public struct GreedyDecoding: Sendable {
    public var maxTokens: Int
    public var endTokens: Set<Int>
    public var noRepeatNgram: Int

    public init(maxTokens: Int, endTokens: Set<Int> = [], noRepeatNgram: Int = 0) {
        checkPrecondition(maxTokens >= 0 && noRepeatNgram >= 0, "GreedyDecoding: maxTokens \(maxTokens), noRepeatNgram \(noRepeatNgram)")
        self.maxTokens = maxTokens
        self.endTokens = endTokens
        self.noRepeatNgram = noRepeatNgram
    }

    /// The generated tokens after `prompt`.
    public func decode(_ model: some IncrementalLanguageModel, prompt: [Int]) -> [Int] {
        guard maxTokens > 0 else { return [] }
        var line = Line(decoding: self, remaining: 0)
        var logits = model.start(prompt: prompt, rows: 1)
        line.remaining = model.remaining
        while let token = line.step(logits: logits[...]) {
            logits = model.advance(parents: [0], tokens: [token]).data
        }
        return line.generated
    }

    /// One sentence's state between two steps: both decoders run it (one sentence, or many as
    /// rows of one batch: `decode(_:prompts:)`), so they choose the same tokens.
    struct Line {
        let decoding: GreedyDecoding
        /// Tokens the row can still take before the next step.
        var remaining: Int
        private(set) var generated: [Int] = []

        /// Appends the best token of `logits` and returns it when the sentence goes on; nil
        /// when it ends here (an end token, the token limit, the context).
        mutating func step(logits: ArraySlice<Float>) -> Int? {
            // A chosen token takes the next free position: the sequence never outgrows the context.
            guard remaining > 0 else { return nil }
            var logits = Array(logits)
            for banned in bannedTokens(after: generated, n: decoding.noRepeatNgram) { logits[banned] = -.infinity }
            var best = 0
            for k in 1..<logits.count where logits[k] > logits[best] { best = k }
            if decoding.endTokens.contains(best) || logits[best] == -.infinity { return nil }
            generated.append(best)
            if generated.count == decoding.maxTokens || remaining == 1 { return nil }
            remaining -= 1
            return best
        }
    }

    /// Tokens per second of greedy decoding `tokens` tokens after `prompt` (no end token), the
    /// prompt's own forward included.
    public static func tokensPerSecond(model: GPT, prompt: [Int], tokens: Int) -> Double {
        let decoding = GreedyDecoding(maxTokens: tokens)
        _ = decoding.decode(GPTGenerator(model: model), prompt: prompt)  // warm-up: buffers, threads
        let start = ContinuousClock.now
        let produced = decoding.decode(GPTGenerator(model: model), prompt: prompt).count
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Double(produced) / seconds
    }
}

/// The tokens that would complete an `n`-gram already present in `history` (fairseq's and the
/// LoRA GPT-2 decoder's `no_repeat_ngram_size`): if the last `n − 1` tokens occurred before,
/// each token that followed them then is banned. None while `history` is shorter than `n − 1`.
func bannedTokens(after history: [Int], n: Int) -> [Int] {
    guard n > 0 else { return [] }
    if n == 1 { return history }
    guard history.count >= n else { return [] }  // no complete n-gram yet
    let suffix = history[(history.count - n + 1)...]
    var banned: [Int] = []
    for start in 0...(history.count - n) where history[start..<(start + n - 1)].elementsEqual(suffix) {
        banned.append(history[start + n - 1])
    }
    return banned
}
