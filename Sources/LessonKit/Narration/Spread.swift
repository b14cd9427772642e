/// Repeated measurements of one quantity (an accuracy over several seeds, say): their mean and
/// sample standard deviation, for tables ("92.4 ± 1.6%") and error bars.
public struct Spread: Sendable, Equatable {
    /// The measurements.
    public let values: [Double]

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "Spread needs at least one value")
        self.values = values
    }

    /// The arithmetic mean.
    public var mean: Double { values.reduce(0, +) / Double(values.count) }

    /// The sample standard deviation (divisor n − 1); 0 for a single value.
    public var std: Double {
        guard values.count > 1 else { return 0 }
        let m = mean
        return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }

    /// "1.742 ± 0.054" with `digits` decimals; a single measurement is shown alone ("1.742"),
    /// since it has no spread to show.
    public func text(_ digits: Int) -> String {
        values.count == 1 ? Format.fixed(mean, digits) : Format.meanStd(mean, std, digits)
    }

    /// Fractions shown as percentages: "92.4 ± 1.6%" (or "92.4%" for one measurement).
    public var percentText: String { Spread(values.map { 100 * $0 }).text(1) + "%" }
}
