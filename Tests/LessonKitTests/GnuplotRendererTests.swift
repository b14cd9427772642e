import Foundation
import Testing

@testable import LessonKit

/// gnuplot run with a time limit: a hung gnuplot and everything it started are stopped; a
/// failing one is reported with its last lines; a child that outlives gnuplot does not hold the
/// lesson (the old renderer read gnuplot's stderr pipe to its end and waited for that child).
@Suite("gnuplot renderer")
struct GnuplotRendererTests {
    /// An executable `gnuplot` that runs `body`.
    func fakeGnuplot(_ body: String) throws -> URL { try TestExecutables.script("gnuplot", body) }

    let script = URL(fileURLWithPath: "/nonexistent/figure.gp")

    /// Whether process `pid` is gone (or a zombie about to be reaped), waiting up to 3 s.
    func isGone(_ pid: pid_t) -> Bool {
        for _ in 0..<300 {
            if kill(pid, 0) != 0 { return true }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               stat.split(separator: ")").last?.split(separator: " ").first == "Z" { return true }
            usleep(10_000)
        }
        return false
    }

    @Test("a gnuplot that hangs is stopped after the time limit, with the child it started")
    func hanging() throws {
        let pidFile = NSTemporaryDirectory() + "nola-fake-gnuplot-child-\(UUID().uuidString)"
        let gnuplot = try fakeGnuplot("sleep 60 &\necho $! > \(pidFile)\nwait")
        let start = ContinuousClock.now
        let outcome = GnuplotRenderer(executable: gnuplot, timeLimit: 0.5).render(script: script)
        let elapsed = (ContinuousClock.now - start).seconds
        #expect(outcome == .timedOut(seconds: 0.5))
        #expect(elapsed < 5, "took \(elapsed) s")
        let child = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(isGone(child), "gnuplot's child \(child) outlived the time limit")
    }

    @Test("a child that outlives a finished gnuplot does not hold the renderer")
    func lingeringChild() throws {
        let gnuplot = try fakeGnuplot("sleep 3 &\nexit 0")
        let start = ContinuousClock.now
        #expect(GnuplotRenderer(executable: gnuplot, timeLimit: 10).render(script: script) == .rendered)
        #expect((ContinuousClock.now - start).seconds < 5)
    }

    @Test("a failing gnuplot is reported with its last lines; a missing one as missing")
    func failing() throws {
        let gnuplot = try fakeGnuplot("echo 'line 12: undefined variable: here' >&2\nexit 1")
        #expect(GnuplotRenderer(executable: gnuplot, timeLimit: 10).render(script: script)
            == .failed("line 12: undefined variable: here"))
        let silent = try fakeGnuplot("exit 3")
        #expect(GnuplotRenderer(executable: silent, timeLimit: 10).render(script: script)
            == .failed("gnuplot exited with status 3"))
        #expect(GnuplotRenderer(executable: nil, timeLimit: 10).render(script: script) == .gnuplotMissing)
    }

    @Test("the time limit defaults to 20 s")
    func defaultLimit() {
        if ProcessInfo.processInfo.environment["NOLA_GNUPLOT_TIMEOUT"] == nil {
            #expect(GnuplotRenderer.defaultTimeLimit() == 20)
        }
    }
}
