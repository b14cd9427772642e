import Foundation

extension LlamaModel {
    /// For each prompt, the log-probability the model gives each choice as the next tokens:
    /// MMLU's scoring, where the choices are the answer letters " A" … " D" after "Answer:" and the
    /// prediction is the most probable one.
    ///
    ///     log p(choice | prompt) = Σ_j log softmax(z_{prompt + choice[..<j]})[choice[j]]
    ///
    /// When the choices share their first tokens and differ in one last token (a byte-level BPE
    /// may write " A" as one token or as a space and "A"), the shared tokens are appended to every
    /// prompt and one forward pass scores all choices at the last position; the shared tokens'
    /// probability, the same for every choice, is left out then. Otherwise every (prompt, choice)
    /// pair is a sequence of its own. Prompts run `batchSize` at a time, padded; each must leave
    /// room for the choice in the context. Returns `[prompt][choice]`.
    public func multipleChoiceLogProbabilities(prompts: [[Int]], choices: [[Int]], batchSize: Int = 8) -> [[Double]] {
        checkPrecondition(!choices.isEmpty && choices.allSatisfy { !$0.isEmpty }, "multipleChoiceLogProbabilities: empty choices")
        var shared = 0
        while choices.allSatisfy({ $0.count > shared + 1 }) && Set(choices.map { $0[shared] }).count == 1 { shared += 1 }
        let prefix = Array(choices[0].prefix(shared))
        if choices.allSatisfy({ $0.count == shared + 1 }) {
            let last = choices.map { $0[shared] }
            return scoreLastPosition(prompts.map { $0 + prefix }, batchSize: batchSize).map { row in last.map { row[$0] } }
        }
        return prompts.map { prompt in
            choices.map { choice in
                let sequence = prompt + choice
                let rows = scoreAllPositions(sequence)
                return choice.indices.reduce(0.0) { $0 + rows[prompt.count - 1 + $1][sequence[prompt.count + $1]] }
            }
        }
    }

    /// `log softmax(z)` at the last real position of each sequence: `[sequence][token]`. When the
    /// sequences share a prefix of 8 tokens or more (a k-shot prompt's shots), it is computed
    /// once (`PrefixCache`) and only the rest of each sequence runs, batched.
    func scoreLastPosition(_ sequences: [[Int]], batchSize: Int) -> [[Double]] {
        checkPrecondition(sequences.allSatisfy { !$0.isEmpty }, "multipleChoiceLogProbabilities: an empty prompt")
        var shared = 0
        let shortest = sequences.map(\.count).min() ?? 0
        while shared < shortest - 1 && sequences.allSatisfy({ $0[shared] == sequences[0][shared] }) { shared += 1 }
        let cache = shared >= 8 ? prefixCache(Array(sequences[0].prefix(shared))) : nil
        let start = cache?.length ?? 0
        var out: [[Double]] = []
        for first in stride(from: 0, to: sequences.count, by: max(1, batchSize)) {
            let batch = sequences[first..<min(first + max(1, batchSize), sequences.count)].map { Array($0[start...]) }
            let t = batch.map(\.count).max() ?? 1
            checkPrecondition(start + t <= configuration.context,
                              "multipleChoiceLogProbabilities: a prompt of \(start + t) tokens exceeds the context \(configuration.context)")
            var tokens = [Int](repeating: BPETokenizer.padding % configuration.vocabulary, count: batch.count * t)
            for (b, s) in batch.enumerated() { for (j, id) in s.enumerated() { tokens[b * t + j] = id } }
            let mask = AttentionMask(sequences: batch.count, length: t, lengths: batch.map(\.count), causal: true)
            let h = cache.map { hidden(suffixes: tokens, mask: mask, after: $0) } ?? hidden(tokens: tokens, mask: mask)
            var last = Matrix(rows: batch.count, cols: h.cols)
            for (b, s) in batch.enumerated() { for j in 0..<h.cols { last[b, j] = h[b * t + s.count - 1, j] } }
            let z = lmHead.forward(last)
            out += (0..<batch.count).map { Self.logSoftmax(z, row: $0) }
        }
        return out
    }

    /// `log softmax(z)` at every position of one sequence: `[position][token]`.
    func scoreAllPositions(_ sequence: [Int]) -> [[Double]] {
        let mask = AttentionMask(sequences: 1, length: sequence.count, causal: true)
        let z = forward(tokens: sequence, mask: mask)
        return (0..<sequence.count).map { Self.logSoftmax(z, row: $0) }
    }

    /// Row `r` of `z` as log-probabilities, in Double.
    static func logSoftmax(_ z: Matrix, row r: Int) -> [Double] {
        let values = (0..<z.cols).map { Double(z[r, $0]) }
        let top = values.max() ?? 0
        let logSum = log(values.reduce(0) { $0 + exp($1 - top) }) + top
        return values.map { $0 - logSum }
    }
}
