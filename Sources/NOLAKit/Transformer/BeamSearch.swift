#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Beam search as the LoRA and NOLA GPT-2 E2E decoder does it (`gpt2_beam.py` of both
/// repositories, settings from the LoRA paper's E2E table: beam 10, length penalty 0.9, no
/// repeated 4-grams, at most 64 new tokens):
///
/// 1. The first step expands the prompt's logits alone; each later step scores every
///    continuation of every live beam as `beam score + log softmax(logits)[token]` and keeps the
///    `beamWidth` best (ties: lower beam, then lower token id). A token that would repeat an
///    `n`-gram of the beam's generated tokens gets log-probability −∞ first (the prompt is not
///    looked at, as in that code).
/// 2. A beam that has just produced an end token is finished: it becomes a candidate with the
///    length-penalised score `Σ log p / Lᵅ`, `L` its generated tokens counting the end token,
///    `α = lengthPenalty`; its beam score becomes −∞ so it is not extended.
/// 3. After `maxTokens` steps (or when prompt and tokens fill the context) every live beam is a candidate too,
///    with the same normalisation. The best candidate wins.
///
/// Hypotheses of different lengths thus compare by `Σ log p / Lᵅ`: with α = 0 the raw sum (which
/// favours short outputs), with α = 1 the mean per token. (The public LoRA and NOLA scripts pass
/// `--length_penalty 0.8`; the LoRA paper's table lists 0.9 for E2E. Both are one setting here.)
public struct BeamSearch: Sendable {
    /// Beams kept per step.
    public var beamWidth: Int
    /// The exponent α of the length normalisation `Σ log p / Lᵅ`.
    public var lengthPenalty: Float
    /// `n` of the no-repeat rule (0: off).
    public var noRepeatNgram: Int
    /// The most tokens generated.
    public var maxTokens: Int
    /// Tokens that end a hypothesis.
    public var endTokens: Set<Int>

    public init(beamWidth: Int, lengthPenalty: Float, noRepeatNgram: Int, maxTokens: Int, endTokens: Set<Int>) {
        checkPrecondition(
            beamWidth > 0 && noRepeatNgram >= 0 && maxTokens >= 0,
            "BeamSearch: beam width \(beamWidth), no-repeat n-gram \(noRepeatNgram), max tokens \(maxTokens)")
        self.beamWidth = beamWidth
        self.lengthPenalty = lengthPenalty
        self.noRepeatNgram = noRepeatNgram
        self.maxTokens = maxTokens
        self.endTokens = endTokens
    }

    /// The E2E settings of the LoRA and NOLA papers: beam 10, length penalty 0.9, no repeated
    /// 4-grams, at most 64 new tokens.
    public static func e2e(endTokens: Set<Int>) -> BeamSearch {
        BeamSearch(beamWidth: 10, lengthPenalty: 0.9, noRepeatNgram: 4, maxTokens: 64, endTokens: endTokens)
    }

    /// A finished search's best hypothesis.
    public struct Hypothesis: Sendable, Equatable {
        /// The generated tokens, without the end token.
        public let tokens: [Int]
        /// Whether it ended with an end token (else it ran to the length limit).
        public let finished: Bool
        /// `Σ log p` of its tokens (the end token included).
        public let logProbability: Float
        /// `logProbability / Lᵅ`, what hypotheses are ranked by.
        public let score: Float
    }

    /// `Σ log p / Lᵅ` for `length` generated tokens.
    public func normalized(_ logProbability: Float, length: Int) -> Float {
        logProbability / powf(Float(max(1, length)), lengthPenalty)
    }

    /// The best continuation of `prompt` under `model`'s GPT with its key–value cache.
    public func decode(_ model: GPT, prompt: [Int]) -> Hypothesis {
        decode(GPTGenerator(model: model), prompt: prompt)
    }

    /// The best continuation of `prompt`.
    public func decode(_ model: some IncrementalLanguageModel, prompt: [Int]) -> Hypothesis {
        guard maxTokens > 0 else { return Hypothesis(tokens: [], finished: false, logProbability: 0, score: 0) }
        let first = model.start(prompt: prompt, rows: beamWidth)
        guard model.remaining > 0 else { return Hypothesis(tokens: [], finished: false, logProbability: 0, score: 0) }
        var beams = Beams(search: self, remaining: model.remaining)
        var logits = Matrix(rows: 1, cols: first.count, data: first)
        // Each step's rows are the beams 0..<width (beam 0 alone at the first step); dead beams'
        // rows are computed but not read.
        while let next = beams.step(logits: { logits.data[($0 * logits.cols)..<(($0 + 1) * logits.cols)] }) {
            logits = model.advance(parents: next.map(\.parent), tokens: next.map(\.token))
        }
        return beams.best
    }

