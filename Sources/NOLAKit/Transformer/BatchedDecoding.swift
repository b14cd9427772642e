/// Beam search and greedy decoding of many prompts at once: every live beam of every sentence in
/// flight is one row of one matrix per step, so each weight matrix is read once per step for
/// hundreds of rows instead of once per sentence (the products become real matrix products).
///
///     let hypotheses = BeamSearch.e2e(endTokens: [BPETokenizer.end]).decode(model, prompts: prompts)
///     let sentences = GreedyDecoding(maxTokens: 64, endTokens: [BPETokenizer.end]).decode(model, prompts: prompts)
///
/// - Each sentence owns one row of a shared `KeyValueCache`: its prompt's keys and values, then
///   one new position per live beam and step. A beam is the list of its positions in that row;
///   after a step each child takes its parent's list plus its new position, so the cache is
///   gathered by beam index without copying a single key (beams that share a prefix share it).
/// - Dead and finished beams take no row; a sentence whose search is over frees its cache row,
///   and the next prompt is read into it (its prompt's positions are rows of the same step).
/// - The search itself is the one-sentence decoder's (`BeamSearch.Beams`, `GreedyDecoding.Line`),
///   and `DecodingModel` computes every row independently of the others, so each sentence gets
///   exactly the tokens `decode(_:prompt:)` gives it (the tests compare them on many prompts).
extension BeamSearch {
    /// The best continuation of each prompt (at least one token each, at most the context), in
    /// order. `rowsInFlight` bounds the rows of one step (`rowsInFlight / beamWidth` sentences at
    /// once; the cache holds that many rows); `parallel: false` keeps the work on the calling
    /// thread (for callers that run decoders on threads of their own). `finished(n)` is called
    /// each time a sentence's search ends, with the number ended so far.
    public func decode(
        _ model: GPT, prompts: [[Int]], rowsInFlight: Int = 320, parallel: Bool = true, finished: (Int) -> Void = { _ in }
    ) -> [Hypothesis] {
        let empty = Hypothesis(tokens: [], finished: false, logProbability: 0, score: 0)
        var results = [Hypothesis?](repeating: nil, count: prompts.count)
        let context = model.configuration.context
        for p in prompts {
            checkPrecondition(
                !p.isEmpty && p.count <= context, "BeamSearch: a prompt of \(p.count) tokens for a context of \(context)")
        }
        // Sentences that never reach the model: no tokens asked for, or a prompt filling the context.
        let queue = prompts.indices.filter { maxTokens > 0 && prompts[$0].count < context }
        for i in prompts.indices where maxTokens == 0 || prompts[i].count == context { results[i] = empty }
        guard let longest = queue.map({ prompts[$0].count }).max() else { return results.map { $0 ?? empty } }
        let width = beamWidth
        let sentencesInFlight = max(1, min(queue.count, rowsInFlight / width))
        let decoding = DecodingModel(model, parallel: parallel)
        // One cache row per sentence in flight: its prompt's positions, then one new position per
        // live beam and step (at most `width · maxTokens`; the last step reads nothing).
        let cache = KeyValueCache(
            layers: model.blocks.count, rows: sentencesInFlight, capacity: longest + width * maxTokens,
            width: model.configuration.embedding)
        var free = Array((0..<sentencesInFlight).reversed())

        /// A sentence in flight: its beams, its cache row and how much of it is used, each live
        /// beam's positions in that row (in sequence order), the tokens to read next.
        struct Sentence {
            let index: Int
            var beams: Beams
            let slot: Int
            var used: Int
            var positions: [Int: [Int32]]
            var pending: [(beam: Int, token: Int)]
        }
        var active: [Sentence] = []
        var waiting = queue[...]
        var done = prompts.count - queue.count
        while !active.isEmpty || !waiting.isEmpty {
            // Rows of this step: each live beam's last token, then the prompts of new sentences.
            var rows: [DecodingModel.Row] = [], logitRows: [Int] = []
            for a in active.indices {
                for (beam, token) in active[a].pending {
                    var keys = active[a].positions[beam]!
                    keys.append(Int32(active[a].used))
                    logitRows.append(rows.count)
                    rows.append(DecodingModel.Row(
                        token: token, slot: active[a].slot, write: active[a].used, position: keys.count - 1, keys: keys))
                    active[a].positions[beam] = keys
                    active[a].used += 1
                }
            }
            while active.count < sentencesInFlight, let index = waiting.first {
                waiting = waiting.dropFirst()
                let prompt = prompts[index]
                let slot = free.removeLast()
                for (t, token) in prompt.enumerated() {
                    rows.append(DecodingModel.Row(token: token, slot: slot, write: t, position: t, keys: nil))
                }
                logitRows.append(rows.count - 1)
                active.append(Sentence(
                    index: index, beams: Beams(search: self, remaining: context - prompt.count), slot: slot, used: prompt.count,
                    positions: [0: (0..<prompt.count).map(Int32.init)], pending: [(0, 0)]))
            }
            let logits = decoding.forward(rows, cache: cache, logitRows: logitRows)
            let v = logits.cols
            // Each sentence's step, from its rows of the logits (in the order they were laid out).
            var row = 0
            var still: [Sentence] = []
            for var sentence in active {
                var rowOfBeam: [Int: Int] = [:]
                for (beam, _) in sentence.pending {
                    rowOfBeam[beam] = row
                    row += 1
                }
                let next = sentence.beams.step { beam in
                    let r = rowOfBeam[beam]!
                    return logits.data[(r * v)..<((r + 1) * v)]
                }
                guard let next else {
                    results[sentence.index] = sentence.beams.best
                    free.append(sentence.slot)
                    done += 1
                    finished(done)
                    continue
                }
                // Each live child continues its parent's positions: beams that share a prefix
                // share its keys and values, nothing is copied.
                let live = sentence.beams.live
                sentence.positions = Dictionary(uniqueKeysWithValues: live.map { ($0, sentence.positions[next[$0].parent]!) })
                sentence.pending = live.map { ($0, next[$0].token) }
                still.append(sentence)
            }
            active = still
        }
        return results.map { $0 ?? empty }
    }
}

