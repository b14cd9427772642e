import ArgumentParser
import Foundation

/// The options of a lesson whose long runs are a `JobGrid`: where the results go, which share of
/// the jobs this process runs, and whether to run anything at all.
///
/// ```
/// struct Options: ParsableCommand {
///     @OptionGroup var common: CommonOptions
///     @OptionGroup var grid: GridOptions
/// }
/// let folder = options.grid.folder(default: scale == .full ? "Lessons/lesson12/results/e2e-full" : nil)
/// ```
///
/// Splitting a grid between processes (`--jobs i/n`, the same command line otherwise):
///
/// ```
/// seq 1 4 | xargs -P 4 -I{} swift run -c release lesson12 --data e2e --full --jobs {}/4
/// sbatch --array=1-8 --wrap 'swift run -c release lesson12 --data e2e --full --jobs ${SLURM_ARRAY_TASK_ID}/8'
/// swift run -c release lesson12 --data e2e --full --from-results      # the tables, in seconds
/// ```
public struct GridOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("results"),
        help: ArgumentHelp("Folder of the run's result files, one per finished job: a rerun skips them (default: --full's own folder; none otherwise).", valueName: "DIR"))
    public var resultsFolder: String?

    @Option(
        name: .customLong("jobs"),
        help: ArgumentHelp("Run only share i of n of the jobs (e.g. 1/2 and 2/2 in two processes), reading the others' results when present.", valueName: "i/n"))
    public var jobsText: String?

    @Flag(name: .customLong("from-results"), help: "Run no job: build the tables and figures from the result files present.")
    public var fromResults = false

    public init() {}

    /// The share of the jobs this process runs (valid after parsing).
    public var share: JobShare { jobsText.flatMap { try? JobShare(parsing: $0) } ?? .all }

    /// The results folder: `--results`, else `defaultFolder` (nil: results are not kept).
    public func folder(default defaultFolder: String?) -> URL? {
        (resultsFolder ?? defaultFolder).map { URL(fileURLWithPath: $0) }
    }

    /// The grid's mode.
    public var mode: GridMode { fromResults ? .fromResults : .run }

    public func validate() throws {
        if let jobsText {
            do {
                _ = try JobShare(parsing: jobsText)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if resultsFolder?.isEmpty == true { throw ValidationError("--results needs a folder name, e.g. --results my-results.") }
        if fromResults && jobsText != nil { throw ValidationError("--from-results runs no job, so --jobs means nothing with it; pass one of them.") }
    }
}
