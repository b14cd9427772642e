/// A figure described in Swift and written as a gnuplot script plus its data.
///
/// ```swift
/// var fig = Figure("coverage", title: "Subspace coverage (cf. paper Fig. 2)",
///                  x: "trainable parameters n", y: "coverage = rank / d²")
/// fig.logX = true
/// fig.add(.lines("PRANC, d = 8", x: ns, y: prancCoverage, color: .pranc))
/// fig.add(.lines("NOLA, d = 8", x: ns, y: nolaCoverage, color: .nola))
/// lesson.save(fig)
/// ```
///
/// Text is printed as written (gnuplot's enhanced-text markup is off): write `d²`, `α`, `·`
/// directly in UTF-8.
public struct Figure: Sendable {
    /// File stem: the figure is written as `<name>.gp`, `<name>.dat`, `<name>.png`, `<name>.svg`.
    public var name: String
    /// Title; cite the paper's figure or table: "… (cf. paper Table 3)".
    public var title: String
    /// x-axis label, with units.
    public var xLabel: String
    /// y-axis label, with units.
    public var yLabel: String
    /// Logarithmic x axis (base `logBase`).
    public var logX = false
    /// Logarithmic y axis (base `logBase`).
    public var logY = false
    /// Base of the log axes: 10, or 2 for sizes that double.
    public var logBase = 10
    /// Fixed x range; `nil` lets gnuplot choose.
    public var xRange: ClosedRange<Double>?
    /// The x axis runs from high to low (a loss that gets better to the right).
    public var xDescending = false
    /// Fixed y range; `nil` lets gnuplot choose.
    public var yRange: ClosedRange<Double>?
    /// Explicit x tics `(position, label)`, for categories or powers of two.
    public var xTics: [(Double, String)]?
    /// Explicit y tics `(position, label)` (a heat map's row names).
    public var yTics: [(Double, String)]?
    /// The colour scale of heat maps: its label and the values at its two ends (values outside
    /// are drawn in the end colours). `nil`: gnuplot scales to the data.
    public var colorBar: ColorBar?
    /// Where the legend goes.
    public var legend: Legend = .topLeft
    /// Size in pixels of the PNG (the SVG has the same proportions).
    public var size: (width: Int, height: Int) = (960, 600)
    /// The plotted series, drawn in order.
    public private(set) var series: [Series] = []
    /// Reference lines and text.
    public private(set) var annotations: [Annotation] = []

    /// A new, empty figure.
    public init(_ name: String, title: String, x xLabel: String, y yLabel: String) {
        precondition(
            !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" },
            "Figure name '\(name)' must be letters, digits, '-' or '_' (it becomes a file name)")
        self.name = name
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Adds a series.
    public mutating func add(_ s: Series) { series.append(s) }

    /// Adds a reference line or a piece of text.
    public mutating func annotate(_ a: Annotation) { annotations.append(a) }

    /// A heat map's colour scale: `label` beside it, `range` from white to dark blue.
    public struct ColorBar: Sendable {
        public var label: String
        public var range: ClosedRange<Double>
        public init(label: String, range: ClosedRange<Double>) {
            self.label = label
            self.range = range
        }
    }

    /// Where the legend sits.
    public enum Legend: Sendable {
        case topLeft, topRight, bottomLeft, bottomRight
        /// To the right of the plot, outside the axes.
        case outside
        /// Below the plot, outside the axes, in rows.
        case below
        case hidden
    }
}

/// One plotted set of data.
public struct Series: Sendable {
    /// Legend entry; empty for none.
    public var title: String
    /// Colour; `nil` takes the next colour of the house palette.
    public var color: Color?
    /// Dashed line.
    public var dashed = false
    /// What is drawn.
    public var kind: Kind

    public enum Kind: Sendable {
        /// Lines through `(x, y)`, with point markers when `markers` is on.
        case lines(x: [Double], y: [Double], markers: Bool)
        /// Markers only.
        case points(x: [Double], y: [Double])
        /// Markers with vertical error bars ± `error`, joined by lines when `connected`.
        case errorBars(x: [Double], y: [Double], error: [Double], connected: Bool)
        /// Filled boxes: a histogram's bins, `centers` with common `width`.
        case boxes(centers: [Double], heights: [Double], width: Double)
        /// Bars over named categories; several bar series in one figure are set side by side.
        case bars(labels: [String], values: [Double], showValues: Bool)
        /// A grey-scale image, `rows × cols` values, row 0 at the top (digits, matrices).
        case image(pixels: [Double], rows: Int, cols: Int)
        /// Coloured cells (`Figure.colorBar`'s scale): `rows × cols` values, row after row, cell
        /// `(r, c)` a unit square centred at `(x + c, y + r)`, row 0 at the top. Non-finite values
        /// are not drawn: the panel's grey background shows there (masked cells).
        case heatMap(values: [Double], rows: Int, cols: Int, x: Double, y: Double)
    }

    public init(title: String, color: Color? = nil, dashed: Bool = false, kind: Kind) {
        self.title = title
        self.color = color
        self.dashed = dashed
        self.kind = kind
    }

