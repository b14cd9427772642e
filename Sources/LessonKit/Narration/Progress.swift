import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in CI logs or
/// when the output is piped to a file). Redraws at most ten times a second. Shows the time so far
/// and, once a step is done, the time left at the pace so far ("ETA 3 min 10 s").
///
/// ```swift
/// let bar = lesson.progress("training", total: steps)
/// for step in 0..<steps { ...; bar.advance() }
/// bar.finish()
/// ```
public final class Progress {
    private let label: String
    private let total: Int
    private var done = 0
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var note = ""

    init(label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = isatty(STDERR_FILENO) == 1
    }

    /// Marks `steps` more steps done; `note` (a loss, say) is shown after the bar.
    public func advance(_ steps: Int = 1, note: String? = nil) {
        done = min(total, done + steps)
        if let note { self.note = note }
        guard enabled else { return }
        let now = ContinuousClock.now
        if now - lastDraw >= .milliseconds(100) || done == total {
            lastDraw = now
            draw()
        }
    }

    /// Clears the bar's line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    /// Seconds left at the pace so far: `elapsed · (total − done) / done`; nil before the first step.
    static func remaining(elapsed: Double, done: Int, total: Int) -> Double? {
        guard done > 0, done < total, elapsed > 0 else { return nil }
        return elapsed * Double(total - done) / Double(done)
    }

    private func draw() {
        let width = 30
        let fraction = Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = (ContinuousClock.now - start).seconds
        var line = "\r\u{1B}[2K  \(label) [\(bar)] \(Int(fraction * 100))%  \(Format.seconds(elapsed))"
        if let left = Self.remaining(elapsed: elapsed, done: done, total: total) { line += ", ETA \(Format.seconds(left))" }
        if !note.isEmpty { line += "  " + note }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
