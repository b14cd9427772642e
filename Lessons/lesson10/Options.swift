import ArgumentParser
import LessonKit

/// Lesson 10's command line: the common options, `--data`, and `--group-size` (g of the
/// per-group scale rule).
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson10", abstract: "Lesson 10 — How few bits does a coefficient need? PTQ and QAT (paper §3.2, Table 4).")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataOptions
    @Option(name: .customLong("group-size"), help: "Coefficients per scale in the per-group rule.")
    var groupSize: Int = 32

    func validate() throws {
        guard groupSize > 0 else { throw ValidationError("--group-size must be a positive integer, e.g. --group-size 32.") }
    }
}
