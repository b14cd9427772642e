import ArgumentParser
import LessonKit

/// Lesson 13's command line: the common options.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson13",
        abstract: "Lesson 13 — What NOLA costs and saves at real sizes: Table 2, Table 5 and 10,000 LLaMA-70B variants on one GPU.")
    @OptionGroup var common: CommonOptions
}
