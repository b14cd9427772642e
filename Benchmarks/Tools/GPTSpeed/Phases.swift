// gpt-speed --phases: where a training step's time goes, phase by phase (NOLAKit's
// StepPhaseRecorder), in wall time, the stepping thread's CPU time and the process's CPU time.
//
//     cd Benchmarks && swift run -c release gpt-speed --phases --size 4x128 --threads 1 --rounds 5
//
// On one thread the thread's CPU time is the steady figure on a busy machine (other programs
// delay a step but do not add to its CPU time); on two, the process's CPU time also counts the
// second thread's share and OpenBLAS's workers waiting for work. Ours only: PyTorch has no such
// breakdown here (torch.profiler would add its own overhead), and a baseline build predates it.
import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

#if !NOLA_BASELINE
extension GPTSpeed {
    /// The per-phase tables, one per size, thread count and setting: medians over rounds of
    /// each round's per-step mean.
    func runPhases() throws {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        print("Where a GPT training step's time goes: \(rounds) rounds of \(steps) steps after \(warmup) warm-up steps, threads \(threads);")
        print("load average \(load) at the start (on a shared machine wall times are slowed; thread CPU time at 1 thread is the steady figure).")
        print(OpenBLASInfo.current.summary + "\n")
        var results: [String: [StepPhaseRecorder.Times]] = [:]
        var sgemmCPU: [Int: [Double]] = [:]
        for round in 1...rounds {
            for t in threadList {
                let lines = try Self.capture(CommandLine.arguments[0], ["--child", "sgemm", "--threads", String(t)])
                if let line = lines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double],
                   let gflops = object["cpu_gflops"] {
                    sgemmCPU[t, default: []].append(gflops)
                }
            }
            for size in shapes {
                for t in threadList {
                    for setting in settingList {
                        let lines = try Self.capture(
                            CommandLine.arguments[0],
                            ["--child-phases", setting, "--size", size.spec, "--steps", String(steps), "--warmup", String(warmup), "--threads", String(t)])
                        guard let line = lines.last, let times = Self.decodePhases(line) else {
                            throw ValidationError("gpt-speed: the phase timing of '\(setting)' at \(size.spec) printed no result:\n" + lines.joined(separator: "\n"))
                        }
                        results["\(size.spec)|\(t)|\(setting)", default: []].append(times)
                    }
                }
            }
            print("round \(round) of \(rounds) done")
        }
        print("")
        for size in shapes {
            print("== \(size.description)   (--size \(size.spec))")
            for t in threadList {
                for setting in settingList {
                    guard let runs = results["\(size.spec)|\(t)|\(setting)"], !runs.isEmpty else { continue }
                    /// Median over rounds of the per-step milliseconds of phase `i` on `clock`.
                    func ms(_ clock: KeyPath<StepPhaseRecorder.Times, [Double]>, _ i: Int?) -> Double {
                        let values = runs.map { r in
                            1000 * (i.map { r[keyPath: clock][$0] } ?? r[keyPath: clock].reduce(0, +)) / Double(max(1, r.steps))
                        }.sorted()
                        return values[values.count / 2]
                    }
                    let totalThread = ms(\.threadCPU, nil)
                    let roofline = Roofline(size: size, adapterRank: Self.method(setting) == nil ? nil : 4)
                    let counted: [StepPhase: Double] = [
                        .linear: roofline.matrixProducts, .adapters: roofline.adapters, .attention: roofline.attention,
                        .logitsAndLoss: roofline.unembedding,
                    ]
                    /// GFLOPS per CPU second of all threads (at 1 thread: of the stepping thread).
                    func rate(_ flops: Double?, _ i: Int?) -> String {
                        guard let flops, flops > 0 else { return "" }
                        return Format.fixed(flops / (ms(\.processCPU, i) / 1000) / 1e9, 1)
                    }
                    var table = Table(["phase", "wall ms", "thread CPU ms", "process CPU ms", "share of thread CPU", "GFLOP per CPU s"])
                    for phase in StepPhase.allCases {
                        let i = phase.rawValue
                        table.row([phase.label, Format.fixed(ms(\.wall, i), 2), Format.fixed(ms(\.threadCPU, i), 2), Format.fixed(ms(\.processCPU, i), 2),
                                   Format.percent(ms(\.threadCPU, i) / max(totalThread, 1e-12), 1), rate(counted[phase], i)])
                    }
                    table.row(["step", Format.fixed(ms(\.wall, nil), 2), Format.fixed(totalThread, 2), Format.fixed(ms(\.processCPU, nil), 2), "100%",
                               rate(roofline.total, nil)])
                    print("   \(setting), \(t) thread\(t == 1 ? "" : "s") (per step, median of \(runs.count) rounds; a total is the median of totals)")
                    print(table.rendered().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
                    if let s = sgemmCPU[t], !s.isEmpty {
                        let sgemm = s.sorted()[s.count / 2]
                        let step = roofline.total / (ms(\.processCPU, nil) / 1000) / 1e9
                        print("   sgemm n = 1024 at \(t) thread\(t == 1 ? "" : "s"): \(Format.fixed(sgemm, 1)) GFLOP per CPU second; the step reaches "
                            + "\(Format.percent(step / sgemm, 0)) of it (per CPU second: the steady measure at 1 thread)")
                    }
                }
            }
            print("")
        }
    }

    /// Records one setting's phases in this process and prints them as one JSON line.
    func runPhasesChild(_ setting: String) throws {
        BLASSetup.shortenThreadTimeout()  // as every lesson starts (MachineSetup)
        BLAS.threads = threadList.first ?? 1
        guard let size = shapes.first else { throw ValidationError("gpt-speed --child-phases: no --size") }
        let times = try size.timing(method: Self.method(setting)).phases(warmup: warmup, steps: steps)
        let object: [String: Any] = ["steps": times.steps, "wall": times.wall, "thread": times.threadCPU, "process": times.processCPU]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The times a child printed, or nil.
    static func decodePhases(_ line: String) -> StepPhaseRecorder.Times? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let steps = object["steps"] as? Int, let wall = object["wall"] as? [Double], let thread = object["thread"] as? [Double],
              let process = object["process"] as? [Double], wall.count == StepPhase.allCases.count else { return nil }
        return StepPhaseRecorder.Times(steps: steps, wall: wall, threadCPU: thread, processCPU: process)
    }
}
#endif
