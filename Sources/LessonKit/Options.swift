import ArgumentParser
import Foundation

/// The options every lesson takes. A lesson with options of its own declares a
/// `ParsableArguments` struct holding `@OptionGroup var common: CommonOptions` beside them.
///
/// ```
/// --seed N      root seed of every random stream in the run (default 1)
/// --quick       a smoke run of a few seconds (CI uses it)
/// --full        the paper-scale configuration, where a CPU can carry it
/// --plots DIR   where figures go: DIR/lessonNN/<name>.{gp,dat,png,svg} (default plots)
/// ```
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(help: "Root seed of every random stream in this run.")
    public var seed: UInt64 = 1

    @Flag(help: "A smoke run of a few seconds (used by CI).")
    public var quick = false

    @Flag(help: "The paper-scale configuration, where a CPU can carry it (slow).")
    public var full = false

    @Option(
        name: .customLong("plots"),
        help: ArgumentHelp("Folder for figures; each lesson writes into DIR/lessonNN/.", valueName: "DIR"))
    public var plotsDirectory: String = "plots"

    public init() {}

    /// Which of the three configurations this run uses.
    public var scale: Scale { quick ? .quick : (full ? .full : .standard) }

    public mutating func validate() throws {
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