    /// The beams of one sentence between two steps: the search's whole state. Both decoders run
    /// it, one sentence at a time (`decode(_:prompt:)`) or many sentences' beams in one batch
    /// (`decode(_:prompts:)`), so they choose the same tokens from the same logits.
    struct Beams {
        let search: BeamSearch
        /// Tokens the rows can still take (the context minus the prompt) before the next step.
        var remaining: Int
        /// `Σ log p` of each beam, −∞ for a dead or finished one; beam 0 alone before the first step.
        private(set) var scores: [Float] = [0]
        /// Each beam's generated tokens.
        private(set) var histories: [[Int]] = [[]]
        private var candidate: Hypothesis?
        private var step = 0

        init(search: BeamSearch, remaining: Int) {
            self.search = search
            self.remaining = remaining
        }

        /// The beams that the next step extends (their logits are asked for), in order.
        var live: [Int] { scores.indices.filter { scores[$0] > -.infinity } }

        /// One step: every continuation of every live beam scored from `logits(beam)` (its row of
        /// `V` logits), the best `beamWidth` kept, finished ones set aside. Returns each new beam's
        /// parent and token (`beamWidth` of them; dead ones repeat the last live one), or nil when
        /// the search is over (the token limit, the context, or no live beam left).
        mutating func step(logits: (Int) -> ArraySlice<Float>) -> [(parent: Int, token: Int)]? {
            guard step < search.maxTokens else { return nil }
            let width = search.beamWidth
            // Candidates: (score, beam, token) over the live beams.
            var candidates: [(score: Float, beam: Int, token: Int)] = []
            candidates.reserveCapacity(min(scores.count, width) * width * 2)
            for beam in live {
                let logProbabilities = search.logSoftmax(Array(logits(beam)), banning: bannedTokens(after: histories[beam], n: search.noRepeatNgram))
                for (token, lp) in search.topK(logProbabilities, width) where lp > -.infinity {
                    candidates.append((scores[beam] + lp, beam, token))
                }
            }
            candidates.sort { ($0.score, -$0.beam, -$0.token) > ($1.score, -$1.beam, -$1.token) }
            guard !candidates.isEmpty else { return nil }  // the live beams end here, unfinished
            let chosen = candidates.prefix(width)
            // Dead rows (fewer live candidates than beams) repeat the last candidate at −∞.
            var next: [(parent: Int, token: Int)] = [], newScores: [Float] = [], newHistories: [[Int]] = []
            for i in 0..<width {
                let c = chosen[min(i, chosen.count - 1)]
                next.append((c.beam, c.token))
                newScores.append(i < chosen.count ? c.score : -.infinity)
                newHistories.append(histories[c.beam] + [c.token])
            }
            scores = newScores
            histories = newHistories
            for i in 0..<width where scores[i] > -.infinity && search.endTokens.contains(next[i].token) {
                consider(Array(histories[i].dropLast()), logProbability: scores[i], finished: true)
                scores[i] = -.infinity
            }
            // Each chosen token takes the next position: stop when prompt and tokens fill the context.
            let lastStep = step == search.maxTokens - 1 || remaining == 1
            step += 1
            remaining -= 1
            if lastStep || scores.allSatisfy({ $0 == -.infinity }) { return nil }
            return next
        }

        /// The best hypothesis once `step` has returned nil: the best finished one, or a live beam
        /// if it scores higher.
        var best: Hypothesis {
            var result = self
            for i in scores.indices where scores[i] > -.infinity {
                result.consider(histories[i], logProbability: scores[i], finished: false)
            }
            return result.candidate ?? Hypothesis(tokens: [], finished: false, logProbability: -.infinity, score: -.infinity)
        }

        private mutating func consider(_ tokens: [Int], logProbability: Float, finished: Bool) {
            guard logProbability > -.infinity else { return }
            let length = tokens.count + (finished ? 1 : 0)
            let score = search.normalized(logProbability, length: length)
            if candidate == nil || score > candidate!.score {
                candidate = Hypothesis(tokens: tokens, finished: finished, logProbability: logProbability, score: score)
            }
        }
    }

    /// `log softmax(z)` with the `banned` tokens at −∞ (in `Float`, as the reference decoder's
    /// `torch.log(softmax(logits))`).
    func logSoftmax(_ z: [Float], banning banned: [Int]) -> [Float] {
        var z = z
        for b in banned { z[b] = -.infinity }
        let m = z.max() ?? 0
        guard m > -.infinity, !z.isEmpty else { return z }
        var scratch = z
        let sum = z.withUnsafeBufferPointer { pz in
            scratch.withUnsafeMutableBufferPointer { VectorMath.expShifted(pz.baseAddress!, into: $0.baseAddress!, count: pz.count, shift: m) }
        }
        let logSum = logf(sum) + m
        return z.map { $0 - logSum }
    }

    /// The `k` largest entries of `x` as `(index, value)`, largest first, lower index on ties.
    func topK(_ x: [Float], _ k: Int) -> [(Int, Float)] {
        var top: [(Int, Float)] = []
        top.reserveCapacity(k + 1)
        for (i, value) in x.enumerated() {
            if top.count == k, let last = top.last, !(value > last.1) { continue }
            var at = top.count
            while at > 0 && value > top[at - 1].1 { at -= 1 }
            top.insert((i, value), at: at)
            if top.count > k { top.removeLast() }
        }
        return top
    }
}
