import Foundation
import NOLAKit

/// A long sweep as a grid of independent jobs (row × seed × …), each of which writes one small
/// result file into a results folder when it finishes — so a run can be killed and resumed, split
/// across processes or machines, and its tables rebuilt from the files in seconds.
///
///     let grid = try JobGrid<MyPayload>(lesson: "lesson12", protocol: 3, configuration: lines,
///                                       folder: URL(fileURLWithPath: "Lessons/lesson12/results/e2e-full"),
///                                       share: options.grid.share, mode: .run)
///     grid.plan(jobs)                                  // every job of the run, in order
///     let result = try grid.result("table1-lora_r1-seed2") { try train() }   // nil: not ours, not done
///
/// - **Resume.** A job whose result file is in the folder is read back, never run again; a killed
///   run loses only the job it was running (files are written whole, then renamed into place).
/// - **Split.** `share` (`--jobs i/n`) runs only the jobs at positions `i−1, i−1+n, …` of the
///   planned order; the other shares' jobs are read when their files are there and are otherwise
///   missing. Processes sharing one folder write different files.
/// - **From results.** `mode: .fromResults` never runs a job: the tables are built from the files.
/// - **Never mixed.** The folder's `grid.json` (`GridManifest`) holds the configuration its
///   results belong to; a run with another configuration (or protocol version) is refused with
///   one line, as is a result file that carries another configuration's key or cannot be read.
///   The code version is recorded in every file, not compared.
/// - **No folder** (`folder: nil`): the same jobs, run in this process, nothing written.
public final class JobGrid<Payload: Codable & Sendable> {
    /// Where the result files go (nil: nowhere).
    public let folder: URL?
    /// The lesson, its protocol and configuration: the folder's manifest.
    public let manifest: GridManifest
    /// This process's share of the jobs.
    public let share: JobShare
    /// Whether missing jobs are run.
    public let mode: GridMode
    /// The planned jobs, in order.
    public private(set) var jobs: [String] = []
    /// Results by job id: read from the folder or made by this run.
    public private(set) var results: [String: JobResult<Payload>] = [:]
    /// Jobs this process ran (the others in `results` were read from files).
    public private(set) var ran: Set<String> = []

