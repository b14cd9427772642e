/// Which jobs of a grid this process runs: `--jobs i/n` takes every `n`-th job of the grid's
/// order, starting at the `i`-th (1-based), so `n` processes given `1/n` … `n/n` split the grid
/// between them with nothing run twice and nothing left out.
///
///     let share = try JobShare(parsing: "2/3")   // jobs 1, 4, 7, … (0-based) of the grid
///     share.contains(4)                          // true
///
/// The split depends only on the job's position in the grid's order, so every process must be
/// given the same command line apart from `--jobs` (the same rows, seeds and scale).
public struct JobShare: Sendable, Equatable, CustomStringConvertible {
    /// This process's share, 1 … `count`.
    public let index: Int
    /// How many shares the grid is split into.
    public let count: Int

    /// The whole grid: `1/1`.
    public static let all = JobShare(uncheckedIndex: 1, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n` with `1 ≤ i ≤ n ≤ 10,000`; throws `JobShare.Problem` (one sentence) otherwise.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 10_000, i >= 1, i <= n else {
            throw Problem(text: text)
        }
        self.init(uncheckedIndex: i, count: n)
    }

    /// Whether this share runs the job at position `position` (0-based) of the grid's order.
    public func contains(_ position: Int) -> Bool { position % count == index - 1 }

    /// "2/3".
    public var description: String { "\(index)/\(count)" }

    /// Why `--jobs` could not be read.
    public struct Problem: Error, CustomStringConvertible {
        let text: String
        public var description: String {
            "--jobs '\(text)' is not a share of the grid; pass i/n with 1 ≤ i ≤ n, e.g. --jobs 1/2 and --jobs 2/2 in two processes"
        }
    }
}
