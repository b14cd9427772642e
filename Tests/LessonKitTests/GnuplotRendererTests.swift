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
        let script = try scriptInFolder()
        let gnuplot = try fakeGnuplot(writesImages(for: script) + "\nsleep 3 &\nexit 0")
        let start = ContinuousClock.now
        #expect(GnuplotRenderer(executable: gnuplot, timeLimit: 10).render(script: script) == .rendered)
        #expect((ContinuousClock.now - start).seconds < 5)
    }

    /// Shell lines that write the smallest whole PNG (signature, IEND) and SVG for `script`.
    func writesImages(for script: URL) -> String {
        let stem = script.deletingPathExtension().path
        return "printf '\\211PNG\\r\\n\\032\\n\\000\\000\\000\\000IEND\\256B`\\202' > \(stem).png\n"
            + "printf '<svg>\\n</svg>\\n' > \(stem).svg"
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

    @Test("NOLA_GNUPLOT_TIMEOUT: seconds above 0 are taken; anything else is 20 s with a warning (was silently 20 s)")
    func timeLimitSetting() {
        #expect(GnuplotRenderer.timeLimitSetting([:]) == (20, nil))
        #expect(GnuplotRenderer.timeLimitSetting(["NOLA_GNUPLOT_TIMEOUT": "2.5"]) == (2.5, nil))
        #expect(GnuplotRenderer.timeLimitSetting(["NOLA_GNUPLOT_TIMEOUT": " 60 "]) == (60, nil))
        for text in ["-1", "abc", "0", "nan", "1e400", "", "inf"] {
            let setting = GnuplotRenderer.timeLimitSetting(["NOLA_GNUPLOT_TIMEOUT": text])
            #expect(setting.seconds == 20)
            #expect(setting.warning?.hasPrefix("NOLA_GNUPLOT_TIMEOUT='\(text)' is not a number of seconds above 0") == true,
                    "\(text): \(setting.warning ?? "no warning")")
        }
        let huge = GnuplotRenderer.timeLimitSetting(["NOLA_GNUPLOT_TIMEOUT": "1e300"])
        #expect(huge.seconds == 3600 && huge.warning?.contains("more than an hour") == true)
    }

    /// A folder with `figure.gp` in it, for renders whose outputs are checked.
    func scriptInFolder() throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("nola-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = folder.appendingPathComponent("figure.gp")
        try Data("# a script\n".utf8).write(to: script)
        return script
    }

    @Test("exit 0 is not taken on trust: no image, a garbage image, a cut PNG or SVG is a failure, with what gnuplot said")
    func checksWhatWasWritten() throws {
        let script = try scriptInFolder()
        let stem = script.deletingPathExtension().path
        let png = "printf '\\211PNG\\r\\n\\032\\n' > \(stem).png"
        let iend = "printf '\\000\\000\\000\\000IEND\\256B`\\202' >> \(stem).png"
        let svg = "printf '<?xml version=\"1.0\"?>\\n<svg>\\n</svg>\\n' > \(stem).svg"
        let cases: [(String, String?)] = [
            ("exit 0", "wrote no"),
            ("echo 'oops' >&2; echo x > \(stem).png; echo x > \(stem).svg", "is not a PNG image"),
            ("\(png); \(svg)", "is cut short"),
            ("\(png); \(iend); echo '<svg>' > \(stem).svg", "figure.svg is cut short"),
            ("\(png); \(iend); \(svg)", nil),
        ]
        for (body, problem) in cases {
            let outcome = GnuplotRenderer(executable: try fakeGnuplot(body), timeLimit: 10).render(script: script)
            if let problem {
                guard case .failed(let message) = outcome else { Issue.record("\(body): \(outcome)"); continue }
                #expect(message.hasPrefix("gnuplot exited normally but") && message.contains(problem), "\(body): \(message)")
            } else {
                #expect(outcome == .rendered, "\(body)")
            }
        }
        let said = GnuplotRenderer(executable: try fakeGnuplot("echo 'warning: no font' >&2"), timeLimit: 10).render(script: script)
        #expect(said == .failed("gnuplot exited normally but wrote no \(URL(fileURLWithPath: stem + ".png").relativeDisplayPath) "
            + "(it printed: warning: no font)"))
    }

    @Test("the images of an earlier run are removed before gnuplot starts, and when it is missing")
    func staleImages() throws {
        let script = try scriptInFolder()
        let outputs = GnuplotRenderer.outputs(of: script)
        for url in outputs { try Data("old".utf8).write(to: url) }
        _ = GnuplotRenderer(executable: nil, timeLimit: 10).render(script: script)
        #expect(outputs.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
    }
}