    /// Opens (or creates) the results folder of this configuration. Throws `GridError` (one line)
    /// when the folder belongs to another configuration, cannot be created, or its manifest is
    /// damaged; with `.fromResults`, also when the folder has no results at all.
    public init(lesson: String, protocol version: Int, configuration: [String], folder: URL?,
                share: JobShare = .all, mode: GridMode = .run) throws {
        self.folder = folder
        self.share = share
        self.mode = mode
        manifest = GridManifest(lesson: lesson, protocol: version, configuration: configuration, createdBy: CodeVersion.current)
        guard let folder else {
            if mode == .fromResults { throw GridError("--from-results needs a results folder (--results DIR)") }
            return
        }
        let path = folder.relativeDisplayPath
        let manifestURL = folder.appendingPathComponent(Self.manifestName)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw GridError("the results folder \(path) is a file; pass --results with a folder")
        }
        if let data = FileManager.default.contents(atPath: manifestURL.path) {
            let found: GridManifest
            do {
                found = try Self.decoder.decode(GridManifest.self, from: data)
            } catch {
                throw GridError("\(path)/\(Self.manifestName) is damaged (\(Self.reason(error))); restore it from git, or pass another --results folder")
            }
            guard found.format == GridManifest.currentFormat else {
                throw GridError("\(path)/\(Self.manifestName) is not a results folder of this project (format '\(found.format)'); pass another --results folder")
            }
            guard found.lesson == lesson, found.protocol == version, found.configuration == configuration, found.key == manifest.key else {
                let differences = Self.differences(found, manifest)
                throw GridError("\(path) holds results of another configuration (\(differences)); never mixed: pass another --results folder, or delete that one to start again")
            }
        } else if mode == .fromResults {
            throw GridError("\(path) holds no results (no \(Self.manifestName)); run without --from-results first, or pass the folder that has them")
        } else {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Self.writeWhole(Self.encoder.encode(manifest), to: manifestURL)
            } catch let error as GridError {
                throw error
            } catch {
                throw GridError("cannot create the results folder \(path) (\(Self.reason(error))); pass --results with a writable folder")
            }
        }
    }

    /// The folder's manifest file name.
    public static var manifestName: String { "grid.json" }

    /// Sets the grid's jobs, in the order shares are dealt (`JobShare.contains`), and reads every
    /// result file of them that the folder holds. Throws `GridError` for a file that cannot be
    /// read, is not a result, or belongs to another configuration (naming the file and the fix).
    public func plan(_ jobs: [String]) throws {
        precondition(Set(jobs).count == jobs.count, "JobGrid.plan: a job is listed twice")
        self.jobs = jobs
        guard let folder else { return }
        for job in jobs where results[job] == nil {
            let url = folder.appendingPathComponent(Self.fileName(job))
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            results[job] = try read(data, job: job, path: url.relativeDisplayPath)
        }
    }

    /// The result of `job`: read from the folder, or — when this process's share holds the job (or
    /// `anyShare`: a job every share needs done, such as preparing what the others use) and the
    /// mode is `.run` — made now by `work` and written to the folder; nil otherwise (another
    /// share's job not done yet, or `.fromResults`). `work`'s errors propagate; a result that cannot
    /// be written throws `GridError`.
    public func result(_ job: String, anyShare: Bool = false, work: () throws -> Payload) throws -> JobResult<Payload>? {
        if let done = results[job] { return done }
        guard mode == .run, let position = jobs.firstIndex(of: job), anyShare || share.contains(position) else { return nil }
        let (wall, cpu) = (ContinuousClock.now, ProcessMemory.cpuSeconds)
        let payload = try work()
        let result = JobResult(
            lesson: manifest.lesson, protocol: manifest.protocol, configurationKey: manifest.key, job: job,
            code: CodeVersion.current, machine: Self.machine, finished: Self.now(),
            wallSeconds: (ContinuousClock.now - wall).seconds, cpuSeconds: ProcessMemory.cpuSeconds - cpu, payload: payload)
        if let folder {
            let url = folder.appendingPathComponent(Self.fileName(job))
            do {
                try Self.writeWhole(Self.encoder.encode(result), to: url)
            } catch {
                throw GridError("cannot write \(url.relativeDisplayPath) (\(Self.reason(error))); the job's result is lost: free space or pass --results with a writable folder")
            }
        }
        results[job] = result
        ran.insert(job)
        return result
    }

    /// Planned jobs without a result, in order.
    public var missing: [String] { jobs.filter { results[$0] == nil } }

    /// Planned jobs without a result that this process would run, in order.
    public var toRun: [String] {
        guard mode == .run else { return [] }
        return jobs.enumerated().filter { results[$0.element] == nil && share.contains($0.offset) }.map(\.element)
    }

    /// "12 of 45 jobs done (3 run now, 9 read from Lessons/lesson12/results/e2e-full); 33 missing: a, b, c, … (run again to finish them)".
    public var summary: String {
        let done = jobs.count - missing.count
        var text = "\(done) of \(jobs.count) job\(jobs.count == 1 ? "" : "s") done"
        if let folder {
            text += " (\(ran.count) run now, \(done - ran.count) read from \(folder.relativeDisplayPath))"
        }
        if !missing.isEmpty {
            let shown = missing.prefix(6).joined(separator: ", ") + (missing.count > 6 ? ", …" : "")
            text += "; \(missing.count) missing: \(shown)"
        }
        return text
    }

    /// `job`'s file name: the id with every character outside `A–Z a–z 0–9 . _ -` as `_`, then `.json`.
    public static func fileName(_ job: String) -> String {
        String(job.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" }) + ".json"
    }

    // MARK: - Files

    private func read(_ data: Data, job: String, path: String) throws -> JobResult<Payload> {
        let result: JobResult<Payload>
        do {
            result = try Self.decoder.decode(JobResult<Payload>.self, from: data)
        } catch {
            throw GridError("\(path) is damaged (\(Self.reason(error))); delete it to run that job again, or restore it from git")
        }
        guard result.format == JobResult<Payload>.currentFormat, result.job == job else {
            throw GridError("\(path) is not the result of job \(job) (it says '\(result.job)', format '\(result.format)'); delete it to run that job again")
        }
        guard result.configurationKey == manifest.key, result.protocol == manifest.protocol, result.lesson == manifest.lesson else {
            throw GridError("\(path) belongs to another configuration (key \(result.configurationKey), protocol \(result.protocol); this folder's is \(manifest.key), protocol \(manifest.protocol)); never mixed: move it to its own folder or delete it")
        }
        return result
    }

    /// JSON, keys sorted, one value a line; NaN and infinities as the strings "nan", "inf",
    /// "-inf" (a curve's first point has no training loss).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Writes `data` to a hidden temporary file beside `url`, then renames it into place: a
    /// reader (or a resumed run) sees the whole file or none.
    static func writeWhole(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw GridError(String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// The differences between two manifests, for the refusal line: the first few changed lines.
    static func differences(_ found: GridManifest, _ wanted: GridManifest) -> String {
        if found.lesson != wanted.lesson { return "lesson \(found.lesson), not \(wanted.lesson)" }
        if found.protocol != wanted.protocol { return "protocol \(found.protocol), this code's is \(wanted.protocol)" }
        let old = Set(found.configuration), new = Set(wanted.configuration)
        let changed = wanted.configuration.filter { !old.contains($0) }
        let gone = found.configuration.filter { !new.contains($0) }
        guard !(changed.isEmpty && gone.isEmpty) else { return "key \(found.key), this run's \(wanted.key)" }
        return (gone.prefix(2).map { "was '\($0)'" } + changed.prefix(2).map { "now '\($0)'" }).joined(separator: ", ")
    }

    static func reason(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context): return "not valid JSON: \(context.debugDescription)"
            case .keyNotFound(let key, _): return "no '\(key.stringValue)'"
            case .typeMismatch(_, let context), .valueNotFound(_, let context):
                return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
            @unknown default: return "not a result file"
            }
        }
        return FileErrorReason.reason(error)
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }

    /// "AMD EPYC 9B14, 2 cores, 2 BLAS threads" (from /proc/cpuinfo where there is one). The
    /// thread count matters to the last bits: OpenBLAS rounds some products differently on 1 thread
    /// than on 2, so a job is repeatable bit for bit at the same count.
    static var machine: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        let threads = BLAS.threads
        return "\(model ?? "unknown CPU"), \(cores) core\(cores == 1 ? "" : "s"), \(threads) BLAS thread\(threads == 1 ? "" : "s")"
    }
}

/// How a `JobGrid` treats jobs without a result file.
public enum GridMode: Sendable {
    /// Runs this share's missing jobs.
    case run
    /// Runs nothing; reads what is there.
    case fromResults
}

/// What went wrong with a results folder or file: one line naming it and the fix.
public struct GridError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = OneLine.escaped(description) }
}
