import Foundation
import LessonKit
import NOLAKit
import Testing

/// # The catalogue of bad inputs
///
/// Every bad input a fair but hostile user might try, in one table, with what the program must
/// answer. This table is the list: add a row when you find a new way to break a lesson or a
/// reader, or when a lesson adds an option or reads a new kind of file.
///
/// The rules every row checks (README, "When something is wrong"):
/// - a bad argument: one line `error: …` on stderr, exit 64, in every lesson;
/// - any other bad input that stops the program (data, folders, files): one line `error: …`
///   on stderr, exit 1;
/// - trouble the lesson can work around (a rejected cache, gnuplot missing, failing or hanging):
///   one `warning: …` line each on stderr, exit 0;
/// - the line names the culprit (the flag, file or program) and what to do; `names` lists the
///   words it must contain. Never a trap, a traceback, "nan", or a silent wrong answer.
///
/// How a row runs (`Action`):
/// - `.lesson`: the built executable (`.build/<config>/lessonNN`), in a fresh folder prepared by
///   the row's fixture (its `data/mnist`, `data/cache`, `plots`), with `--quick` where it runs far;
/// - `.tool`: another executable of the build (`e2e-score`) in such a folder, with standard input
///   fed from a pipe when the row gives it;
/// - `.python`: `python3 Sources/Python/nola_adapter.py` in such a folder (skipped, and said so,
///   without python3, numpy and safetensors);
/// - `.library`: a NOLAKit call whose thrown error is the line (Swift has no adapter-file or
///   checkpoint command); it counts as exit 1 when it throws. `.libraryWarning`: a call that
///   goes on and returns the notice a lesson would print as its warning.
///
/// A run's standard output or error can be sent to a file (`/dev/full`): a run whose standard
/// error is lost is judged by its exit status alone. `after` checks what a run left behind (no
/// temporary folder, the input file unharmed).
///
/// `NOLA_CATALOGUE_REPORT=<file> swift test --filter BadInputCatalogue` also writes a Markdown
/// table of every row with the exact lines and exit codes it got; `NOLA_LESSONS_BUILD=<folder>`
/// and `NOLA_PYTHON_READER=<file>` run the rows against other lesson executables and another
/// reader (a release build, an older commit).
struct BadInput: Sendable, CustomTestStringConvertible {
    /// Short, unique, stable: "data-idx-overflow".
    var id: String
    var area: Area
    /// The input, as a user would describe it.
    var input: String
    var action: Action
    /// Expected exit status.
    var exit: Int32
    /// Words the `error:` line (exit ≠ 0) or the `warning:` line (exit 0) must contain.
    var names: [String]
    /// For runs that go on: words standard output must show, and words it must not.
    var stdoutHas: [String] = []
    var stdoutLacks: [String] = []
    /// Checks the row's folder after the run; throws `FixtureFailure` saying what is wrong.
    var after: Fixture? = nil

    var testDescription: String { "\(id): \(input)" }

    /// Whether the row sends the run's standard error to a file of its own (/dev/full).
    var losesStandardError: Bool {
        switch action {
        case .lesson(_, _, _, _, _, let stderr, _), .tool(_, _, _, _, _, let stderr): stderr != nil
        default: false
        }
    }

    enum Area: String, Sendable, CaseIterable {
        case flags = "flags"
        case data = "data files (IDX)"
        case csv = "data files (CSV)"
        case scorer = "e2e-score's files and streams"
        case cache = "cached base network"
        case checkpoint = "checkpoints"
        case adapterSwift = "adapter files, Swift reader"
        case adapterPython = "adapter files, Python reader"
        case output = "output folders and streams"
        case external = "external programs"
        case results = "results and verdicts"
    }

    /// Prepares the row's folder (the working directory of the run).
    typealias Fixture = @Sendable (URL) throws -> Void

    enum Action: Sendable {
        /// `lesson` with `arguments`, after `fixture`; `environment` is added to the test's
        /// own ("{dir}" in a value is the row's folder); `stdout` and `stderr` redirect standard
        /// output and error to a file (/dev/full, say); `fileSizeLimit` caps every file the run
        /// writes at that many KiB (`ulimit -f`, SIGXFSZ ignored: a full disk, for one run).
        case lesson(String, [String], fixture: Fixture? = nil, environment: [String: String] = [:], stdout: String? = nil,
                    stderr: String? = nil, fileSizeLimit: Int? = nil)
        /// Another executable of the build with `arguments`, after `fixture`; `stdin` is written
        /// into a pipe that is its standard input.
        case tool(String, [String], fixture: Fixture? = nil, stdin: String? = nil, stdout: String? = nil, stderr: String? = nil)
        /// `python3 nola_adapter.py` with `arguments`, after `fixture`.
        case python([String], fixture: Fixture, stdout: String? = nil)
        /// A NOLAKit call in the row's folder; the error it throws is the line.
        case library(@Sendable (URL) throws -> Void)
        /// A NOLAKit call in the row's folder that goes on; the notice it returns is the warning.
        case libraryWarning(@Sendable (URL) throws -> String?)
    }
}

extension BadInput {
    /// The catalogue. Grouped by area; the fixtures are in `BadInputFixtures` below.
    static let all: [BadInput] = flags + data + csv + scorer + cache + checkpoints + adapterSwift + adapterPython + output
        + external

    typealias F = BadInputFixtures

    // MARK: Flags (one line, exit 64, in every lesson)

