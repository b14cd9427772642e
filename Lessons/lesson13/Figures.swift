import LessonKit
import NOLAKit

/// Lesson 13's two measured figures, built from what cells 3 and 4 measured.
enum Figures {
    /// Cell 3: NOLA's step time over LoRA r=1's against the tokens per step, one line per NOLA
    /// method that was timed (`ratios[m]` is method `m + 1`'s median CPU-time ratio at each of
    /// `tokens`), with the paper's ratios (GPU, batch 8) as reference lines.
    static func timeRatio(tokens: [Double], ratios: [[Double]], methods: [StepBench.Method], timed: [Int]) -> Figure {
        var figure = Figure("time_ratio_vs_tokens", title: "NOLA's step time over LoRA r=1's at GPT-2 L width (cf. Table 2)",
                            x: "tokens per training step (sequences × length)", y: "NOLA ÷ LoRA, CPU time per step (median of rounds)")
        figure.logX = true
        figure.logBase = 2
        figure.legend = .topRight
        figure.yRange = 0.9...max(1.2, 1.1 * (ratios.flatMap { $0 }.max() ?? 1))
        for m in 0..<3 where timed.contains(m + 1) {
            let entry = methods[m + 1]
            figure.add(.lines("\(entry.name) (144K at full depth, rank 8)", x: tokens, y: ratios[m], color: entry.color))
        }
        figure.annotate(.horizontalLine(y: 1.075, label: "paper (GPU, batch 8): non-shared 1.075, shared 1.004", color: .nola))
        figure.annotate(.horizontalLine(y: 1.004, label: "", color: .orange))
        return figure
    }

    /// Cell 4: the memory that holding N adapters of GPT-2 L (Q, V, 36 blocks) takes, for N = 1 …
    /// 10,000: LoRA r=1's factors, NOLA's coefficients (basis from the seed: `sharedBytes` per
    /// block), the same with a cache of 64 factor sets, and a full fp32 copy of the model each.
    /// The byte counts are per block.
    static func memory(perAdapterLoRA: Int, perAdapterNOLA: Int, perFactorSet: Int, sharedBytes: Int) -> Figure {
        let counts = [1, 10, 100, 1000, 10_000]
        let n = counts.map(Double.init)
        let mb = 1_048_576.0
        var figure = Figure("memory_vs_adapters", title: "Holding N GPT-2 L adapters (Q, V, 36 blocks) for serving",
                            x: "adapters held, N", y: "memory (MB)")
        figure.logX = true
        figure.logY = true
        figure.legend = .topLeft
        figure.add(.lines("LoRA r=1 factors (184K each)", x: n, y: counts.map { 36 * Double($0 * perAdapterLoRA) / mb }, color: .lora))
        figure.add(.lines("NOLA coefficients (144K each), basis from the seed", x: n,
                          y: counts.map { 36 * Double($0 * perAdapterNOLA + sharedBytes) / mb }, color: .nola))
        figure.add(.lines("NOLA coefficients + cache of 64 materialized factor sets", x: n,
                          y: counts.map { 36 * Double($0 * perAdapterNOLA + min($0, 64) * perFactorSet + sharedBytes) / mb },
                          color: .orange, dashed: true))
        figure.add(.lines("a full fine-tuned copy each (fp32, 774M)", x: n,
                          y: counts.map { Double($0) * Double(ModelShape.gpt2Large.parameterCount) * 4 / mb }, color: .dense, dashed: true))
        return figure
    }
}
