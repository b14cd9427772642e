/// What a machine does while it trains: tokens per second over the steps timed so far, and from
/// it the time a run of a given size will take (so a lesson can say how long `--full` needs
/// before it starts).
///
///     var throughput = TrainingThroughput()
///     for batch in firstBatches {
///         let (_, seconds) = timed { try trainer.step(batch) }
///         throughput.record(tokens: batch.realTokens, seconds: seconds)
///     }
///     throughput.tokensPerSecond            // 61,200
///     throughput.seconds(forTokens: 40_000_000)   // the estimate for a larger run
///
/// Tokens are the real positions a step reads (`TokenBatch.realTokens`: padding excluded), the
/// unit a student can compare with a corpus's size. Steps of one run differ in length (batches
/// are padded to their longest sentence), so the rate is total tokens over total seconds, not a
/// mean of per-step rates. `skipping` leaves out the first steps (buffers sized, threads woken).
public struct TrainingThroughput: Sendable, Equatable {
    /// Steps recorded (after the skipped ones).
    public private(set) var steps = 0
    /// Tokens of the recorded steps.
    public private(set) var tokens = 0
    /// Seconds of the recorded steps.
    public private(set) var seconds = 0.0
    /// Steps still to be left out.
    public private(set) var skipping: Int

    /// An empty record that leaves out the first `skipping` steps.
    public init(skipping: Int = 0) {
        checkPrecondition(skipping >= 0, "TrainingThroughput: skipping \(skipping) steps")
        self.skipping = skipping
    }

    /// Adds one step of `tokens` tokens that took `seconds`.
    public mutating func record(tokens: Int, seconds: Double) {
        checkPrecondition(tokens >= 0 && seconds >= 0 && seconds.isFinite, "TrainingThroughput: \(tokens) tokens in \(seconds) s")
        if skipping > 0 {
            skipping -= 1
            return
        }
        steps += 1
        self.tokens += tokens
        self.seconds += seconds
    }

    /// Tokens per second so far; nil before any time was recorded.
    public var tokensPerSecond: Double? { seconds > 0 ? Double(tokens) / seconds : nil }

    /// Seconds per step so far; nil before any step was recorded.
    public var secondsPerStep: Double? { steps > 0 ? seconds / Double(steps) : nil }

    /// The seconds `tokens` more tokens take at this rate; nil before any time was recorded.
    public func seconds(forTokens tokens: Int) -> Double? { tokensPerSecond.map { Double(tokens) / $0 } }

    /// The seconds `steps` more steps like the recorded ones take; nil before any step.
    public func seconds(forSteps steps: Int) -> Double? { secondsPerStep.map { Double(steps) * $0 } }
}

extension TokenBatch {
    /// The real (unpadded) positions of the batch, `Σ lengths`: what a step reads.
    public var realTokens: Int { lengths.reduce(0, +) }
}