    static let flags: [BadInput] = [
        BadInput(id: "flag-seed-negative", area: .flags, input: "lesson01 --seed -1",
                 action: .lesson("lesson01", ["--seed", "-1"]), exit: 64, names: ["--seed '-1'", "0 to 18446744073709551615", "lesson01 --help"]),
        BadInput(id: "flag-seed-too-big", area: .flags, input: "lesson02 --seed 18446744073709551616",
                 action: .lesson("lesson02", ["--seed", "18446744073709551616"]), exit: 64, names: ["--seed '18446744073709551616'"]),
        BadInput(id: "flag-seed-text", area: .flags, input: "lesson03 --seed abc",
                 action: .lesson("lesson03", ["--seed", "abc"]), exit: 64, names: ["--seed 'abc'", "lesson03 --help"]),
        BadInput(id: "flag-unknown", area: .flags, input: "lesson04 --frobnicate",
                 action: .lesson("lesson04", ["--frobnicate"]), exit: 64, names: ["--frobnicate", "lesson04 --help"]),
        BadInput(id: "flag-live-value", area: .flags, input: "lesson03 --live yes (--live takes no value)",
                 action: .lesson("lesson03", ["--live", "yes"]), exit: 64, names: ["'yes'", "lesson03 --help"]),
        BadInput(id: "flag-quick-full", area: .flags, input: "lesson05 --quick --full",
                 action: .lesson("lesson05", ["--quick", "--full"]), exit: 64, names: ["--quick and --full"]),
        BadInput(id: "flag-data-unknown", area: .flags, input: "lesson06 --data cifar",
                 action: .lesson("lesson06", ["--data", "cifar"]), exit: 64, names: ["--data 'cifar'", "--data synthetic"]),
        BadInput(id: "flag-plots-empty", area: .flags, input: "lesson07 --plots ''",
                 action: .lesson("lesson07", ["--plots", ""]), exit: 64, names: ["--plots needs a folder"]),
        BadInput(id: "flag-seed-missing", area: .flags, input: "lesson08 --seed (no value)",
                 action: .lesson("lesson08", ["--seed"]), exit: 64, names: ["Missing value", "--seed"]),
        BadInput(id: "flag-stray-argument", area: .flags, input: "lesson09 foo",
                 action: .lesson("lesson09", ["foo"]), exit: 64, names: ["'foo'", "lesson09 --help"]),
        BadInput(id: "flag-data-missing", area: .flags, input: "lesson10 --data (no value)",
                 action: .lesson("lesson10", ["--data"]), exit: 64, names: ["Missing value", "--data"]),
        BadInput(id: "flag-lesson12-seeds", area: .flags, input: "lesson12 --seeds 0",
                 action: .lesson("lesson12", ["--seeds", "0"]), exit: 64, names: ["--seeds must be from 1 to 10"]),
        BadInput(id: "flag-lesson12-test-mrs", area: .flags, input: "lesson12 --test-mrs -5",
                 action: .lesson("lesson12", ["--test-mrs=-5"]), exit: 64, names: ["--test-mrs must be 0 (all) or a positive count"]),
        BadInput(id: "flag-lesson12-beam", area: .flags, input: "lesson12 --beam 0",
                 action: .lesson("lesson12", ["--beam", "0"]), exit: 64, names: ["--beam must be from 1 to 32"]),
        BadInput(id: "flag-lesson12-base-shape", area: .flags, input: "lesson12 --base-shape 6x25",
                 action: .lesson("lesson12", ["--base-shape", "6x25"]), exit: 64, names: ["--base-shape: '6x25' is not BLOCKSxWIDTH"]),
        BadInput(id: "flag-lesson12-quant-mrs", area: .flags, input: "lesson12 --quant-mrs -1",
                 action: .lesson("lesson12", ["--quant-mrs=-1"]), exit: 64, names: ["--quant-mrs must be 0 (all) or a positive count"]),
        BadInput(id: "flag-lesson12-rows", area: .flags, input: "lesson12 --rows lora_r2",
                 action: .lesson("lesson12", ["--rows", "lora_r2"]), exit: 64, names: ["--rows: no row lora_r2", "nola_qv_1"]),
        BadInput(id: "flag-lesson12-epochs", area: .flags, input: "lesson12 --epochs 0",
                 action: .lesson("lesson12", ["--epochs", "0"]), exit: 64, names: ["--epochs must be above 0"]),
        BadInput(id: "flag-lesson12-quant-rules", area: .flags, input: "lesson12 --quant-rules absmax,l2",
                 action: .lesson("lesson12", ["--quant-rules", "absmax,l2"]), exit: 64, names: ["--quant-rules: 'l2' is not a rule"]),
        BadInput(id: "flag-lesson12-table4-both", area: .flags, input: "lesson12 --no-table4 --table4-only",
                 action: .lesson("lesson12", ["--no-table4", "--table4-only"]), exit: 64, names: ["exclude each other"]),
        BadInput(id: "flag-lesson12-rows-empty", area: .flags, input: "lesson12 --rows '' (was exit 0 with empty tables)",
                 action: .lesson("lesson12", ["--rows", ""]), exit: 64, names: ["--rows needs at least one row", "lora_r1"]),
        BadInput(id: "flag-lesson12-rows-comma", area: .flags, input: "lesson12 --rows , (was exit 0 with empty tables)",
                 action: .lesson("lesson12", ["--rows", ","]), exit: 64, names: ["--rows needs at least one row"]),
        BadInput(id: "flag-lesson12-rows-table4-only", area: .flags, input: "lesson12 --table4-only --rows lora_r1 (--rows was ignored)",
                 action: .lesson("lesson12", ["--table4-only", "--rows", "lora_r1"]), exit: 64, names: ["--rows", "--table4-only"]),
        BadInput(id: "flag-lesson12-jobs", area: .flags, input: "lesson12 --jobs 3/2",
                 action: .lesson("lesson12", ["--jobs", "3/2"]), exit: 64, names: ["--jobs '3/2'", "i/n", "--jobs 1/2"]),
        BadInput(id: "flag-lesson12-jobs-text", area: .flags, input: "lesson12 --jobs half",
                 action: .lesson("lesson12", ["--jobs", "half"]), exit: 64, names: ["--jobs 'half'"]),
        BadInput(id: "flag-lesson12-jobs-from-results", area: .flags, input: "lesson12 --jobs 1/2 --from-results",
                 action: .lesson("lesson12", ["--jobs", "1/2", "--from-results"]), exit: 64, names: ["--from-results", "--jobs"]),
        BadInput(id: "flag-lesson12-results-empty", area: .flags, input: "lesson12 --results ''",
                 action: .lesson("lesson12", ["--results", ""]), exit: 64, names: ["--results needs a folder"]),
        BadInput(id: "flag-lesson12-base-only-from-results", area: .flags, input: "lesson12 --base-only --from-results",
                 action: .lesson("lesson12", ["--base-only", "--from-results"]), exit: 64, names: ["--base-only", "--from-results"]),
        BadInput(id: "flag-lesson12-data", area: .flags, input: "lesson12 --data mnist",
                 action: .lesson("lesson12", ["--data", "mnist"]), exit: 64, names: ["--data 'mnist'", "--data e2e"]),
        BadInput(id: "flag-lesson13-unknown", area: .flags, input: "lesson13 --blocks 3 (it takes only the common options)",
                 action: .lesson("lesson13", ["--blocks", "3"]), exit: 64, names: ["--blocks", "lesson13 --help"]),
        BadInput(id: "flag-lesson15-epochs", area: .flags, input: "lesson15 --epochs 0",
                 action: .lesson("lesson15", ["--epochs", "0"]), exit: 64, names: ["--epochs 0 is out of range", "1 to 1000"]),
        BadInput(id: "flag-lesson15-jobs", area: .flags, input: "lesson15 --jobs 3/2",
                 action: .lesson("lesson15", ["--jobs", "3/2"]), exit: 64, names: ["--jobs '3/2'", "--jobs 1/2"]),
        BadInput(id: "flag-lesson15-results-empty", area: .flags, input: "lesson15 --results ''",
                 action: .lesson("lesson15", ["--results", ""]), exit: 64, names: ["--results needs a folder"]),
        BadInput(id: "flag-lesson11-data", area: .flags, input: "lesson11 --data e2e (data/README.md said it took --data)",
                 action: .lesson("lesson11", ["--data", "e2e"]), exit: 64, names: ["--data", "lesson11 --help"]),
        BadInput(id: "flag-scorer-format", area: .flags, input: "e2e-score --hyps-format xml",
                 action: .tool("e2e-score", ["--hyps-format", "xml", "h.txt", "r.txt"]), exit: 64,
                 names: ["'xml'", "--hyps-format", "e2e-score --help"]),
        BadInput(id: "flag-scorer-missing-refs", area: .flags, input: "e2e-score with one file only (was a five-line usage block)",
                 action: .tool("e2e-score", ["h.txt"]), exit: 64, names: ["<references>", "e2e-score --help"]),
        BadInput(id: "flag-python-tolerance", area: .flags, input: "nola_adapter.py --tolerance -1 (was argparse's usage block, exit 2)",
                 action: .python(["adapter.safetensors", "--tolerance", "-1"], fixture: F.pythonAdapter(.valid)), exit: 64,
                 names: ["--tolerance", "finite number >= 0", "nola_adapter.py --help"]),
        BadInput(id: "flag-python-unknown", area: .flags, input: "nola_adapter.py --frobnicate",
                 action: .python(["--frobnicate"], fixture: F.pythonAdapter(.valid)), exit: 64,
                 names: ["--frobnicate", "nola_adapter.py --help"]),
        BadInput(id: "flag-lesson16-seeds", area: .flags, input: "lesson16 --seeds 11",
                 action: .lesson("lesson16", ["--seeds", "11"]), exit: 64, names: ["--seeds must be from 1 to 10"]),
        BadInput(id: "flag-lesson16-steps", area: .flags, input: "lesson16 --steps 0",
                 action: .lesson("lesson16", ["--steps", "0"]), exit: 64, names: ["--steps must be from 1 to 100000"]),
        BadInput(id: "flag-lesson16-questions", area: .flags, input: "lesson16 --questions -3",
                 action: .lesson("lesson16", ["--questions=-3"]), exit: 64, names: ["--questions must be 0 (all) or a positive count"]),
        BadInput(id: "flag-lesson16-bits", area: .flags, input: "lesson16 --bits 8,3",
                 action: .lesson("lesson16", ["--bits", "8,3"]), exit: 64, names: ["--bits: '3' is not a base precision", "16, 8 or 4"]),
        BadInput(id: "flag-lesson16-bits-twice", area: .flags, input: "lesson16 --bits 8,8",
                 action: .lesson("lesson16", ["--bits", "8,8"]), exit: 64, names: ["--bits lists a precision twice"]),
        BadInput(id: "flag-lesson16-data", area: .flags, input: "lesson16 --data alpaca",
                 action: .lesson("lesson16", ["--data", "alpaca"]), exit: 64, names: ["--data 'alpaca'", "--data e2e"]),
    ]

