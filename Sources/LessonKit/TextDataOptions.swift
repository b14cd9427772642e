import ArgumentParser
import NOLAKit

/// `--data synthetic|e2e` for the lessons that train on restaurant text (see data/README.md).
///
/// ```
/// struct Options: ParsableArguments {
///     @OptionGroup var common: CommonOptions
///     @OptionGroup var data: TextDataOptions
/// }
/// let data = options.data.loadOrExit(seed: options.common.seed)   // before the lesson prints
/// ```
public struct TextDataOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("data"),
        help: ArgumentHelp(
            "Restaurant MRs and sentences: synthetic (built in) or e2e (the E2E NLG files in data/e2e).",
            valueName: "synthetic|e2e"))
    public var name: String = "synthetic"

    public init() {}

    /// The chosen source (valid after parsing); synthetic data is drawn from `seed`.
    public func source(seed: UInt64) -> E2ESource {
        E2ESource(argument: name, seed: seed) ?? .synthetic(seed: seed)
    }

    public func validate() throws {
        guard E2ESource(argument: name, seed: 0) != nil else {
            throw ValidationError("--data '\(name)' is unknown; use --data synthetic or --data e2e.")
        }
        DataChoice.note(name.lowercased() == "e2e" ? "e2e: the E2E NLG files in data/e2e" : "synthetic: restaurant MRs and sentences drawn by the project from the seed")
    }

    /// `E2EData.load(source(seed:))`, or, when that fails (the E2E files are missing or
    /// damaged), one line on stderr saying what to do and exit status 1.
    public func loadOrExit(seed: UInt64) -> E2EData {
        do {
            return try E2EData.load(source(seed: seed))
        } catch {
            Lesson.fail("\(error)")
        }
    }
}
