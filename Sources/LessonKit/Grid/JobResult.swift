import Foundation
import NOLAKit

/// One finished job of a `JobGrid`, as its small JSON file in the results folder holds it: what
/// the job measured (`payload`, the lesson's own `Codable` type) and everything needed to trust
/// it later — the configuration it ran under, the code version, the machine, when, how long.
///
///     {
///       "format" : "nola-lessons job result 1",
///       "lesson" : "lesson12", "protocol" : 3, "configurationKey" : "5c0f…",
///       "job" : "table1-lora_r1-seed2",
///       "code" : "git 96050c2 (uncommitted changes)", "machine" : "AMD EPYC 9B14, 2 cores",
///       "finished" : "2025-06-01T12:00:00Z", "wallSeconds" : 512.3, "cpuSeconds" : 901.7,
///       "payload" : { … }
///     }
///
/// The configuration itself is in the folder's `grid.json` (`GridManifest`); a result carries its
/// key, so a result copied in from another configuration is recognised and refused.
public struct JobResult<Payload: Codable & Sendable>: Codable, Sendable {
    /// The format's name and version, checked when reading.
    public var format = JobResult.currentFormat
    /// The lesson that ran it ("lesson12").
    public var lesson: String
    /// The lesson's protocol version (bumped when results change meaning).
    public var `protocol`: Int
    /// `GridManifest.key` of the configuration it ran under.
    public var configurationKey: String
    /// The job's id in the grid.
    public var job: String
    /// The code it ran with (`CodeVersion.current`): recorded, not compared.
    public var code: String
    /// The machine it ran on.
    public var machine: String
    /// When it finished (ISO 8601, UTC).
    public var finished: String
    /// Elapsed and CPU seconds of the job (the CPU time of the whole process, all its threads,
    /// during the job: steadier than the wall clock on a shared machine).
    public var wallSeconds: Double
    public var cpuSeconds: Double
    /// What the job measured.
    public var payload: Payload

    /// "nola-lessons job result 1".
    public static var currentFormat: String { "nola-lessons job result 1" }
}

/// The configuration a results folder belongs to, in its `grid.json`: written by the first run
/// that uses the folder, compared by every later one. The key is a hash of the lesson, its
/// protocol version and every configuration line; the code version is only recorded (a commit
/// changes too often to decide what may be mixed).
public struct GridManifest: Codable, Sendable, Equatable {
    public var format = GridManifest.currentFormat
    /// The lesson ("lesson12").
    public var lesson: String
    /// The lesson's protocol version.
    public var `protocol`: Int
    /// `name = value` lines: everything that changes what a job measures (data, base, recipe,
    /// decoder, test set), never the grid's axes (rows, seeds), which are the jobs.
    public var configuration: [String]
    /// FNV-1a of lesson, protocol and configuration: what results must carry to be used.
    public var key: String
    /// The code version of the run that made the folder (recorded, not compared).
    public var createdBy: String

    public init(lesson: String, protocol version: Int, configuration: [String], createdBy: String) {
        self.lesson = lesson
        self.protocol = version
        self.configuration = configuration
        self.createdBy = createdBy
        key = Self.key(lesson: lesson, protocol: version, configuration: configuration)
    }

    /// Sixteen hex digits of FNV-1a over `lesson`, the protocol and the configuration lines.
    public static func key(lesson: String, protocol version: Int, configuration: [String]) -> String {
        let text = ([lesson, "protocol \(version)"] + configuration).joined(separator: "\n")
        let hash = String(BasisSeeds.fnv1a64(text), radix: 16)
        return String(repeating: "0", count: 16 - hash.count) + hash
    }

    /// "nola-lessons results folder 1".
    public static var currentFormat: String { "nola-lessons results folder 1" }
}
