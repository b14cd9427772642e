#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The learning rate as a function of the step `s = 0, 1, 2, …` (the number of optimizer steps
/// already taken). Set `optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount)`
/// before each step.
///
/// The formulas follow PyTorch's `StepLR` and Hugging Face's `get_cosine_schedule_with_warmup` /
/// `get_linear_schedule_with_warmup` (the schedules of the LoRA and NOLA training scripts):
/// during warm-up the rate rises as `peak · s / warmup`, so step 0 has rate 0.
public enum LearningRateSchedule: Sendable, Equatable {
    /// `rate` at every step.
    case constant(Float)
    /// `rate · factor^⌊s / every⌋`: multiplied by `factor` every `every` steps.
    case step(rate: Float, every: Int, factor: Float)
    /// Linear warm-up to `peak` over `warmup` steps, then a half cosine from `peak` down to
    /// `floor` at step `total`, and `floor` after it.
    case warmupCosine(peak: Float, warmup: Int, total: Int, floor: Float = 0)
    /// Linear warm-up to `peak` over `warmup` steps, then a straight line down to 0 at step
    /// `total`, and 0 after it.
    case warmupLinear(peak: Float, warmup: Int, total: Int)

    /// The rate at step `s` (0-based).
    public func learningRate(atStep s: Int) -> Float {
        checkPrecondition(s >= 0, "LearningRateSchedule: step \(s) is negative")
        switch self {
        case .constant(let rate):
            return rate
        case .step(let rate, let every, let factor):
            checkPrecondition(every > 0, "LearningRateSchedule.step: every must be positive, got \(every)")
            return rate * Float(pow(Double(factor), Double(s / every)))
        case .warmupCosine(let peak, let warmup, let total, let floor):
            if s < warmup { return peak * Float(s) / Float(warmup) }
            let progress = min(1, Double(s - warmup) / Double(max(1, total - warmup)))
            return floor + (peak - floor) * Float(0.5 * (1 + cos(Double.pi * progress)))
        case .warmupLinear(let peak, let warmup, let total):
            if s < warmup { return peak * Float(s) / Float(warmup) }
            let remaining = max(0, Double(total - s) / Double(max(1, total - warmup)))
            return peak * Float(remaining)
        }
    }
}