    /// Lines (with markers by default) through `(x, y)`.
    public static func lines(
        _ title: String, x: [Double], y: [Double], markers: Bool = true, color: Color? = nil,
        dashed: Bool = false
    ) -> Series {
        precondition(x.count == y.count, "Series '\(title)': \(x.count) x values, \(y.count) y values")
        return Series(title: title, color: color, dashed: dashed, kind: .lines(x: x, y: y, markers: markers))
    }

    /// Markers at `(x, y)`.
    public static func points(_ title: String, x: [Double], y: [Double], color: Color? = nil) -> Series {
        precondition(x.count == y.count, "Series '\(title)': \(x.count) x values, \(y.count) y values")
        return Series(title: title, color: color, kind: .points(x: x, y: y))
    }

    /// Means with ± error bars (standard deviations, say), joined by lines unless `connected` is off.
    public static func errorBars(
        _ title: String, x: [Double], y: [Double], error: [Double], connected: Bool = true,
        color: Color? = nil, dashed: Bool = false
    ) -> Series {
        precondition(
            x.count == y.count && y.count == error.count,
            "Series '\(title)': \(x.count) x, \(y.count) y, \(error.count) error values")
        return Series(
            title: title, color: color, dashed: dashed,
            kind: .errorBars(x: x, y: y, error: error, connected: connected))
    }

    /// A histogram of `samples` over `range` in `bins` equal bins; `density` scales it so that
    /// the area is 1 (to lay a probability density over it). Samples outside `range` are dropped.
    public static func histogram(
        _ title: String, samples: [Double], bins: Int, range: ClosedRange<Double>,
        density: Bool = true, color: Color? = nil
    ) -> Series {
        precondition(bins > 0 && range.upperBound > range.lowerBound, "histogram: bad bins or range")
        let width = (range.upperBound - range.lowerBound) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for s in samples where range.contains(s) {
            counts[min(bins - 1, Int((s - range.lowerBound) / width))] += 1
        }
        let total = Double(samples.count)
        let heights = density ? counts.map { $0 / (total * width) } : counts
        let centers = (0..<bins).map { range.lowerBound + (Double($0) + 0.5) * width }
        return Series(
            title: title, color: color, kind: .boxes(centers: centers, heights: heights, width: width))
    }

    /// Bars over categories (`labels[i]` under `values[i]`), printing each value above its bar
    /// when `showValues` is on.
    public static func bars(
        _ title: String, labels: [String], values: [Double], showValues: Bool = true, color: Color? = nil
    ) -> Series {
        precondition(labels.count == values.count, "Series '\(title)': \(labels.count) labels, \(values.count) values")
        return Series(title: title, color: color, kind: .bars(labels: labels, values: values, showValues: showValues))
    }

    /// A grey-scale image of `rows × cols` values in row-major order (0 black, 1 white after
    /// gnuplot's automatic scaling).
    public static func image(_ pixels: [Double], rows: Int, cols: Int) -> Series {
        precondition(pixels.count == rows * cols, "image: \(pixels.count) pixels for \(rows)×\(cols)")
        return Series(title: "", kind: .image(pixels: pixels, rows: rows, cols: cols))
    }
}

extension Series {
    /// A heat map of `rows × cols` values (row-major, row 0 at the top) whose cell `(r, c)` is
    /// centred at `(x + c, y + r)`; NaN marks a masked cell, drawn as the grey background.
    public static func heatMap(_ values: [Double], rows: Int, cols: Int, x: Double = 0, y: Double = 0) -> Series {
        precondition(rows > 0 && cols > 0 && values.count == rows * cols, "heatMap: \(values.count) values for \(rows)×\(cols)")
        return Series(title: "", kind: .heatMap(values: values, rows: rows, cols: cols, x: x, y: y))
    }
}

/// A reference line or a piece of text on a figure.
public enum Annotation: Sendable {
    /// A dashed vertical line at `x`, labelled at the top.
    case verticalLine(x: Double, label: String, color: Color)
    /// A dashed horizontal line at `y`, labelled at the left.
    case horizontalLine(y: Double, label: String, color: Color)
    /// Text centred at `(x, y)` in data coordinates.
    case text(String, x: Double, y: Double, color: Color)
}

/// The house palette (Okabe–Ito, readable by colour-blind readers), with one fixed colour per
/// method so that LoRA is the same blue in every lesson.
public struct Color: Sendable, Equatable {
    /// `#RRGGBB`.
    public var hex: String
    public init(hex: String) { self.hex = hex }

    public static let blue = Color(hex: "#0072B2")
    public static let vermillion = Color(hex: "#D55E00")
    public static let green = Color(hex: "#009E73")
    public static let orange = Color(hex: "#E69F00")
    public static let purple = Color(hex: "#CC79A7")
    public static let sky = Color(hex: "#56B4E9")
    public static let yellow = Color(hex: "#C8B400")
    public static let black = Color(hex: "#000000")
    public static let gray = Color(hex: "#777777")

    /// The order in which series without an explicit colour take colours.
    public static let cycle: [Color] = [.blue, .vermillion, .green, .orange, .purple, .sky, .black, .yellow]

    /// LoRA, in every lesson.
    public static let lora = blue
    /// NOLA, in every lesson.
    public static let nola = vermillion
    /// PRANC, in every lesson.
    public static let pranc = green
    /// Dense training or full fine-tuning (the upper reference).
    public static let dense = black
    /// A frozen base model or other lower reference.
    public static let base = gray
}
