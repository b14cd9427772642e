import Foundation
import NOLAKit

/// How fast some work went: items (tokens, say) per second of wall clock, and how many cores
/// the process kept busy meanwhile (CPU seconds of all its threads per wall second) — on a shared
/// machine the second says whether a slow rate was the code's or the neighbours'.
///
///     let speed = Throughput.measure(items: batch.tokenCount) { try trainer.step(batch) }
///     lesson.say("training reads \(speed.text("tokens"))")   // "24.1 K tokens/s (1.9 cores busy)"
public struct Throughput: Sendable, Equatable {
    /// Items done.
    public var items: Int
    /// Wall-clock and process CPU seconds they took.
    public var seconds: Double
    public var cpuSeconds: Double

    public init(items: Int, seconds: Double, cpuSeconds: Double) {
        self.items = items
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }

    /// Runs `body` and measures it as `items` items.
    public static func measure<T>(items: Int, _ body: () throws -> T) rethrows -> (result: T, throughput: Throughput) {
        let (wall, cpu) = (ContinuousClock.now, ProcessMemory.cpuSeconds)
        let result = try body()
        return (result, Throughput(items: items, seconds: (ContinuousClock.now - wall).seconds, cpuSeconds: ProcessMemory.cpuSeconds - cpu))
    }

    /// Items per wall-clock second (0 when no time passed).
    public var perSecond: Double { seconds > 0 ? Double(items) / seconds : 0 }

    /// Cores kept busy on average: CPU seconds per wall second.
    public var cores: Double { seconds > 0 ? cpuSeconds / seconds : 0 }

    /// Seconds `items` more items would take at this rate (nil when nothing was measured).
    public func seconds(for items: Int) -> Double? { perSecond > 0 ? Double(items) / perSecond : nil }

    /// "24.1 K tokens/s (1.9 cores busy)".
    public func text(_ unit: String) -> String {
        "\(Format.rate(perSecond)) \(unit)/s (\(Format.fixed(cores, 1)) cores busy)"
    }
}
