import Foundation
@testable import NOLAKit
import Testing

/// A language model whose next-token log-probabilities are a fixed function of each row's
/// history (prompt + generated): for beam search tests with known answers.
private final class ScriptedModel: IncrementalLanguageModel {
    let vocabulary: Int
    let capacity: Int
    let next: ([Int]) -> [Float]
    private var histories: [[Int]] = []

    init(vocabulary: Int, capacity: Int = 100, next: @escaping ([Int]) -> [Float]) {
        self.vocabulary = vocabulary
        self.capacity = capacity
        self.next = next
    }

    var remaining: Int { capacity - (histories.first?.count ?? 0) }

    func start(prompt: [Int], rows: Int) -> [Float] {
        histories = [[Int]](repeating: prompt, count: rows)
        return next(prompt)
    }

    func advance(parents: [Int], tokens: [Int]) -> Matrix {
        histories = zip(parents, tokens).map { histories[$0] + [$1] }
        return Matrix(rows: histories.count, cols: vocabulary, data: histories.flatMap(next))
    }
}

/// Logits whose softmax is exactly `probabilities` (up to rounding).
private func logits(_ probabilities: [Double]) -> [Float] {
    probabilities.map { $0 > 0 ? Float(log($0)) : -1e9 }
}

@Suite("GPT decoding: key–value cache, greedy, beam search")
struct TransformerDecodingTests {
    @Test("cached decoding gives the full forward's logits (max |Δ| ≤ 1e-5 · max |z|), prompt and token by token")
    func cacheMatchesFullForward() {
        let model = randomGPT(GPTConfiguration(layers: 2, embedding: 16, heads: 4, vocabulary: 13, context: 9))
        model.attach(.lora(rank: 2, c: 1), seed: 1, sites: model.sites(.queryValue))
        randomize(model.parameters.filter(\.isTrainable), seed: 2, bound: 0.3)
        let sequence = [3, 1, 4, 1, 5, 9, 2, 6, 5]
        let full = model.forward(tokens: sequence, mask: AttentionMask(sequences: 1, length: 9, causal: true))
        let scale = full.data.map(abs).max()!
        // Prompt of 4 tokens at once, then one token at a time; two identical rows.
        let cache = KeyValueCache(for: model, rows: 2)
        var worst: Float = 0
        let prompt = model.forward(tokens: Array(sequence[0..<4]) + Array(sequence[0..<4]), cache: cache)
        for r in 0..<2 { for t in 0..<4 { for k in 0..<13 { worst = max(worst, abs(prompt[r * 4 + t, k] - full[t, k])) } } }
        for t in 4..<9 {
            let step = model.forward(tokens: [sequence[t], sequence[t]], cache: cache)
            for r in 0..<2 { for k in 0..<13 { worst = max(worst, abs(step[r, k] - full[t, k])) } }
        }
        #expect(worst <= 1e-5 * scale, "max |Δ| \(worst), max |z| \(scale)")
        #expect(cache.length == 9 && cache.remaining == 0)
    }

    @Test("reordering the cache continues each row from its parent")
    func reorder() {
        let model = randomGPT()
        let cache = KeyValueCache(for: model, rows: 2)
        _ = model.forward(tokens: [1, 2, 3, 4], cache: cache)  // rows: [1, 2] and [3, 4]
        cache.reorder([1, 1])
        let continued = model.forward(tokens: [5, 6], cache: cache)
        let reference = model.forward(tokens: [3, 4, 5], mask: AttentionMask(sequences: 1, length: 3, causal: true))
        let other = model.forward(tokens: [3, 4, 6], mask: AttentionMask(sequences: 1, length: 3, causal: true))
        for k in 0..<11 {
            #expect(abs(continued[0, k] - reference[2, k]) < 1e-5)
            #expect(abs(continued[1, k] - other[2, k]) < 1e-5)
        }
    }

    @Test("beam width 1 equals greedy decoding, with and without the no-repeat rule")
    func beamOneIsGreedy() {
        let model = randomGPT(GPTConfiguration(layers: 2, embedding: 8, heads: 2, vocabulary: 11, context: 24))
        for (end, noRepeat) in [(Set<Int>(), 0), ([7], 0), ([], 2), ([7], 3)] {
            for prompt in [[1], [4, 2, 9], [10, 10, 10, 3]] {
                let greedy = model.greedy(prompt: prompt, maxTokens: 15, endTokens: end, noRepeatNgram: noRepeat)
                let beam = BeamSearch(beamWidth: 1, lengthPenalty: 0.9, noRepeatNgram: noRepeat, maxTokens: 15, endTokens: end)
                    .decode(model, prompt: prompt)
                #expect(beam.tokens == greedy, "prompt \(prompt), end \(end), no-repeat \(noRepeat)")
            }
        }
    }

