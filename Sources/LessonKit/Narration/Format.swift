import Foundation

/// Number formatting for narration and tables.
public enum Format {
    /// `x` with `digits` decimals: `fixed(3.14159, 2)` is "3.14".
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        return String(format: "%.\(digits)f", x)
    }

    /// `x` with `digits` decimals.
    public static func fixed(_ x: Float, _ digits: Int) -> String { fixed(Double(x), digits) }

    /// A percentage of a fraction: `percent(0.9712, 1)` is "97.1%".
    public static func percent(_ fraction: Double, _ digits: Int = 1) -> String {
        fixed(100 * fraction, digits) + "%"
    }

    /// `mean ± std` with `digits` decimals.
    public static func meanStd(_ mean: Double, _ std: Double, _ digits: Int) -> String {
        "\(fixed(mean, digits)) ± \(fixed(std, digits))"
    }

    /// An integer with thousands separators: "1,306".
    public static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A byte count in B, KB, MB or GB (powers of 1024), three significant digits.
    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : significant(value, 3) + " " + units[unit]
    }

    /// A duration in seconds: "412 ms", "3.2 s", "2 min 05 s" ("nan s" for a duration that is not
    /// a number, never a trap).
    public static func seconds(_ s: Double) -> String {
        guard s.isFinite, s < 1e12 else { return significant(s, 3) + " s" }
        if s < 1e-3 { return significant(s * 1e6, 3) + " µs" }
        if s < 1 { return significant(s * 1e3, 3) + " ms" }
        if s < 60 { return significant(s, 3) + " s" }
        let minutes = Int(s / 60)
        return String(format: "%d min %02d s", minutes, Int(s) - 60 * minutes)
    }

    /// A rate such as floats per second: "1.23 G", "456 M".
    public static func rate(_ perSecond: Double) -> String {
        let scales: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")]
        for (scale, suffix) in scales where perSecond >= scale {
            return significant(perSecond / scale, 3) + " " + suffix
        }
        return significant(perSecond, 3)
    }

    /// `x` to `n` significant digits, without exponent for ordinary magnitudes.
    public static func significant(_ x: Double, _ n: Int) -> String {
        guard x.isFinite, x != 0 else { return x == 0 ? "0" : fixed(x, 0) }
        let magnitude = Int(floor(log10(abs(x))))
        let decimals = max(0, n - 1 - magnitude)
        return String(format: "%.\(decimals)f", x)
    }
}

/// Runs `body` and returns its result with the wall-clock seconds it took.
public func timed<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
    let start = ContinuousClock.now
    let result = try body()
    return (result, (ContinuousClock.now - start).seconds)
}
