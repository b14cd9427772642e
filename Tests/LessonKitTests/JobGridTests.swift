import Foundation
import Testing

@testable import LessonKit

/// The job grid of the long runs (`JobGrid`): resume, shares, from-results, refusals.
@Suite("Job grid: results folder, resume, --jobs i/n")
struct JobGridTests {
    /// A job's payload in these tests: which job, and a number computed from it.
    struct Payload: Codable, Sendable, Equatable {
        var job: String
        var value: Double
    }

    static let jobs = (1...3).flatMap { seed in ["a", "b", "c"].map { "\($0)-s\(seed)" } }
    static let configuration = ["data = synthetic", "epochs = 1"]

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("jobgrid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Opens a grid on `folder`, plans `jobs`, runs every job it may with `work` and returns it
    /// with the jobs `work` was called for.
    func run(_ folder: URL?, share: JobShare = .all, mode: GridMode = .run, configuration: [String] = configuration,
             jobs: [String] = jobs, stopAfter: Int? = nil) throws -> (JobGrid<Payload>, [String]) {
        let grid = try JobGrid<Payload>(lesson: "lessonXX", protocol: 1, configuration: configuration, folder: folder, share: share, mode: mode)
        try grid.plan(jobs)
        var called: [String] = []
        for job in jobs {
            if let stopAfter, called.count == stopAfter { break }  // a kill: the other jobs never run
            _ = try grid.result(job) {
                called.append(job)
                return Payload(job: job, value: Double(job.unicodeScalars.reduce(0) { $0 + Int($1.value) }))
            }
        }
        return (grid, called)
    }

    @Test("a rerun skips finished jobs; a killed run resumes where it stopped")
    func resume() throws {
        let folder = try folder()
        let (_, first) = try run(folder, stopAfter: 4)
        #expect(first == Array(Self.jobs.prefix(4)))
        let (grid, second) = try run(folder)
        #expect(second == Array(Self.jobs.dropFirst(4)))
        #expect(grid.missing.isEmpty && grid.ran.count == 5)
        #expect(grid.summary.hasPrefix("9 of 9 jobs done (5 run now, 4 read from"))
        let (_, third) = try run(folder)
        #expect(third.isEmpty)
        // One file per job and the manifest, nothing else (no temporary file left behind).
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == (["grid.json"] + Self.jobs.map { JobGrid<Payload>.fileName($0) }).sorted())
    }

    @Test("--jobs 1/2 and 2/2 split the grid: together they give what one process gives")
    func shares() throws {
        let (one, _) = try run(try folder())
        let split = try folder()
        let (firstHalf, a) = try run(split, share: try JobShare(parsing: "1/2"))
        #expect(firstHalf.missing.count == 4)  // the other share's jobs, not run yet
        let (_, b) = try run(split, share: try JobShare(parsing: "2/2"))
        #expect(Set(a).isDisjoint(with: b) && Set(a + b) == Set(Self.jobs))
        #expect(a == ["a-s1", "c-s1", "b-s2", "a-s3", "c-s3"])
        let (both, none) = try run(split, mode: .fromResults)
        #expect(none.isEmpty && both.missing.isEmpty)
        for job in Self.jobs { #expect(both.results[job]?.payload == one.results[job]?.payload) }
    }

    @Test("--from-results runs nothing and names what is missing")
    func fromResults() throws {
        let folder = try folder()
        _ = try run(folder, stopAfter: 2)
        let (grid, called) = try run(folder, mode: .fromResults)
        #expect(called.isEmpty && grid.missing.count == 7)
        #expect(grid.summary.contains("7 missing: c-s1, a-s2"))
        #expect(throws: GridError.self) { try run(try self.folder().appendingPathComponent("none"), mode: .fromResults) }
        #expect(throws: GridError.self) { try run(nil, mode: .fromResults) }
    }

    @Test("results of another configuration or protocol are refused, never mixed")
    func mixed() throws {
        let folder = try folder()
        _ = try run(folder, stopAfter: 1)
        do {
            _ = try run(folder, configuration: ["data = synthetic", "epochs = 2"])
            Issue.record("another configuration was accepted")
        } catch let error as GridError {
            #expect(error.description.contains("another configuration") && error.description.contains("epochs = 2"))
        }
        // A result file copied in from another folder (another configuration's key).
        let other = try self.folder()
        _ = try run(other, configuration: ["data = e2e"], stopAfter: 2)
        let name = JobGrid<Payload>.fileName("b-s1")
        try FileManager.default.copyItem(at: other.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        do {
            _ = try run(folder)
            Issue.record("a result of another configuration was read")
        } catch let error as GridError {
            #expect(error.description.contains(name) && error.description.contains("another configuration"))
        }
    }

    @Test("a damaged result file or manifest is one line naming it and the fix", arguments: [
        "", "{", "{\"format\": 3}", "not json at all\n", String(repeating: "x", count: 5000),
    ])
    func damaged(text: String) throws {
        let folder = try folder()
        _ = try run(folder, stopAfter: 1)
        let name = JobGrid<Payload>.fileName(Self.jobs[0])
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        do {
            _ = try run(folder)
            Issue.record("a damaged result was read")
        } catch let error as GridError {
            #expect(error.description.contains(name) && error.description.contains("delete it"))
            #expect(!error.description.contains("\n"))
        }
        try Data(text.utf8).write(to: folder.appendingPathComponent("grid.json"))
        #expect(throws: GridError.self) { try run(folder) }
    }

    @Test("no folder: every job runs in this process and nothing is written")
    func inMemory() throws {
        let (grid, called) = try run(nil)
        #expect(called == Self.jobs && grid.missing.isEmpty)
    }

    @Test("JobShare parses i/n and deals jobs round robin", arguments: ["0/2", "3/2", "1/0", "x", "1/", "/2", "1/2/3", "-1/2", "1/20000"])
    func shareParsing(bad: String) {
        #expect(throws: JobShare.Problem.self) { try JobShare(parsing: bad) }
    }

    @Test("JobShare 2/3 holds positions 1, 4, 7")
    func shareContains() throws {
        let share = try JobShare(parsing: "2/3")
        #expect((0..<9).filter(share.contains) == [1, 4, 7])
        #expect((0..<5).allSatisfy(JobShare.all.contains))
    }

    @Test("a job's file name keeps letters, digits and ._- only")
    func fileNames() {
        #expect(JobGrid<Payload>.fileName("sweep-b1/8-lora_r1") == "sweep-b1_8-lora_r1.json")
        #expect(JobGrid<Payload>.fileName("../x y") == ".._x_y.json")
    }
}
