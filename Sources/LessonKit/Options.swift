import ArgumentParser
import Foundation

/// The options every lesson takes. Each lesson declares a `ParsableCommand` named after itself
/// holding `@OptionGroup var common: CommonOptions` (and its own options beside it) and parses it
/// with `parseLessonOptions()`: see `LessonArguments.swift`.
///
/// ```
/// --seed N      root seed of every random stream in the run (default 1)
/// --quick       a smoke run of a few seconds (CI uses it)
/// --full        the paper-scale configuration, where a CPU can carry it
/// --plots DIR   where figures go: DIR/lessonNN/<name>.{gp,dat,png,svg} (default plots)
/// --live        redraw the training loss in the terminal while the lesson trains
/// --show        draw each figure in the terminal as it is written
/// ```
///
/// `--live` and `--show` draw through one gnuplot process (gnuplot-iostream, `TerminalGnuplot`),
/// as sixel images in terminals that show them and as text plots elsewhere, and do nothing when
/// standard output is not a terminal.
public struct CommonOptions: ParsableArguments, Sendable {
    // Read as text and checked in `validate()`, so that `--seed -1` says what a seed is instead
    // of ArgumentParser's "Missing value" (it takes "-1" for an option name).
    @Option(
        name: .customLong("seed"), parsing: .unconditional,
        help: ArgumentHelp("Root seed of every random stream in this run (0 to 2⁶⁴−1).", valueName: "N"))
    var seedText: String = "1"

    /// The root seed (valid after parsing).
    public var seed: UInt64 { UInt64(seedText) ?? 1 }

    @Flag(help: "A smoke run of a few seconds (used by CI).")
    public var quick = false

    @Flag(help: "The paper-scale configuration, where a CPU can carry it (slow).")
    public var full = false

    @Option(
        name: .customLong("plots"),
        help: ArgumentHelp("Folder for figures; each lesson writes into DIR/lessonNN/.", valueName: "DIR"))
    public var plotsDirectory: String = "plots"

    @Flag(help: "Redraw the training loss in the terminal while the lesson trains (nothing when output is not a terminal).")
    public var live = false

    @Flag(help: "Draw each figure in the terminal as it is written (nothing when output is not a terminal).")
    public var show = false

    public init() {}

    /// Which of the three configurations this run uses.
    public var scale: Scale { quick ? .quick : (full ? .full : .standard) }

    public mutating func validate() throws {
        guard seedText.allSatisfy(\.isASCII), seedText.allSatisfy(\.isNumber), UInt64(seedText) != nil else {
            throw ValidationError(
                "--seed '\(seedText)' is not a whole number from 0 to \(UInt64.max); pass e.g. --seed 7.")
        }
        if quick && full {
            throw ValidationError("--quick and --full cannot be combined; pick one.")
        }
        if plotsDirectory.isEmpty {
            throw ValidationError("--plots needs a folder name, e.g. --plots plots.")
        }
    }
}

/// The size of a run: `--quick` for CI, the default for a classroom, `--full` for the paper's scale.
public enum Scale: String, Sendable {
    case quick, standard, full

    /// Picks the value for this scale: `scale.pick(quick: 2, standard: 20, full: 200)`.
    public func pick<T>(quick: T, standard: T, full: T) -> T {
        switch self {
        case .quick: quick
        case .standard: standard
        case .full: full
        }
    }
}
