import ArgumentParser
import LessonKit
import NOLAKit

/// Lesson 03's command line: the common options and `--data`.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson03", abstract: "Lesson 03 — Backprop by hand: the paper's A.2 MLP on digits.")

    @OptionGroup var common: CommonOptions

    @OptionGroup var data: DataOptions

    /// The training and validation digits of this scale (`--quick` 3,000 + 1,000, default
    /// 12,000 + 2,000, `--full` MNIST's 60,000 + 10,000), or one line of error and exit 1.
    func loadDigits() -> (train: DigitDataset, validation: DigitDataset) {
        let trainCount = common.scale.pick(quick: 3_000, standard: 12_000, full: 60_000)
        let validationCount = common.scale.pick(quick: 1_000, standard: 2_000, full: 10_000)
        do {
            return try data.source.load(trainCount: trainCount, validationCount: validationCount, seed: common.seed)
        } catch {
            Lesson.fail("\(error)")
        }
    }
}
