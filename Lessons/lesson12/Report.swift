import LessonKit
import NOLAKit

/// Reading the grid's results for tables and figures: a metric of a row over its seeds, the
/// rows that have results, "+1.23" / "−0.50" differences.
@MainActor
struct Report {
    let grid: JobGrid<JobPayload>
    let seeds: [UInt64]

    /// The results of `slug` over the run's seeds that are present (the frozen row has one seed).
    func results(_ slug: String) -> [JobPayload] {
        (slug == "frozen" ? [seeds[0]] : seeds).compactMap { grid.results[JobID.row(slug, seed: $0)]?.payload }
    }

    /// `pick` of every present seed of `slug`; nil when none is present.
    func metric(_ slug: String, _ pick: (JobPayload.Scores) -> Double) -> Spread? {
        let values = results(slug).compactMap { $0.scores.map(pick) }
        return values.isEmpty ? nil : Spread(values)
    }
    func bleu(_ slug: String) -> Spread? { metric(slug) { 100 * $0.bleu } }
    func rouge(_ slug: String) -> Spread? { metric(slug) { 100 * $0.rougeL } }
    func nist(_ slug: String) -> Spread? { metric(slug) { $0.nist } }
    func cider(_ slug: String) -> Spread? { metric(slug) { $0.cider } }

    /// How many seeds of `slug` are present, "3" or "2 of 3".
    func seedsText(_ slug: String) -> String {
        let wanted = slug == "frozen" ? 1 : seeds.count
        let have = results(slug).count
        return have == wanted ? "\(have)" : "\(have) of \(wanted)"
    }

    /// The mean adaptation throughput of `slug`'s present seeds, tokens per second.
    func tokensPerSecond(_ slug: String) -> Double? {
        let rates = results(slug).compactMap(\.tokensPerSecond)
        return rates.isEmpty ? nil : Spread(rates).mean
    }

    /// BLEU and the other metrics of a row as table cells, "—" where missing.
    func cells(_ slug: String) -> [String] {
        [bleu(slug)?.text(1) ?? "—", nist(slug)?.text(2) ?? "—", rouge(slug)?.text(1) ?? "—", cider(slug)?.text(2) ?? "—"]
    }

    /// A row's difference in mean BLEU against `reference`, with the margin a difference must
    /// exceed to count: the two seed spreads added, and at least 1 BLEU.
    func versus(_ slug: String, _ reference: String) -> (gap: Double, margin: Double)? {
        guard let a = bleu(slug), let b = bleu(reference) else { return nil }
        return (a.mean - b.mean, max(a.std + b.std, 1))
    }

    /// "above", "a match", "below" for a gap and its margin.
    static func verdict(_ gap: Double, _ margin: Double) -> String {
        gap > margin ? "above" : (gap >= -margin ? "a match" : "below")
    }
}

/// "+1.23", "−0.50", "0.00"; "—" for nil.
func signed(_ x: Double?, _ digits: Int = 2) -> String {
    guard let x else { return "—" }
    let text = Format.fixed(abs(x), digits)
    return Double(text) == 0 ? text : (x > 0 ? "+" : "−") + text
}
