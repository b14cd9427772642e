import LessonKit

// How lesson 13 writes counts, sizes and ratios.

/// "12.94M" for the paper's way of writing counts.
func millions(_ n: Int, _ digits: Int = 3) -> String { Format.fixed(Double(n) / 1e6, digits) + "M" }

/// Decimal gigabytes, as GPU makers and the claim write them: "34.49 GB".
func gigabytes(_ bytes: Double) -> String { Format.fixed(bytes / 1e9, 2) + " GB" }

/// The median of measurements.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// "1.07 (1.03–1.12)": the median and the range of per-round ratios.
func ratioText(_ xs: [Double]) -> String {
    "\(Format.fixed(median(xs), 3)) (\(Format.fixed(xs.min()!, 2))–\(Format.fixed(xs.max()!, 2)))"
}
