/// How often each n-gram (n = 1…`maxOrder`) occurs in one token sequence.
///
/// An n-gram's key is its tokens joined by single spaces, as mteval-v13a.pl keys them (tokens
/// never contain a space). `counts[n - 1]` holds the n-grams of order n; a sequence of L tokens
/// has `max(0, L − n + 1)` n-grams of order n.
struct NGramCounts {
    var counts: [[String: Int]]

    init(_ tokens: [String], maxOrder: Int) {
        counts = Array(repeating: [:], count: maxOrder)
        guard !tokens.isEmpty else { return }
        for start in tokens.indices {
            var key = ""
            for n in 1...maxOrder {
                let end = start + n
                guard end <= tokens.count else { break }
                key = n == 1 ? tokens[start] : key + " " + tokens[end - 1]
                counts[n - 1][key, default: 0] += 1
            }
        }
    }

    /// The number of n-grams of order `n` in a sequence of `length` tokens.
    static func total(length: Int, order n: Int) -> Int { max(0, length - n + 1) }
}