    // MARK: Data files: MNIST's IDX (one line naming the file, exit 1)

    static let data: [BadInput] = [
        BadInput(id: "data-mnist-absent", area: .data, input: "--data mnist without data/mnist",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"]), exit: 1,
                 names: ["data/mnist", "MNIST not found", "--data synthetic"]),
        BadInput(id: "data-e2e-absent", area: .data, input: "lesson12 --data e2e without data/e2e",
                 action: .lesson("lesson12", ["--quick", "--data", "e2e"]), exit: 1,
                 names: ["data/e2e", "not found", "data/README.md", "--data synthetic"]),
        BadInput(id: "data-e2e-train-absent", area: .data, input: "lesson12 --data e2e with devset.csv and testset_w_refs.csv but no trainset.csv",
                 action: .lesson("lesson12", ["--quick", "--data", "e2e"], fixture: { folder in
                     try F.e2eFiles()(folder)
                     try FileManager.default.removeItem(at: folder.appendingPathComponent("data/e2e/trainset.csv"))
                 }), exit: 1,
                 names: ["data/e2e/trainset.csv", "not found", "release", "data/README.md"]),
        BadInput(id: "data-e2e-rows-too-long", area: .data, input: "lesson12 --data e2e where no training row fits the context (was a trap, exit 132)",
                 action: .lesson("lesson12", ["--quick", "--data", "e2e"], fixture: F.e2eFiles(train: "mr,ref\n" + (0..<3).map { i in
                     "\"name[Long \(i)], area[riverside]\",\(String(repeating: "Long \(i) is a very long place by the winding river. ", count: 40))\n"
                 }.joined())), exit: 1,
                 names: ["no training row fits", "context"]),
        BadInput(id: "data-e2e-dev-one-mr", area: .data, input: "lesson12 --data e2e with a dev file of one MR (was 'validation loss nan', exit 0)",
                 action: .lesson("lesson12", ["--quick", "--data", "e2e"], fixture: F.e2eFiles(dev: "mr,ref\n\"name[Solo], area[riverside]\",Solo is by the river.\n")),
                 exit: 0, names: [], stdoutHas: ["validation (devset.csv)", "1 MRs"], stdoutLacks: ["nan"]),
        BadInput(id: "data-idx-truncated", area: .data, input: "images file cut short",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: F.mnist(images: F.images(20).dropLast(100))),
                 exit: 1, names: ["t10k-images-idx3-ubyte", "truncated", "download it again"]),
        BadInput(id: "data-idx-overflow", area: .data, input: "IDX header 0xFFFFFFFF × 0xFFFFFFFF × 0xFFFFFFFF",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"],
                                 fixture: F.mnist(images: F.idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [1, 2, 3]))),
                 exit: 1, names: ["t10k-images-idx3-ubyte", "impossible header", "download it again"]),
        BadInput(id: "data-idx-magic", area: .data, input: "a labels file in place of the images",
                 action: .lesson("lesson04", ["--quick", "--data", "mnist"], fixture: F.mnist(images: F.labels(20))),
                 exit: 1, names: ["t10k-images-idx3-ubyte", "wrong magic number 0x00000801", "expected 0x00000803"]),
        BadInput(id: "data-idx-html", area: .data, input: "a saved web page named .gz",
                 action: .lesson("lesson05", ["--quick", "--data", "mnist"],
                                 fixture: F.mnist(images: Array("<!DOCTYPE html><p>Not Found".utf8), gzipName: true)),
                 exit: 1, names: ["t10k-images-idx3-ubyte.gz", "a saved web page?"]),
        BadInput(id: "data-gzip-corrupt", area: .data, input: "gzip data with damaged bytes",
                 action: .lesson("lesson08", ["--quick", "--data", "mnist"], fixture: F.mnist(images: F.corruptGzip, gzipName: true)),
                 exit: 1, names: ["t10k-images-idx3-ubyte.gz", "corrupt gzip data"]),
        BadInput(id: "data-label-range", area: .data, input: "a label 12",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"],
                                 fixture: F.mnist(labels: F.idx([20], (0..<20).map { $0 == 5 ? 12 : UInt8($0 % 10) }))),
                 exit: 1, names: ["t10k-labels-idx1-ubyte", "label 12 at position 5"]),
        BadInput(id: "data-count-mismatch", area: .data, input: "20 images, 19 labels",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: F.mnist(labels: F.labels(19))),
                 exit: 1, names: ["t10k-labels-idx1-ubyte", "has 19 labels", "20 images"]),
        BadInput(id: "data-idx-dimensions", area: .data, input: "32×32 images",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"],
                                 fixture: F.mnist(images: F.idx([20, 32, 32], [UInt8](repeating: 9, count: 20 * 32 * 32)))),
                 exit: 1, names: ["t10k-images-idx3-ubyte", "32×32", "28×28"]),
        BadInput(id: "data-idx-empty", area: .data, input: "an empty images file",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: F.mnist(images: [])),
                 exit: 1, names: ["t10k-images-idx3-ubyte", "the file is empty"]),
        BadInput(id: "data-idx-folder", area: .data, input: "a folder named t10k-images-idx3-ubyte",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: F.mnistImagesFolder),
                 exit: 1, names: ["t10k-images-idx3-ubyte", "is a folder, not a file"]),
        BadInput(id: "data-mnist-0", area: .data, input: "MNIST files holding 0 images",
                 action: .lesson("lesson05", ["--quick", "--data", "mnist"], fixture: F.mnist(count: 0)),
                 exit: 1, names: ["data/mnist", "hold 0 digits", "at least 10 for training", "--data synthetic"]),
        BadInput(id: "data-mnist-1", area: .data, input: "MNIST files holding 1 image (was 'nan%', exit 0)",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: F.mnist(count: 1)),
                 exit: 1, names: ["data/mnist", "hold 1 digit (1 for training, 0 for validation)"]),
        BadInput(id: "data-mnist-50-adaptation", area: .data, input: "50 MNIST images for a base of 4,000 (was a trap)",
                 action: .lesson("lesson09", ["--quick", "--data", "mnist"], fixture: F.mnist(count: 50)),
                 exit: 1, names: ["data/mnist", "hold 50 digits", "at least 4010 for training"]),
        BadInput(id: "data-mnist-absent-lesson14", area: .data, input: "lesson14 --data mnist without data/mnist",
                 action: .lesson("lesson14", ["--quick", "--data", "mnist"]), exit: 1,
                 names: ["data/mnist", "MNIST not found", "--data synthetic"]),
        BadInput(id: "data-mnist-absent-lesson15", area: .data, input: "lesson15 --data mnist without data/mnist",
                 action: .lesson("lesson15", ["--quick", "--data", "mnist"]), exit: 1,
                 names: ["data/mnist", "MNIST not found", "--data synthetic"]),
        BadInput(id: "data-mnist-12-lesson15", area: .data, input: "12 MNIST test images for lesson 15's three parts",
                 action: .lesson("lesson15", ["--quick", "--data", "mnist"], fixture: F.mnist(count: 12)),
                 exit: 1, names: ["data/mnist", "too few digits", "--data synthetic"]),
        BadInput(id: "data-mnist-50-few-shot", area: .data, input: "50 MNIST images for lesson 14's pool, validation and test sets",
                 action: .lesson("lesson14", ["--quick", "--data", "mnist"], fixture: F.mnist(count: 50)),
                 exit: 1, names: ["data/mnist", "hold 50 digits", "at least 200 for training"]),
        BadInput(id: "data-e2e-train-absent-lesson16", area: .data, input: "lesson16 --data e2e without data/e2e/trainset.csv",
                 action: .lesson("lesson16", ["--quick", "--data", "e2e"]), exit: 1,
                 names: ["data/e2e", "trainset.csv", "--data synthetic"]),
        BadInput(id: "data-mnist-50-smaller-run", area: .data, input: "50 MNIST images in lesson 03: a smaller, sound run",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: F.mnist(count: 50)),
                 exit: 0, names: [], stdoutHas: ["training set   : 40 images", "validation set : 10 images"],
                 stdoutLacks: ["nan"]),
    ]

    // MARK: Data files: CSV (the E2E text data; one line naming the file and line, exit 1)

    static let csv: [BadInput] = [
        BadInput(id: "csv-missing", area: .csv, input: "E2E data without data/e2e",
                 action: .library(F.e2eData(nil)), exit: 1, names: ["data/e2e", "not found", "--data synthetic"]),
        BadInput(id: "csv-header", area: .csv, input: "devset.csv whose header is 'meaning,text'",
                 action: .library(F.e2eData("meaning,text\n\"name[A]\",A.\n")), exit: 1,
                 names: ["devset.csv:1", "header", "expected 'mr,ref'"]),
        BadInput(id: "csv-unbalanced-quote", area: .csv, input: "a quoted field never closed",
                 action: .library(F.e2eData("mr,ref\n\"name[A], area[riverside]\",\"A is by the river.\n")), exit: 1,
                 names: ["devset.csv:2", "quote"]),
        BadInput(id: "csv-fields", area: .csv, input: "a row with one field",
                 action: .library(F.e2eData("mr,ref\n\"name[A]\",A.\nname[B]\n")), exit: 1,
                 names: ["devset.csv:3", "1 fields, expected 2"]),
        BadInput(id: "csv-empty", area: .csv, input: "an empty devset.csv",
                 action: .library(F.e2eData("")), exit: 1, names: ["devset.csv", "empty"]),
        BadInput(id: "csv-not-utf8", area: .csv, input: "Latin-1 bytes (the £ of 'less than £20')",
                 action: .library(F.e2eData(bytes: Array("mr,ref\n\"name[A], priceRange[less than ".utf8) + [0xA3]
                                                   + Array("20]\",A is cheap.\n".utf8))), exit: 1,
                 names: ["devset.csv", "UTF-8"]),
        BadInput(id: "csv-mr-no-attributes", area: .csv, input: "an MR with no attribute[value] pairs",
                 action: .library(F.e2eData("mr,ref\njust words,A sentence.\n")), exit: 1, names: ["devset.csv:2", "MR"]),
        BadInput(id: "csv-mr-unknown-attribute", area: .csv, input: "an MR with an attribute E2E does not have",
                 action: .library(F.e2eData("mr,ref\n\"name[A], parking[yes]\",A has parking.\n")), exit: 1,
                 names: ["devset.csv:2", "parking"]),
        BadInput(id: "csv-scorer-count", area: .csv, input: "e2e-score: 2 outputs for 1 MR of references",
                 action: .library(F.scorerInput(hypotheses: "One.\nTwo.\n", references: "mr,ref\n\"name[A]\",A.\n")), exit: 1,
                 names: ["hyps.txt", "2", "1"]),
        BadInput(id: "csv-cr-line-ends", area: .csv, input: "devset.csv with CR-only line ends (was 'a \" inside an unquoted field', line 1)",
                 action: .library(F.e2eData("mr,ref\r\"name[A], area[riverside]\",A is by the river.\r\"name[B]\",B is here.\r")),
                 exit: 0, names: []),
        BadInput(id: "csv-quote-open-midfile", area: .csv, input: "a quote left open on line 2 of 3 (was blamed on line 3)",
                 action: .library(F.e2eData("mr,ref\n\"name[A]\",\"A is good.\n\"name[B]\",B is fine.\n")), exit: 1,
                 names: ["devset.csv:2", "closing \" is probably missing on line 2"]),
        BadInput(id: "csv-devset-folder", area: .csv, input: "data/e2e/devset.csv is a folder (was 'cannot be read')",
                 action: .library(F.e2eData(prepare: F.folder("data/e2e/devset.csv"))), exit: 1,
                 names: ["data/e2e/devset.csv", "is a folder, not a file"]),
        BadInput(id: "csv-devset-fifo", area: .csv, input: "data/e2e/devset.csv is a named pipe (was 'cannot be read')",
                 action: .library(F.e2eData(prepare: F.fifo("data/e2e/devset.csv"))), exit: 1,
                 names: ["data/e2e/devset.csv", "named pipe (FIFO), not a regular file"]),
        BadInput(id: "data-idx-fifo", area: .data, input: "an MNIST file that is a named pipe",
                 action: .lesson("lesson03", ["--quick", "--data", "mnist"], fixture: { folder in
                     try F.fifo("data/mnist/t10k-images-idx3-ubyte")(folder)
                     try F.write(F.labels(20), "data/mnist/t10k-labels-idx1-ubyte", in: folder)
                 }), exit: 1, names: ["t10k-images-idx3-ubyte", "named pipe (FIFO), not a regular file"]),
    ]

    // MARK: e2e-score's files and streams (one line naming the file, exit 1; or the right scores)

    static let scorer: [BadInput] = [
        BadInput(id: "scorer-stdout-full", area: .scorer, input: "e2e-score H R > /dev/full (was exit 0: the scores lost)",
                 action: .tool("e2e-score", ["hyps.txt", "refs.csv"],
                               fixture: F.files(["hyps.txt": F.scorerOutputs, "refs.csv": F.scorerReferences]), stdout: "/dev/full"),
                 exit: 1, names: ["standard output", "No space left on device"]),
        BadInput(id: "scorer-stderr-full", area: .scorer, input: "e2e-score H R 2> /dev/full (was a trap)",
                 action: .tool("e2e-score", ["hyps.txt", "refs.csv"],
                               fixture: F.files(["hyps.txt": F.scorerOutputs, "refs.csv": F.scorerReferences]), stderr: "/dev/full"),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000"]),
        BadInput(id: "scorer-mr-order", area: .scorer, input: "outputs with an mr column, in another order than the references (was BLEU 0.08)",
                 action: .tool("e2e-score", ["hyps.csv", "refs.csv"], fixture: F.files([
                     "hyps.csv": "mr,output\n\"name[B]\",A cheap cafe.\n\"name[A]\",The Eagle is a pub.\n",
                     "refs.csv": F.scorerReferences])),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000", "ROUGE_L: 1.0000"]),
        BadInput(id: "scorer-mr-unknown", area: .scorer, input: "outputs for MRs the references do not have (was scored, exit 0)",
                 action: .tool("e2e-score", ["hyps.csv", "refs.csv"], fixture: F.files([
                     "hyps.csv": "mr,output\n\"name[C]\",The Eagle is a pub.\n\"name[D]\",A cheap cafe.\n",
                     "refs.csv": F.scorerReferences])),
                 exit: 1, names: ["hyps.csv:2", "name[C]", "refs.csv does not have"]),
        BadInput(id: "scorer-mr-missing", area: .scorer, input: "outputs with MRs that leave one MR of the references out",
                 action: .tool("e2e-score", ["hyps.csv", "refs.csv"], fixture: F.files([
                     "hyps.csv": "mr,output\n\"name[B]\",A cheap cafe.\n", "refs.csv": F.scorerReferences])),
                 exit: 1, names: ["hyps.csv", "no output for MR 'name[A]'"]),
        BadInput(id: "scorer-mr-twice", area: .scorer, input: "two outputs for one MR",
                 action: .tool("e2e-score", ["hyps.csv", "refs.csv"], fixture: F.files([
                     "hyps.csv": "mr,output\nname[A],One.\nname[B],Two.\nname[A],Three.\n", "refs.csv": F.scorerReferences])),
                 exit: 1, names: ["hyps.csv:4", "second output for MR 'name[A]'", "line 2"]),
        BadInput(id: "scorer-tsv", area: .scorer, input: "the challenge scorer's mr<TAB>output .tsv (was read as plain lines)",
                 action: .tool("e2e-score", ["hyps.tsv", "refs.csv"], fixture: F.files([
                     "hyps.tsv": "name[B]\tA cheap cafe.\nname[A]\t\"The Eagle is a pub.\"\n", "refs.csv": F.scorerReferences])),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000"]),
        BadInput(id: "scorer-tsv-tabs", area: .scorer, input: "a .tsv line with two tabs",
                 action: .tool("e2e-score", ["hyps.tsv", "refs.csv"], fixture: F.files([
                     "hyps.tsv": "name[A]\tThe Eagle\tis a pub.\nname[B]\tA cheap cafe.\n", "refs.csv": F.scorerReferences])),
                 exit: 1, names: ["hyps.tsv", "line 1 has 2 tabs, expected 1"]),
        BadInput(id: "scorer-stdin-dash", area: .scorer, input: "e2e-score - R, the outputs piped in (was 'not found')",
                 action: .tool("e2e-score", ["-", "refs.csv"], fixture: F.files(["refs.csv": F.scorerReferences]),
                               stdin: F.scorerOutputs),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000"]),
        BadInput(id: "scorer-dev-stdin", area: .scorer, input: "e2e-score /dev/stdin R from a pipe (was 'check its permissions')",
                 action: .tool("e2e-score", ["/dev/stdin", "refs.csv"], fixture: F.files(["refs.csv": F.scorerReferences]),
                               stdin: F.scorerOutputs),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000"]),
        BadInput(id: "scorer-both-stdin", area: .scorer, input: "e2e-score - -",
                 action: .tool("e2e-score", ["-", "-"], stdin: F.scorerOutputs), exit: 1,
                 names: ["both files are standard input"]),
        BadInput(id: "scorer-one-instance", area: .scorer, input: "references of one instance, then a blank line (were split into one-reference instances)",
                 action: .tool("e2e-score", ["hyps.txt", "refs.txt"], fixture: F.files([
                     "hyps.txt": "The Eagle is a pub.\n", "refs.txt": "The Eagle is a pub.\nA pub, The Eagle.\n\n"])),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000"]),
        BadInput(id: "scorer-nonadjacent-mr", area: .scorer, input: "a references CSV whose rows of one MR are not adjacent (were two instances)",
                 action: .tool("e2e-score", ["hyps.txt", "refs.csv"], fixture: F.files([
                     "hyps.txt": F.scorerOutputs,
                     "refs.csv": F.scorerReferences + "\"name[A]\",An Eagle pub.\n"])),
                 exit: 0, names: [], stdoutHas: ["BLEU: 1.0000"]),
        BadInput(id: "scorer-count-says-why", area: .scorer, input: "3 outputs for text references without blank lines",
                 action: .tool("e2e-score", ["hyps.txt", "refs.txt"], fixture: F.files([
                     "hyps.txt": "A.\nB.\nC.\n", "refs.txt": "A.\nB.\n"])),
                 exit: 1, names: ["3 hypotheses", "refs.txt has 2 reference instances", "no blank line"]),
        BadInput(id: "scorer-refs-folder", area: .scorer, input: "REFS is a folder",
                 action: .tool("e2e-score", ["hyps.txt", "refs"], fixture: { folder in
                     try F.files(["hyps.txt": F.scorerOutputs])(folder)
                     try F.folder("refs")(folder)
                 }), exit: 1, names: ["refs", "is a folder, not a file"]),
    ]

    // MARK: The cached base network (a warning, then the lesson goes on: exit 0)

    static let cache: [BadInput] = [
        BadInput(id: "cache-half-valid", area: .cache, input: "cached base: first tensor valid, second of the wrong shape",
                 action: .lesson("lesson04", ["--quick"], fixture: F.cache(.wrongShape)), exit: 0,
                 names: ["the cached base network data/cache/base_synthetic_seed1_", "was rejected", "fc1.bias",
                         ".rejected-", "trained the base again"],
                 stdoutHas: ["trained now in"]),
        BadInput(id: "cache-wrong-key", area: .cache, input: "cached base: valid tensors, wrong metadata key",
                 action: .lesson("lesson04", ["--quick"], fixture: F.cache(.wrongKey)), exit: 0,
                 names: ["was rejected", "metadata 'key'", ".rejected-"], stdoutHas: ["trained now in"]),
        BadInput(id: "cache-folder", area: .cache, input: "a folder at the cache file's path",
                 action: .lesson("lesson04", ["--quick"], fixture: F.cache(.folder)), exit: 0,
                 names: ["is a folder, not a cached base network", "not cached"], stdoutHas: ["not cached"]),
        BadInput(id: "cache-backbone-garbage", area: .cache, input: "lesson14's cached ViT backbone is not a safetensors file",
                 action: .lesson("lesson14", ["--quick"], fixture: { folder in
                     try F.write(Array("not a checkpoint".utf8),
                                 "data/cache/backbone_seed1_\(VisionBackbone.Pretraining.tiny.key).safetensors", in: folder)
                 }), exit: 0,
                 names: ["the cached base network data/cache/backbone_seed1_", "was rejected", ".rejected-", "trained the base again"],
                 stdoutHas: ["trained now in"]),
        BadInput(id: "cache-llama-garbage", area: .cache, input: "lesson16's cached LLaMA base is not a safetensors file",
                 action: .lesson("lesson16", ["--quick", "--steps", "1"], fixture: { folder in
                     try F.write(Array("not a checkpoint".utf8),
                                 "data/cache/llama_base_synthetic_seed1_\(RestaurantLlamaBase.Pretraining.tiny.key).safetensors", in: folder)
                 }), exit: 0,
                 names: ["the cached base network data/cache/llama_base_synthetic_seed1_", "was rejected", ".rejected-", "trained the base again"],
                 stdoutHas: ["trained now in"]),
        BadInput(id: "cache-folder-is-file", area: .cache, input: "data/cache is a file",
                 action: .lesson("lesson04", ["--quick"], fixture: F.cache(.cacheFolderIsFile)), exit: 0,
                 names: ["the cache folder data/cache is a file, not a folder"], stdoutHas: ["not cached"]),
        BadInput(id: "cache-fifo", area: .cache, input: "a named pipe at the cache file's path (nothing writes into it)",
                 action: .lesson("lesson04", ["--quick"], fixture: F.fifo(F.cacheName)), exit: 0,
                 names: ["was rejected", "named pipe (FIFO), not a regular file", ".rejected-", "trained the base again"],
                 stdoutHas: ["trained now in"]),
        BadInput(id: "cache-race", area: .cache,
                 input: "another run moves the damaged cache aside while lesson04 reads it (was told 'delete that file', about the other run's good cache)",
                 action: .libraryWarning(F.anotherRunMovesTheDamagedCache), exit: 0,
                 names: ["was rejected", "another run has moved it aside meanwhile", "trained the base again"]),
        BadInput(id: "cache-tokenizer-text", area: .cache, input: "the E2E base's cached tokenizer text replaced, its hash kept (was loaded as valid)",
                 action: .libraryWarning(F.tamperedTokenizerCache), exit: 0,
                 names: ["was rejected", "metadata 'tokenizer' does not match its hash", ".rejected-", "trained the base again"]),
        BadInput(id: "cache-abandoned-writes", area: .cache, input: "temporary files of a run killed while writing the cache (were never cleaned up)",
                 action: .lesson("lesson04", ["--quick"], fixture: F.abandonedWrites), exit: 0, names: [],
                 stdoutHas: ["trained now in"], after: F.absent(F.abandonedCacheWrites)),
    ]

    // MARK: Checkpoints (Checkpoint.load: all or nothing)

    static let checkpoints: [BadInput] = [
        BadInput(id: "checkpoint-nan", area: .checkpoint, input: "a checkpoint with a NaN weight",
                 action: .library(F.checkpoint(.nan)), exit: 1, names: ["model.safetensors", "fc2.weight", "NaN"]),
        BadInput(id: "checkpoint-extra", area: .checkpoint, input: "a checkpoint with an extra tensor",
                 action: .library(F.checkpoint(.extra)), exit: 1, names: ["model.safetensors", "fc9.weight"]),
        BadInput(id: "checkpoint-missing", area: .checkpoint, input: "a checkpoint without fc2.bias",
                 action: .library(F.checkpoint(.missing)), exit: 1, names: ["model.safetensors", "fc2.bias"]),
        BadInput(id: "checkpoint-truncated", area: .checkpoint, input: "a checkpoint cut short",
                 action: .library(F.checkpoint(.truncated)), exit: 1, names: ["model.safetensors", "truncated"]),
        BadInput(id: "checkpoint-metadata", area: .checkpoint, input: "a checkpoint of another configuration",
                 action: .library(F.checkpoint(.metadata)), exit: 1, names: ["model.safetensors", "metadata 'sizes'"]),
    ]

    // MARK: Adapter files, Swift reader (AdapterFile.load: all or nothing)

    static let adapterSwift: [BadInput] = [
        BadInput(id: "swift-adapter-nan", area: .adapterSwift, input: "NaN coefficient",
                 action: .library(F.swiftAdapter(.nanCoefficient)), exit: 1, names: ["adapter.safetensors", "fc1.nola_alpha", "NaN"]),
        BadInput(id: "swift-adapter-dtype", area: .adapterSwift, input: "I32 tensor in an f32 file",
                 action: .library(F.swiftAdapter(.int32Tensor)), exit: 1, names: ["fc1.nola_alpha", "is I32", "precision f32"]),
        BadInput(id: "swift-adapter-seed", area: .adapterSwift, input: "root_seed -1",
                 action: .library(F.swiftAdapter(.seed("-1"))), exit: 1, names: ["root_seed '-1'"]),
        BadInput(id: "swift-adapter-rank0", area: .adapterSwift, input: "rank 0",
                 action: .library(F.swiftAdapter(.metadata("rank", "0"))), exit: 1, names: ["metadata 'rank'", "positive integer"]),
        BadInput(id: "swift-adapter-missing-key", area: .adapterSwift, input: "no 'k' key",
                 action: .library(F.swiftAdapter(.metadata("k", nil))), exit: 1, names: ["metadata has no 'k'"]),
        BadInput(id: "swift-adapter-layers-huge", area: .adapterSwift, input: "layer outputs 1e30",
                 action: .library(F.swiftAdapter(.metadata("layers", #"[{"name": "fc1", "outputs": 1e30, "inputs": 12}]"#))),
                 exit: 1, names: ["metadata 'layers'"]),
        BadInput(id: "swift-adapter-other-layer", area: .adapterSwift, input: "a layer the model does not have",
                 action: .library(F.swiftAdapter(.metadata("layers", #"[{"name": "fc9", "outputs": 8, "inputs": 12}]"#))),
                 exit: 1, names: ["adapts layer 'fc9'", "its layers: fc1, fc2"]),
        BadInput(id: "swift-adapter-rank-huge", area: .adapterSwift, input: "NOLA rank 2⁵³ (found by the fuzzer: a trap)",
                 action: .library(F.swiftAdapter(.metadata("rank", "9007199254740993"))), exit: 1,
                 names: ["layer 'fc1'", "would hold", "the file is damaged"]),
        BadInput(id: "swift-adapter-newline-name", area: .adapterSwift, input: "a layer name with a newline in it",
                 action: .library(F.swiftAdapter(.metadata("layers", #"[{"name": "fc1\nx", "outputs": 8, "inputs": 12}]"#))),
                 exit: 1, names: [#"adapts layer 'fc1\nx'"#]),
        BadInput(id: "swift-adapter-version", area: .adapterSwift, input: "format_version 2",
                 action: .library(F.swiftAdapter(.metadata("format_version", "2"))), exit: 1, names: ["format version '2'"]),
    ]

    // MARK: Adapter files, Python reader (one line, exit 1; never a traceback, never "match" on NaN)

    static let adapterPython: [BadInput] = [
        BadInput(id: "python-nan", area: .adapterPython, input: "NaN coefficient",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.nanCoefficient)), exit: 1,
                 names: ["adapter.safetensors", "fc1.nola_alpha", "NaN"]),
        BadInput(id: "python-inf-scale", area: .adapterPython, input: "infinite scale of packed coefficients",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.infiniteScale)), exit: 1,
                 names: ["fc1.nola_alpha.scale", "finite"]),
        BadInput(id: "python-nan-c", area: .adapterPython, input: "c = nan",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.metadata("c", "nan"))), exit: 1,
                 names: ["metadata 'c'", "finite number"]),
        BadInput(id: "python-dtype", area: .adapterPython, input: "I32 tensor in an f32 file (was read as numbers)",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.int32Tensor)), exit: 1,
                 names: ["fc1.nola_alpha", "int32", "precision f32"]),
        BadInput(id: "python-seed-big", area: .adapterPython, input: "root_seed 2⁶⁴ (was wrapped)",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.seed("18446744073709551616"))), exit: 1,
                 names: ["root_seed", "0 to 2^64-1"]),
        BadInput(id: "python-seed-negative", area: .adapterPython, input: "root_seed -1",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.seed("-1"))), exit: 1,
                 names: ["root_seed", "'-1'"]),
        BadInput(id: "python-rank0", area: .adapterPython, input: "rank 0 (was a traceback)",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.metadata("rank", "0"))), exit: 1,
                 names: ["metadata 'rank'", "positive"]),
        BadInput(id: "python-rank-text", area: .adapterPython, input: "rank 'four'",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.metadata("rank", "four"))), exit: 1,
                 names: ["metadata 'rank'", "'four'"]),
        BadInput(id: "python-missing-key", area: .adapterPython, input: "no 'k' key (was a bare KeyError)",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.metadata("k", nil))), exit: 1,
                 names: ["metadata has no 'k'"]),
        BadInput(id: "python-missing-tensor", area: .adapterPython, input: "no fc2.nola_beta tensor",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.missingTensor)), exit: 1,
                 names: ["has no tensor 'fc2.nola_beta'"]),
        BadInput(id: "python-rank-huge", area: .adapterPython, input: "NOLA rank 2⁵³",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.metadata("rank", "9007199254740993"))), exit: 1,
                 names: ["metadata 'rank'", "9007199254740993"]),
        BadInput(id: "python-not-safetensors", area: .adapterPython, input: "a text file",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.text)), exit: 1,
                 names: ["adapter.safetensors", "cannot read as safetensors"]),
        BadInput(id: "python-compare-nan", area: .adapterPython, input: "--compare with a NaN in the reference ΔW (was 'match')",
                 action: .python(["adapter.safetensors", "--compare", "delta.safetensors"], fixture: F.pythonAdapter(.nanDelta)),
                 exit: 1, names: ["delta.safetensors", "fc1.delta_W", "NaN"]),
        BadInput(id: "python-compare-missing", area: .adapterPython, input: "--compare with a file that is not there",
                 action: .python(["adapter.safetensors", "--compare", "nowhere.safetensors"], fixture: F.pythonAdapter(.valid)),
                 exit: 1, names: ["nowhere.safetensors", "cannot read"]),
        BadInput(id: "python-infinite-delta", area: .adapterPython, input: "c = 1e39: finite in Python, ΔW infinite in float32 (was printed as |dW|max inf)",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.metadata("c", "1e39"))), exit: 1,
                 names: ["adapter.safetensors", "layer 'fc1'", "not finite"]),
        BadInput(id: "python-export-is-input", area: .adapterPython, input: "--export onto the adapter file itself (was overwritten)",
                 action: .python(["adapter.safetensors", "--export", "./adapter.safetensors"], fixture: F.pythonAdapter(.valid)),
                 exit: 64, names: ["--export ./adapter.safetensors is the adapter file itself", "would destroy it"],
                 after: F.unchanged("adapter.safetensors", F.validAdapterBytes)),
        BadInput(id: "python-export-is-compare", area: .adapterPython, input: "--export onto the --compare file (was overwritten, then 'match')",
                 action: .python(["adapter.safetensors", "--export", "delta.safetensors", "--compare", "delta.safetensors"],
                                 fixture: F.pythonAdapter(.valid)),
                 exit: 64, names: ["is the --compare file itself"], after: F.unchanged("delta.safetensors", F.validDeltaBytes)),
        BadInput(id: "python-stdout-full", area: .adapterPython, input: "nola_adapter.py FILE > /dev/full (was a traceback)",
                 action: .python(["adapter.safetensors"], fixture: F.pythonAdapter(.valid), stdout: "/dev/full"), exit: 1,
                 names: ["standard output", "No space left on device"]),
        BadInput(id: "python-self-test-stdout-full", area: .adapterPython, input: "nola_adapter.py --self-test > /dev/full (was a traceback)",
                 action: .python(["--self-test"], fixture: F.pythonAdapter(.valid), stdout: "/dev/full"), exit: 1,
                 names: ["standard output", "No space left on device"]),
        BadInput(id: "python-help-stdout-full", area: .adapterPython, input: "nola_adapter.py --help > /dev/full",
                 action: .python(["--help"], fixture: F.pythonAdapter(.valid), stdout: "/dev/full"), exit: 1,
                 names: ["standard output", "No space left on device"]),
    ]

    // MARK: Output folders and streams (one line, exit 1)

    static let output: [BadInput] = [
        BadInput(id: "output-plots-under-file", area: .output, input: "--plots inside a file",
                 action: .lesson("lesson07", ["--quick", "--plots", "afile/plots"], fixture: F.file("afile")), exit: 1,
                 names: ["cannot create the plots folder", "afile/plots/lesson07", "Not a directory", "--plots"]),
        BadInput(id: "output-lesson-folder-is-file", area: .output, input: "plots/lesson07 is a file",
                 action: .lesson("lesson07", ["--quick"], fixture: F.file("plots/lesson07")), exit: 1,
                 names: ["plots/lesson07", "a file of that name is in the way"]),
        BadInput(id: "output-figure-is-folder", area: .output, input: "plots/lesson07/coverage.dat is a folder (was NSCocoaErrorDomain 512)",
                 action: .lesson("lesson07", ["--quick"], fixture: F.folder("plots/lesson07/coverage.dat")), exit: 1,
                 names: ["cannot write plots/lesson07/coverage.dat (Is a directory)"]),
        BadInput(id: "output-plots-nowhere", area: .output, input: "--plots under /proc (cannot be created)",
                 action: .lesson("lesson07", ["--quick", "--plots", "/proc/nola-no-such-place"]), exit: 1,
                 names: ["/proc/nola-no-such-place/lesson07", "No such file or directory"]),
        BadInput(id: "output-stdout-full", area: .output, input: "lesson01 > /dev/full (was exit 0)",
                 action: .lesson("lesson01", ["--quick"], stdout: "/dev/full"), exit: 1,
                 names: ["standard output", "No space left on device"]),
        BadInput(id: "output-lesson13-tmpdir-is-file", area: .output, input: "lesson13 with TMPDIR naming a file (its adapter files go there)",
                 action: .lesson("lesson13", ["--quick"], fixture: F.file("afile"), environment: ["TMPDIR": "{dir}/afile"]), exit: 1,
                 names: ["lesson13-adapters", "TMPDIR"]),
        BadInput(id: "output-lesson15-results-file", area: .output, input: "lesson15 --results naming a file",
                 action: .lesson("lesson15", ["--quick", "--results", "afile"], fixture: F.file("afile")), exit: 1,
                 names: ["cannot write the results folder", "afile/", "--results"]),
        BadInput(id: "output-results-is-file", area: .output, input: "lesson12 --results naming a file",
                 action: .lesson("lesson12", ["--quick", "--results", "afile"], fixture: F.file("afile")), exit: 1,
                 names: ["results folder afile is a file", "--results"]),
        BadInput(id: "output-results-other-configuration", area: .output, input: "lesson12 --results holding another configuration's results",
                 action: .lesson("lesson12", ["--quick", "--results", "results"], fixture: F.resultsFolder(manifest: """
                     {"format": "nola-lessons results folder 1", "lesson": "lesson12", "protocol": 1, "configuration": ["scale = full"],
                      "key": "0123456789abcdef", "createdBy": "git 0000000"}
                     """)), exit: 1,
                 names: ["results holds results of another configuration", "never mixed", "--results"]),
        BadInput(id: "output-results-manifest-damaged", area: .output, input: "lesson12 --results whose grid.json is cut short",
                 action: .lesson("lesson12", ["--quick", "--results", "results"], fixture: F.resultsFolder(manifest: "{\"format\": \"nola")), exit: 1,
                 names: ["results/grid.json is damaged", "--results"]),
        BadInput(id: "output-from-results-none", area: .output, input: "lesson12 --from-results on a folder with no results",
                 action: .lesson("lesson12", ["--quick", "--from-results", "--results", "results"]), exit: 1,
                 names: ["results holds no results", "--from-results"]),
        BadInput(id: "output-page-is-folder", area: .output, input: "plots/lesson07/index.html (the run's page) is a folder",
                 action: .lesson("lesson07", ["--quick"], fixture: F.folder("plots/lesson07/index.html")), exit: 1,
                 names: ["cannot write plots/lesson07/index.html", "Is a directory", "--plots"]),
        BadInput(id: "output-index-is-folder", area: .output, input: "plots/index.html (the index of runs) is a folder",
                 action: .lesson("lesson07", ["--quick"], fixture: F.folder("plots/index.html")), exit: 1,
                 names: ["cannot write plots/index.html", "Is a directory", "--plots"]),
        BadInput(id: "output-adapter-folder", area: .output, input: "lesson06's adapter file path is a folder",
                 action: .lesson("lesson06", ["--quick"], fixture: F.folder("plots/lesson06/nola_adapter.safetensors")), exit: 1,
                 names: ["nola_adapter.safetensors", "Is a directory"]),
        BadInput(id: "output-lesson13-tmp-full", area: .output, input: "lesson13 with a full temporary folder (left lesson13-adapters-<pid> behind)",
                 action: .lesson("lesson13", ["--quick"], fixture: F.folder("tmp"), environment: ["TMPDIR": "{dir}/tmp"],
                                 fileSizeLimit: 2_000), exit: 1,
                 names: ["lesson13-adapters", "File too large", "TMPDIR"], after: F.noEntry(in: "tmp", startingWith: "lesson13-")),
        BadInput(id: "output-stderr-full", area: .output, input: "lesson07 2> /dev/full with a warning to give (was a trap)",
                 action: .lesson("lesson07", ["--quick"], environment: ["PATH": "/nonexistent"], stderr: "/dev/full"), exit: 1,
                 names: [], stdoutHas: ["Done in"]),
        BadInput(id: "output-stderr-full-error", area: .output, input: "lesson07 --plots under /proc, 2> /dev/full (was a trap)",
                 action: .lesson("lesson07", ["--quick", "--plots", "/proc/nola-no-such-place"], stderr: "/dev/full"), exit: 1,
                 names: []),
    ]

    // MARK: External programs: gnuplot (a warning, the lesson goes on: exit 0)

    static let external: [BadInput] = [
        BadInput(id: "terminal-live-show-piped", area: .external,
                 input: "--live --show with standard output piped, NOLA_TERMINAL_GRAPHICS=bogus (nothing to draw on)",
                 action: .lesson("lesson07", ["--quick", "--live", "--show"], environment: ["NOLA_TERMINAL_GRAPHICS": "bogus"]),
                 exit: 0, names: []),  // and no escape sequence: TerminalDrawingTests.piped
        BadInput(id: "gnuplot-missing", area: .external, input: "no gnuplot on the PATH",
                 action: .lesson("lesson07", ["--quick"], environment: ["PATH": "/nonexistent"]), exit: 0,
                 names: ["gnuplot is not installed", "gnuplot-nox", "plots/lesson07/coverage.gp"],
                 stdoutHas: ["plots/lesson07/coverage.{gp,dat}\n"], stdoutLacks: ["png"]),
        BadInput(id: "gnuplot-failing", area: .external, input: "a gnuplot that fails",
                 action: .lesson("lesson07", ["--quick"], fixture: F.fakeGnuplot("echo 'line 3: unknown terminal type' >&2; exit 1"),
                                 environment: ["PATH": "{dir}/fake-bin"]), exit: 0,
                 names: ["gnuplot could not render plots/lesson07/coverage.gp", "unknown terminal type"],
                 stdoutHas: ["coverage.{gp,dat}\n"]),
        BadInput(id: "gnuplot-hanging", area: .external, input: "a gnuplot that never returns (was a hang)",
                 action: .lesson("lesson07", ["--quick"], fixture: F.fakeGnuplot("/bin/sleep 60 & wait"),
                                 environment: ["PATH": "{dir}/fake-bin", "NOLA_GNUPLOT_TIMEOUT": "1"]), exit: 0,
                 names: ["gnuplot did not finish plots/lesson07/coverage.gp within 1.0 s", "was stopped"],
                 stdoutHas: ["coverage.{gp,dat}\n", "Done in"]),
        BadInput(id: "gnuplot-silent-success", area: .external, input: "a gnuplot that exits 0 and writes nothing (the PNG and SVG were listed)",
                 action: .lesson("lesson07", ["--quick"], fixture: F.fakeGnuplot("exit 0"), environment: ["PATH": "{dir}/fake-bin"]),
                 exit: 0, names: ["gnuplot could not render plots/lesson07/coverage.gp", "exited normally but wrote no plots/lesson07/coverage.png"],
                 stdoutHas: ["coverage.{gp,dat}\n"]),
        BadInput(id: "gnuplot-garbage", area: .external, input: "a gnuplot that prints garbage, writes garbage images and exits 0",
                 action: .lesson("lesson07", ["--quick"], fixture: F.fakeGnuplot(
                     "echo '%%%% garbage on standard output'; echo 'garbage' >&2; echo garbage > \"${1%.gp}.png\"; echo garbage > \"${1%.gp}.svg\"; exit 0"),
                                 environment: ["PATH": "{dir}/fake-bin"]),
                 exit: 0, names: ["plots/lesson07/coverage.png is not a PNG image", "it printed: garbage"],
                 stdoutHas: ["coverage.{gp,dat}\n"]),
        BadInput(id: "gnuplot-timeout-text", area: .external, input: "NOLA_GNUPLOT_TIMEOUT=abc (was silently 20 s)",
                 action: .lesson("lesson07", ["--quick"], environment: ["NOLA_GNUPLOT_TIMEOUT": "abc"]), exit: 0,
                 names: ["NOLA_GNUPLOT_TIMEOUT='abc'", "not a number of seconds above 0", "20 s"]),
        BadInput(id: "gnuplot-timeout-negative", area: .external, input: "NOLA_GNUPLOT_TIMEOUT=-1 (was silently 20 s)",
                 action: .lesson("lesson07", ["--quick"], environment: ["NOLA_GNUPLOT_TIMEOUT": "-1"]), exit: 0,
                 names: ["NOLA_GNUPLOT_TIMEOUT='-1'", "20 s"]),
        BadInput(id: "gnuplot-timeout-zero", area: .external, input: "NOLA_GNUPLOT_TIMEOUT=0 (was silently 20 s)",
                 action: .lesson("lesson07", ["--quick"], environment: ["NOLA_GNUPLOT_TIMEOUT": "0"]), exit: 0,
                 names: ["NOLA_GNUPLOT_TIMEOUT='0'", "20 s"]),
        BadInput(id: "gnuplot-timeout-nan", area: .external, input: "NOLA_GNUPLOT_TIMEOUT=nan (was silently 20 s)",
                 action: .lesson("lesson07", ["--quick"], environment: ["NOLA_GNUPLOT_TIMEOUT": "nan"]), exit: 0,
                 names: ["NOLA_GNUPLOT_TIMEOUT='nan'", "20 s"]),
        BadInput(id: "gnuplot-timeout-overflow", area: .external, input: "NOLA_GNUPLOT_TIMEOUT=1e400 (was silently 20 s)",
                 action: .lesson("lesson07", ["--quick"], environment: ["NOLA_GNUPLOT_TIMEOUT": "1e400"]), exit: 0,
                 names: ["NOLA_GNUPLOT_TIMEOUT='1e400'", "20 s"]),
        BadInput(id: "gnuplot-timeout-huge", area: .external, input: "NOLA_GNUPLOT_TIMEOUT=1e300 (a finite number of seconds too large for a Duration)",
                 action: .lesson("lesson07", ["--quick"], environment: ["NOLA_GNUPLOT_TIMEOUT": "1e300"]), exit: 0,
                 names: ["NOLA_GNUPLOT_TIMEOUT='1e300'", "more than an hour", "3600 s"]),
        BadInput(id: "lesson11-gradient-seed-100", area: .results, input: "lesson11 --seed 100 (warned that a correct backward pass was wrong)",
                 action: .lesson("lesson11", ["--quick", "--seed", "100"]), exit: 0, names: [], stdoutLacks: ["FAILED"]),
        BadInput(id: "lesson11-gradient-seed-max", area: .results, input: "lesson11 --seed 18446744073709551615 (the same)",
                 action: .lesson("lesson11", ["--quick", "--seed", "18446744073709551615"]), exit: 0, names: [], stdoutLacks: ["FAILED"]),
    ]
}