extension GreedyDecoding {
    /// The generated tokens after each prompt, every sentence in flight one row of each step (up
    /// to `rowsInFlight` at once); the same tokens as `decode(_:prompt:)` gives each.
    public func decode(_ model: GPT, prompts: [[Int]], rowsInFlight: Int = 320, parallel: Bool = true) -> [[Int]] {
        var results = [[Int]](repeating: [], count: prompts.count)
        let context = model.configuration.context
        for p in prompts {
            checkPrecondition(!p.isEmpty && p.count <= context, "GreedyDecoding: a prompt of \(p.count) tokens for a context of \(context)")
        }
        guard maxTokens > 0, let longest = prompts.map(\.count).max() else { return results }
        let decoding = DecodingModel(model, parallel: parallel)
        let cache = KeyValueCache(
            layers: model.blocks.count, rows: max(1, min(prompts.count, rowsInFlight)), capacity: min(context, longest + maxTokens),
            width: model.configuration.embedding)
        var slots = SlotPool(cache: cache)
        var active: [(index: Int, line: Line, slot: Int, token: Int?)] = []
        var waiting = prompts.indices[...]
        while !active.isEmpty || !waiting.isEmpty {
            var tokens: [Int] = [], rowSlots: [Int] = [], logitRows: [Int] = []
            for sentence in active {
                logitRows.append(tokens.count)
                tokens.append(sentence.token!)
                rowSlots.append(sentence.slot)
            }
            while slots.free > 0, let index = waiting.first {
                waiting = waiting.dropFirst()
                let slot = slots.take()
                tokens += prompts[index]
                rowSlots += [Int](repeating: slot, count: prompts[index].count)
                logitRows.append(tokens.count - 1)
                active.append((index, Line(decoding: self, remaining: context - prompts[index].count), slot, nil))
            }
            let logits = decoding.forward(tokens: tokens, slots: rowSlots, cache: cache, logitRows: logitRows)
            let v = logits.cols
            var still: [(index: Int, line: Line, slot: Int, token: Int?)] = []
            for (r, var sentence) in active.enumerated() {
                sentence.token = sentence.line.step(logits: logits.data[(r * v)..<((r + 1) * v)])
                if sentence.token == nil {
                    results[sentence.index] = sentence.line.generated
                    slots.release(sentence.slot)
                } else {
                    still.append(sentence)
                }
            }
            active = still
        }
        return results
    }
}

/// The free rows of a cache shared by many sentences: a taken row starts empty.
private struct SlotPool {
    let cache: KeyValueCache
    private var stack: [Int]

    init(cache: KeyValueCache) {
        self.cache = cache
        stack = Array((0..<cache.rows).reversed())
    }

    var free: Int { stack.count }

    mutating func take() -> Int {
        let slot = stack.removeLast()
        cache.setLength(0, row: slot)
        return slot
    }

    mutating func release(_ slot: Int) { stack.append(slot) }
}
