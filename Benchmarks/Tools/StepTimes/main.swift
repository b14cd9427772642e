// Our training steps beside PyTorch's, measured in one run on this machine:
//
//     cd Benchmarks && swift run -c release step-times            # 3 rounds × 200 steps per method
//     swift run -c release step-times --rounds 5 --steps 300 --methods dense,pranc
//     swift run -c release step-times --no-pytorch                # ours only
//
// Each round times every method in Swift (NOLAKit, release build) and then in PyTorch
// (Benchmarks/pytorch/steps.py, CPU, 2 threads, flush-denormal on): the rounds interleave the two,
// so a noisy neighbour slows both alike. The table shows the median over rounds of each side's
// median step, and the median of the per-round ratios.

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct StepTimes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step-times",
        abstract: "Milliseconds per training step (MLP 784-256-10, batch 512, SGD), ours and PyTorch's, in one run.")

    @Option(help: "Rounds; each times every method in Swift, then in PyTorch.")
    var rounds = 3

    @Option(help: "Timed steps per method and round.")
    var steps = 200

    @Option(help: "Comma-separated methods: \(StepMethod.all.map(\.name).joined(separator: ", ")).")
    var methods = StepMethod.all.map(\.name).joined(separator: ",")

    @Option(help: "Threads for OpenBLAS and for PyTorch (2: the comparison's setting; 1 is steadier on a busy machine).")
    var threads = 2

    @Option(help: "wall (elapsed time, the default) or cpu (the timing thread's CPU time: steady on a busy machine, needs --threads 1).")
    var clock = "wall"

    @Flag(help: "Time ours only.")
    var noPytorch = false

    func validate() throws {
        guard rounds >= 1, steps >= 4, threads >= 1 else {
            throw ValidationError("--rounds must be ≥ 1, --steps ≥ 4 and --threads ≥ 1.")
        }
        guard let chosen = StepClock(rawValue: clock) else { throw ValidationError("--clock is wall or cpu, not '\(clock)'.") }
        if chosen == .threadCPU && threads != 1 {
            throw ValidationError("--clock cpu counts one thread's time: add --threads 1.")
        }
        for name in methods.split(separator: ",") where StepMethod.named(String(name)) == nil {
            throw ValidationError("unknown method '\(name)'; choose from \(StepMethod.all.map(\.name).joined(separator: ", ")).")
        }
    }

    func run() throws {
        MachineSetup.prepare()
        BLAS.threads = threads
        let chosen = methods.split(separator: ",").compactMap { StepMethod.named(String($0)) }
        var ours: [String: [Double]] = [:], theirs: [String: [Double]] = [:], ratios: [String: [Double]] = [:]
        var pytorch: PyTorchReference.StepTimes? = nil
        var unavailable: String? = noPytorch ? "--no-pytorch" : nil
        for round in 1...rounds {
            for method in chosen {
                let times = try method.stepSeconds(steps: steps, clock: StepClock(rawValue: clock)!).sorted()
                ours[method.name, default: []].append(times[times.count / 2] * 1e3)
            }
            if unavailable == nil {
                switch PyTorchReference.measure(
                    methods: chosen.map(\.name), steps: steps, threads: threads, clock: StepClock(rawValue: clock)!) {
                case .success(let result):
                    pytorch = result
                    for method in chosen {
                        guard let ms = result.ms[method.name]?.median else { continue }
                        theirs[method.name, default: []].append(ms)
                        ratios[method.name, default: []].append(ours[method.name]!.last! / ms)
                    }
                case .failure(let reason):
                    unavailable = reason.description
                }
            }
            StandardStreams.writeError("round \(round) of \(rounds) done\n")
        }

        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        print("Training step, MLP 784-256-10, batch 512, plain SGD: ms per step, median of \(rounds) round(s) × \(steps) steps"
              + (clock == "cpu" ? ", CPU time of one thread" : ", wall clock"))
        print("ours:    \(OpenBLASInfo.current.summary), flush-to-zero \(Subnormals.areFlushedOnThisThread ? "on" : "off"), "
              + "\(CPUFeatures.current.brand)")
        if let pytorch {
            print("PyTorch: \(pytorch.torch), \(pytorch.threads) threads, flush denormal \(pytorch.flushDenormal ? "on" : "off")")
        } else {
            print("PyTorch: not measured (\(unavailable ?? "?")); by hand: \(PyTorchReference.howToRun)")
        }
        var table = Table(["method", "trainable", "ours ms", "PyTorch ms", "ours / PyTorch", "each round"])
        for method in chosen {
            let model = method.makeModel()
            let o = median(ours[method.name]!)
            let t = theirs[method.name].map(median)
            let r = ratios[method.name].map(median)
            table.row([
                method.name, Format.count(model.trainableParameterCount), Format.fixed(o, 2),
                t.map { Format.fixed($0, 2) } ?? "—", r.map { Format.fixed($0, 2) + "×" } ?? "—",
                ratios[method.name]?.map { Format.fixed($0, 2) }.joined(separator: " ") ?? "",
            ])
        }
        print(table.rendered())
        Lesson.checkStandardOutput("the table")  // a table lost to a full disk is one line and exit 1
    }
}

// Parsed as the lessons parse (a bad argument: one line, exit 64); a failure: one line, exit 1.
let command = StepTimes.parseLessonOptions()
do {
    try command.run()
} catch {
    Lesson.fail("\(error)")
}