    @Test("no repeated n-gram ever appears when forbidden, though the model wants to loop")
    func noRepeat() {
        // The model strongly prefers (last + 1) mod 3: it would loop 0 1 2 0 1 2 …
        let looping = { (history: [Int]) -> [Float] in
            (0..<5).map { $0 == (history.last! + 1) % 3 ? 5 : Float($0) * 0.1 }
        }
        for n in [2, 3, 4] {
            for width in [1, 4] {
                let search = BeamSearch(beamWidth: width, lengthPenalty: 1, noRepeatNgram: n, maxTokens: 30, endTokens: [])
                let tokens = search.decode(ScriptedModel(vocabulary: 5, next: looping), prompt: [0]).tokens
                #expect(tokens.count == 30 || n == 2)
                var seen = Set<[Int]>()
                for start in 0...(tokens.count - n) {
                    #expect(seen.insert(Array(tokens[start..<(start + n)])).inserted, "\(n)-gram repeated in \(tokens)")
                }
            }
        }
        // Without the rule it loops.
        let free = BeamSearch(beamWidth: 2, lengthPenalty: 1, noRepeatNgram: 0, maxTokens: 9, endTokens: [])
            .decode(ScriptedModel(vocabulary: 5, next: looping), prompt: [0])
        #expect(free.tokens == [1, 2, 0, 1, 2, 0, 1, 2, 0])
    }

    @Test("hypotheses of different lengths compare by Σ log p / Lᵅ")
    func lengthPenalty() {
        // After the prompt: END (id 0) at once with p = 0.4, or 1 → 2 → END with p = 0.35 · 0.9 · 0.9.
        let script = { (history: [Int]) -> [Float] in
            switch history.last! {
            case 9: logits([0.4, 0.35, 0.25, 0])
            case 1: logits([0.05, 0.0, 0.9, 0.05])
            default: logits([0.9, 0.05, 0.0, 0.05])
            }
        }
        let short = log(0.4), long = log(0.35) + log(0.9) + log(0.9)
        #expect(short > long)  // the raw sum prefers stopping at once …
        for alpha: Float in [0, 0.9, 1] {
            let search = BeamSearch(beamWidth: 3, lengthPenalty: alpha, noRepeatNgram: 0, maxTokens: 6, endTokens: [0])
            let best = search.decode(ScriptedModel(vocabulary: 4, next: script), prompt: [9])
            let shortScore = short / pow(1, Double(alpha)), longScore = long / pow(3, Double(alpha))
            // … the normalised score prefers the longer sentence once α is large enough.
            #expect(best.tokens == (shortScore > longScore ? [] : [1, 2]), "α = \(alpha)")
            #expect(best.finished)
            #expect(abs(Double(best.score) - max(shortScore, longScore)) < 1e-5)
        }
        #expect(BeamSearch.e2e(endTokens: [0]).beamWidth == 10)
        #expect(BeamSearch.e2e(endTokens: [0]).lengthPenalty == 0.9 && BeamSearch.e2e(endTokens: [0]).noRepeatNgram == 4)
        #expect(BeamSearch.e2e(endTokens: [0]).maxTokens == 64)
    }

    @Test("decoding stops at the end of the context and at maxTokens")
    func limits() {
        let model = randomGPT()  // context 6
        #expect(model.greedy(prompt: [1, 2], maxTokens: 50).count == 4)
        #expect(model.greedy(prompt: [1, 2], maxTokens: 3).count == 3)
        let beam = BeamSearch(beamWidth: 3, lengthPenalty: 0.9, noRepeatNgram: 0, maxTokens: 50, endTokens: []).decode(model, prompt: [1])
        #expect(beam.tokens.count == 5 && !beam.finished)
        #expect(GreedyDecoding.tokensPerSecond(model: model, prompt: [1], tokens: 4) > 0)
    }

    // MARK: Batched decoding

    /// 60 prompts of 1 to 9 tokens over a vocabulary of 11 (token 0 ends a sentence, and a random
    /// model picks it often, so beams finish at every step), plus prompts that fill the context.
    static func prompts(context: Int) -> [[Int]] {
        let draws = RandomStream(seed: 41).uniform(600).map { Int($0 * 11) % 11 }
        var prompts = (0..<60).map { i in Array(draws[(i * 10)..<(i * 10 + 1 + i % 9)]) }
        prompts.append(Array(draws[0..<context]))
        prompts.append(Array(draws[100..<(100 + context - 1)]))
        return prompts
    }

