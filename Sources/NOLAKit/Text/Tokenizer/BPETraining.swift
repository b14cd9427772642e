/// Learning the merges from a corpus.
///
/// ## The rule (the same corpus gives the same merges on every machine)
///
/// 1. Cut every text of the corpus into chunks (`TextChunks`) and count each distinct chunk
///    ("word"); a word starts as its bytes, tokens `0 … 255`.
/// 2. The frequency of an adjacent pair `(a, b)` is the number of places it occurs, summed over
///    words and weighted by each word's count; overlapping places count (`aaa` holds `(a, a)`
///    twice).
/// 3. Merge `r` takes the most frequent pair; among equally frequent pairs the one with the
///    smallest `left` id, then the smallest `right` id. It becomes token `260 + r`, and every
///    word replaces its non-overlapping occurrences of the pair, left to right, by that token.
/// 4. Repeat until `vocabularySize − 260` merges are made, or until no pair occurs at least
///    twice (a merge seen once would only memorise): the vocabulary can come out smaller than
///    asked on a small corpus.
///
/// Speed: pair counts are updated only in the words a merge touches, and the most frequent pair
/// comes from a heap (stale entries are skipped when popped), so training on the 4,672
/// references of E2E's dev set to 2,048 tokens takes a fraction of a second.
extension BPETokenizer {
    /// Learns merges from `corpus` (rules above) up to `vocabularySize` tokens in all.
    ///
    /// Throws `TokenizerError.vocabularySizeOutOfRange` when `vocabularySize` is outside
    /// `260 … 4096`.
    public static func train(on corpus: [String], vocabularySize: Int) throws -> BPETokenizer {
        guard (minimumVocabularySize...maximumVocabularySize).contains(vocabularySize) else {
            throw TokenizerError.vocabularySizeOutOfRange(vocabularySize)
        }
        var state = MergeLearner(corpus: corpus)
        let merges = state.learn(count: vocabularySize - firstMergeID)
        return try BPETokenizer(merges: merges)
    }

    /// The corpus's distinct words (chunks) and how often each occurs, sorted by their bytes.
    static func wordCounts(_ corpus: [String]) -> [(word: [UInt8], count: Int)] {
        var counts: [[UInt8]: Int] = [:]
        for text in corpus {
            let bytes = Array(text.utf8)
            for range in TextChunks.ranges(of: text) { counts[Array(bytes[range]), default: 0] += 1 }
        }
        return counts.map { ($0.key, $0.value) }.sorted { $0.word.lexicographicallyPrecedes($1.word) }
    }
}

/// The working state of `BPETokenizer.train`: the words as token sequences, the pair counts,
/// which words hold each pair, and a heap of candidate pairs.
struct MergeLearner {
    /// Each distinct word as its current tokens.
    var words: [[Int]]
    /// How often each word occurs in the corpus.
    let wordCounts: [Int]
    /// Frequency of each pair now present (rule 2), keyed by `BPETokenizer.pairKey`.
    var pairCounts: [UInt64: Int] = [:]
    /// Words that held the pair when it was counted (may list a word twice or list it after the
    /// pair left it: checked when used).
    var wordsHolding: [UInt64: [Int]] = [:]
    /// Candidates: (count, pair). An entry is stale when the pair's count has changed since.
    var heap = PairHeap()

    init(corpus: [String]) {
        let counted = BPETokenizer.wordCounts(corpus)
        words = counted.map { $0.word.map { Int($0) } }
        wordCounts = counted.map(\.count)
        for w in words.indices { add(word: w) }
        for (pair, count) in pairCounts { heap.push(count: count, pair: pair) }
    }

    /// Learns up to `count` merges (rules 3 and 4).
    mutating func learn(count: Int) -> [(left: Int, right: Int)] {
        var merges: [(left: Int, right: Int)] = []
        while merges.count < count, let (pair, frequency) = nextPair(), frequency >= 2 {
            let left = Int(pair >> 32), right = Int(pair & 0xFFFF_FFFF)
            let merged = BPETokenizer.firstMergeID + merges.count
            merges.append((left, right))
            var touched = Set<UInt64>()
            for w in Set(wordsHolding.removeValue(forKey: pair) ?? []).sorted() {
                let before = words[w]
                let after = BPETokenizer.merging(before, left, right, into: merged)
                guard after.count != before.count else { continue }  // the pair has left this word
                touched.formUnion(remove(word: w))
                words[w] = after
                touched.formUnion(add(word: w))
            }
            for key in touched.sorted() { heap.push(count: pairCounts[key] ?? 0, pair: key) }
        }
        return merges
    }

    /// The most frequent pair (ties: smallest pair), skipping stale heap entries.
    mutating func nextPair() -> (UInt64, Int)? {
        while let (count, pair) = heap.pop() {
            if count > 0 && pairCounts[pair] == count { return (pair, count) }
        }
        return nil
    }

    /// Counts word `w`'s pairs in; returns them.
    @discardableResult
    mutating func add(word w: Int) -> [UInt64] {
        let tokens = words[w]
        guard tokens.count > 1 else { return [] }
        var keys: [UInt64] = []
        for i in 0..<(tokens.count - 1) {
            let key = BPETokenizer.pairKey(tokens[i], tokens[i + 1])
            pairCounts[key, default: 0] += wordCounts[w]
            if wordsHolding[key]?.last != w { wordsHolding[key, default: []].append(w) }
            keys.append(key)
        }
        return keys
    }

    /// Counts word `w`'s pairs out; returns them.
    mutating func remove(word w: Int) -> [UInt64] {
        let tokens = words[w]
        guard tokens.count > 1 else { return [] }
        var keys: [UInt64] = []
        for i in 0..<(tokens.count - 1) {
            let key = BPETokenizer.pairKey(tokens[i], tokens[i + 1])
            let left = (pairCounts[key] ?? 0) - wordCounts[w]
            pairCounts[key] = left > 0 ? left : nil
            keys.append(key)
        }
        return keys
    }
}

/// A binary max-heap of `(count, pair)`: the largest count first, ties by the smallest pair key
/// (smallest `left`, then smallest `right`), so the order never depends on hashing.
struct PairHeap {
    private var items: [(count: Int, pair: UInt64)] = []

    /// Whether `a` comes out before `b`.
    private static func before(_ a: (count: Int, pair: UInt64), _ b: (count: Int, pair: UInt64)) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }

    mutating func push(count: Int, pair: UInt64) {
        guard count > 0 else { return }
        items.append((count, pair))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (count: Int, pair: UInt64)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < items.count && Self.before(items[left], items[best]) { best = left }
                if right < items.count && Self.before(items[right], items[best]) { best = right }
                guard best != parent else { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
