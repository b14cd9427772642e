/// How often each n-gram (n = 1…`maxOrder`) occurs in one token sequence.
///
/// An n-gram's key is its tokens joined by single spaces, as mteval-v13a.pl keys them (tokens
/// never contain a space). `counts[n - 1]` holds the n-grams of order n; a sequence of L tokens
/// has `max(0, L − n + 1)` n-grams of order n.
///
/// `grams[n - 1]` lists the distinct n-grams in order of first occurrence. Sums of floating-point
/// terms over n-grams must run in that order, never in a dictionary's: Swift seeds its hashing per
/// process, so a dictionary's order (and a float sum's last bits) would change from run to run.
struct NGramCounts {
    var counts: [[String: Int]]
    var grams: [[String]]

    init(_ tokens: [String], maxOrder: Int) {
        counts = Array(repeating: [:], count: maxOrder)
        grams = Array(repeating: [], count: maxOrder)
        guard !tokens.isEmpty else { return }
        for start in tokens.indices {
            var key = ""
            for n in 1...maxOrder {
                let end = start + n
                guard end <= tokens.count else { break }
                key = n == 1 ? tokens[start] : key + " " + tokens[end - 1]
                let seen = counts[n - 1][key, default: 0]
                if seen == 0 { grams[n - 1].append(key) }
                counts[n - 1][key] = seen + 1
            }
        }
    }

    /// `(n-gram, count)` of order `n` (1-based) in order of first occurrence.
    func ordered(_ n: Int) -> [(gram: String, count: Int)] {
        grams[n - 1].map { ($0, counts[n - 1][$0]!) }
    }

    /// The number of n-grams of order `n` in a sequence of `length` tokens.
    static func total(length: Int, order n: Int) -> Int { max(0, length - n + 1) }
}