    @Test("batched beam search writes exactly one-sentence beam search's hypotheses, on many prompts and settings")
    func batchedBeamSearchIsIdentical() {
        let model = randomGPT(GPTConfiguration(layers: 2, embedding: 16, heads: 2, vocabulary: 11, context: 24))
        model.attach(.lora(rank: 2, c: 1), seed: 3, sites: model.sites(.queryValue))
        randomize(model.parameters.filter(\.isTrainable), seed: 4, bound: 0.3)
        let prompts = Self.prompts(context: 24)
        var compared = 0, finished = 0
        for (width, noRepeat, end, maxTokens, rows) in [
            (4, 0, Set([0]), 12, 320), (10, 3, Set([0, 5]), 30, 40), (1, 2, Set<Int>(), 8, 7), (3, 0, Set([0]), 0, 320),
        ] {
            let search = BeamSearch(beamWidth: width, lengthPenalty: 0.9, noRepeatNgram: noRepeat, maxTokens: maxTokens, endTokens: end)
            let batched = search.decode(model, prompts: prompts, rowsInFlight: rows)
            for (prompt, hypothesis) in zip(prompts, batched) {
                let alone = search.decode(model, prompt: prompt)
                #expect(hypothesis == alone, "width \(width), prompt \(prompt): \(hypothesis.tokens) vs \(alone.tokens)")
                compared += 1
                if hypothesis.finished { finished += 1 }
            }
            #expect(search.decode(model, prompts: prompts, rowsInFlight: rows, parallel: false) == batched)
        }
        #expect(compared == 4 * prompts.count && finished > 50, "\(finished) of \(compared) hypotheses finished")
    }

    @Test("batched greedy decoding writes exactly one-sentence greedy decoding's tokens")
    func batchedGreedyIsIdentical() {
        let model = randomGPT(GPTConfiguration(layers: 2, embedding: 16, heads: 4, vocabulary: 11, context: 24))
        let prompts = Self.prompts(context: 24)
        for (noRepeat, end, maxTokens, rows) in [(0, Set([0]), 20, 320), (2, Set<Int>(), 30, 5), (0, Set<Int>(), 0, 8)] {
            let decoding = GreedyDecoding(maxTokens: maxTokens, endTokens: end, noRepeatNgram: noRepeat)
            let batched = decoding.decode(model, prompts: prompts, rowsInFlight: rows)
            for (prompt, tokens) in zip(prompts, batched) {
                #expect(tokens == decoding.decode(GPTGenerator(model: model), prompt: prompt), "prompt \(prompt)")
            }
        }
    }

    @Test("the row-wise product: each row's bits do not depend on the other rows; every kernel agrees with BLAS")
    func rowwiseProduct() {
        for (m, k, n) in [(1, 1, 1), (7, 5, 9), (37, 16, 48), (13, 128, 384), (5, 64, 23)] {
            let x = randomMatrix(m, k, seed: 8, stream: 0)
            let w = randomMatrix(n, k, seed: 8, stream: 1)
            let bias = randomMatrix(1, n, seed: 8, stream: 2)
            let wt = w.transposed()
            func product(_ x: Matrix, bias: Matrix?, kernel: DecodingModel.Kernel = .best) -> Matrix {
                var y = Matrix(rows: x.rows, cols: n)
                x.data.withUnsafeBufferPointer { px in
                    wt.data.withUnsafeBufferPointer { pw in
                        y.data.withUnsafeMutableBufferPointer { py in
                            if let bias {
                                bias.data.withUnsafeBufferPointer {
                                    DecodingModel.rowwiseProduct(
                                        px.baseAddress!, rows: x.rows, k: k, pw.baseAddress!, n: n, bias: $0.baseAddress!, into: py.baseAddress!,
                                        kernel: kernel)
                                }
                            } else {
                                DecodingModel.rowwiseProduct(
                                    px.baseAddress!, rows: x.rows, k: k, pw.baseAddress!, n: n, bias: nil, into: py.baseAddress!, kernel: kernel)
                            }
                        }
                    }
                }
                return y
            }
            let all = product(x, bias: bias)
            var reference = Matrix(rows: m, cols: n)
            for i in 0..<m { for j in 0..<n { reference[i, j] = bias[0, j] } }
            BLAS.gemm(x, w, into: &reference, transposeB: true, beta: 1)
            #expect(all.maxAbsDifference(reference) <= 1e-5 * Float(k), "(\(m)×\(k))·(\(k)×\(n))")
            for i in [0, m / 2, m - 1] {
                #expect(product(x.rows(i..<(i + 1)), bias: bias).data == Array(all.data[(i * n)..<((i + 1) * n)]), "row \(i) of \(m)")
            }
            #expect(product(x, bias: nil).maxAbsDifference(BLAS.matmul(x, w, transposeB: true)) <= 1e-5 * Float(k))
            // AVX-512 and AVX2 give the same bits; the portable kernel (no FMA) agrees to rounding.
            for kernel in DecodingModel.Kernel.allCases where kernel.isAvailable {
                let y = product(x, bias: bias, kernel: kernel)
                if kernel == .portable {
                    #expect(y.maxAbsDifference(reference) <= 1e-5 * Float(k))
                } else {
                    #expect(y == product(x, bias: bias, kernel: .avx2), "\(kernel) against AVX2")
                }
            }
        }
    }
}
