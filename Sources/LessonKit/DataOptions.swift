import ArgumentParser
import NOLAKit

/// `--data synthetic|mnist` for the lessons that train on digits (see data/README.md).
///
/// ```
/// struct Options: ParsableCommand {
///     static let configuration = CommandConfiguration(commandName: "lesson04", abstract: "…")
///     @OptionGroup var common: CommonOptions
///     @OptionGroup var data: DataOptions
/// }
/// ```
public struct DataOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("data"),
        help: ArgumentHelp("Digits to train on: synthetic (built in) or mnist (files in data/mnist).",
                           valueName: "synthetic|mnist"))
    public var name: String = "synthetic"

    public init() {}

    /// The chosen source (valid after parsing).
    public var source: DigitSource { DigitSource(argument: name) ?? .synthetic }

    public func validate() throws {
        guard DigitSource(argument: name) != nil else {
            throw ValidationError("--data '\(name)' is unknown; use --data synthetic or --data mnist.")
        }
        DataChoice.note(source != .synthetic ? "mnist: real MNIST digits from data/mnist" : "synthetic: digits drawn by the project from the seed")
    }
}
