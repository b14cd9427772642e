// gpt-speed: one GPT training step, ours against PyTorch's and against the machine, in one run.
//
//     cd Benchmarks && swift run -c release gpt-speed                        # 3 sizes × 1, 2 threads × 5 rounds
//     cd Benchmarks && swift run -c release gpt-speed --size 4x128 --threads 2 --rounds 3
//     cd Benchmarks && swift run -c release gpt-speed --size 6x256:h8:t128:b16:v1024   # lesson12's base, say
//     cd Benchmarks && swift run -c release gpt-speed --baseline /tmp/before/gpt-speed # before/after, same rounds
//     cd Benchmarks && swift run -c release gpt-speed --no-pytorch
//     cd Benchmarks && swift run -c release gpt-speed --phases --size 4x128 --threads 1   # where the time goes (Phases.swift)
//
// One step: set the rate, zero the gradients, forward, token cross-entropy, backward, clip the
// global norm at 1, AdamW; full fine-tuning, LoRA r=4 on Q,V, NOLA r=4, k = l = 64 on Q,V (each
// site its own materialized basis). PyTorch runs Benchmarks/pytorch/gpt_step.py with the same
// shapes and threads, denormals flushed. For the roofline, every round also measures OpenBLAS's
// sgemm at n = 1,024 with the same thread count: the most this machine's BLAS does, the
// yardstick for both sides, and PyTorch's torch.mm at the same n and threads (its wheel's own
// BLAS, MKL on x86): from the two follows the share of sgemm at which ours would meet the issue's
// "≤ 0.85× PyTorch" (`targetBound`). Each setting of each side runs in its own process; the sides
// alternate within a round and rounds alternate their order, so a machine that gets busier or
// quieter affects all alike. Tables show medians over rounds of each round's median step.
//
// The code a child runs uses only what NOLAKit had at main 96050c2 (GPTStepTiming, BLAS.gemm), so
// this tool builds against that commit too: the `--baseline` binary (see pytorch/README.md).
import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

@main
struct GPTSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpt-speed",
        abstract: "Time GPT training steps (full fine-tuning, LoRA and NOLA on Q,V) against PyTorch and against sgemm: a roofline.")

    @Option(name: .customLong("size"), help: "A shape, repeatable: 4x128, 6x256, 1x1024 (presets) or LxC:h<heads>:t<tokens>:b<batch>:v<vocab>.")
    var sizes: [String] = ["4x128", "6x256", "1x1024"]
    @Option(help: "Rounds; each times every size, thread count and setting on every side.")
    var rounds = 5
    @Option(help: "Timed steps per setting and round (their median counts).")
    var steps = 10
    @Option(help: "Untimed warm-up steps.")
    var warmup = 3
    @Option(help: "Settings, comma-separated: full, lora, nola.")
    var settings = "full,lora,nola"
    @Option(help: "Thread counts, comma-separated (BLAS and the loops around it; torch.set_num_threads).")
    var threads = "1,2"
    @Flag(help: "Skip PyTorch.")
    var noPytorch = false
    @Option(help: "Another build of gpt-speed (e.g. main's code with this tool): timed in the same rounds as 'before'.")
    var baseline: String?
    @Flag(help: "Instead of the comparison, print where each step's time goes, phase by phase (ours only).")
    var phases = false
    @Option(help: .hidden)
    var child: String?
    @Option(help: .hidden)
    var childPhases: String?

    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../pytorch/gpt_step.py").standardized.path

    static func method(_ setting: String) -> AdapterMethod? {
        switch setting {
        case "lora": .lora(rank: 4, c: 1)
        case "nola": .nola(rank: 4, k: 64, l: 64, c: 1, basis: .perLayer)
        default: nil
        }
    }

    var settingList: [String] { settings.split(separator: ",").map(String.init) }
    var threadList: [Int] { threads.split(separator: ",").compactMap { Int($0) } }
    var shapes: [BenchmarkSize] {
        var problem = ""
        return sizes.compactMap { BenchmarkSize($0, problem: &problem) }
    }

    func validate() throws {
        for s in settingList where !["full", "lora", "nola"].contains(s) {
            throw ValidationError("--settings: unknown setting '\(s)'; use full, lora, nola")
        }
        guard rounds > 0, steps > 0, warmup >= 0 else {
            throw ValidationError("--rounds and --steps must be positive, --warmup at least 0")
        }
        guard !threadList.isEmpty, threadList.count == threads.split(separator: ",").count, threadList.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--threads: '\(threads)' is not a list of positive counts, e.g. 1,2")
        }
        for spec in sizes {
            var problem = ""
            if BenchmarkSize(spec, problem: &problem) == nil { throw ValidationError("--size: \(problem)") }
        }
        if let baseline, !FileManager.default.isExecutableFile(atPath: baseline) {
            throw ValidationError("--baseline: '\(baseline)' is not an executable file; build one as Benchmarks/pytorch/README.md says")
        }
    }

    /// One measurement: each round's median step (ms) and median CPU time (ms, all threads).
    struct Series {
        var ms: [Double] = []
        var cpu: [Double] = []
        var median: Double? { ms.isEmpty ? nil : ms.sorted()[ms.count / 2] }
        var cpuMedian: Double? { cpu.isEmpty ? nil : cpu.sorted()[cpu.count / 2] }
    }

    /// Parses as the lessons parse (a bad argument: one line, exit 64); a failure is one line, exit 1.
    static func main() {
        let command = parseLessonOptions()
        do {
            try command.run()
        } catch {
            Lesson.fail("\(error)")
        }
    }

    func run() throws {
        if let child { return try runChild(child) }
        #if !NOLA_BASELINE
            if let childPhases { return try runPhasesChild(childPhases) }
            if phases { return try runPhases() }
        #endif
        let hasTorch = !noPytorch && Self.torchAvailable()
        if !noPytorch && !hasTorch {
            print("PyTorch not found (python3 -c 'import torch' failed): timing ours only. pip install torch to compare.")
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("GPT training steps against PyTorch and sgemm: \(rounds) rounds, median of \(steps) steps after \(warmup) warm-up steps,")
        print("threads \(threads); \(cores) cores, load average \(load) at the start\((Double(load) ?? 0) > Double(cores) / 2 ? " (a SHARED machine: wall times are slowed and noisy)" : "").")
        print(OpenBLASInfo.current.summary + "\n")
        // sizes × threads × setting × side
        var table: [String: Series] = [:]
        var sgemm: [String: [Double]] = [:]
        var torchMM: [String: [Double]] = [:]
        func key(_ s: BenchmarkSize, _ t: Int, _ setting: String, _ side: String) -> String { "\(s.spec)|\(t)|\(setting)|\(side)" }
        for round in 1...rounds {
            for size in shapes {
                for t in threadList {
                    sgemm["\(size.spec)|\(t)", default: []].append(try runSgemm(threads: t))
                    if hasTorch { torchMM["\(size.spec)|\(t)", default: []].append(try runTorchMatmul(threads: t)) }
                    var sides: [(String, () throws -> [String: [String: Double]])] = [
                        ("ours", { try runSelf(executable: CommandLine.arguments[0], size: size, threads: t) }),
                    ]
                    if hasTorch { sides.append(("PyTorch", { try runPyTorch(size: size, threads: t) })) }
                    if let baseline { sides.append(("before", { try runSelf(executable: baseline, size: size, threads: t) })) }
                    if round % 2 == 0 { sides.reverse() }
                    for (side, measure) in sides {
                        for (setting, result) in try measure() {
                            guard let ms = result["median_ms"] else { continue }
                            table[key(size, t, setting, side), default: Series()].ms.append(ms)
                            if let cpu = result["cpu_median_ms"] { table[key(size, t, setting, side), default: Series()].cpu.append(cpu) }
                        }
                    }
                }
            }
            print("round \(round) of \(rounds) done")
        }
        print("")
        for size in shapes {
            print("== \(size.description)   (--size \(size.spec))")
            for setting in settingList {
                let r = Roofline(size: size, adapterRank: Self.method(setting) == nil ? nil : 4)
                print("   \(setting): \(r.format(r.total))FLOP per step = matrix products \(r.format(r.matrixProducts)) + attention \(r.format(r.attention)) "
                    + "+ unembedding \(r.format(r.unembedding))\(r.adapters > 0 ? " + adapters \(r.format(r.adapters))" : "")")
            }
            print("   " + Roofline(size: size, adapterRank: nil).rest)
            for t in threadList {
                let reference = sgemm["\(size.spec)|\(t)"].map { $0.sorted()[$0.count / 2] } ?? .nan
                var columns = ["setting", "ours ms", "ours CPU ms", "ours GFLOPS", "ours % of sgemm"]
                if hasTorch { columns += ["PyTorch ms", "PyTorch GFLOPS", "PyTorch % of sgemm", "ours / PyTorch"] }
                if baseline != nil { columns += ["before ms", "before GFLOPS", "after / before"] }
                var out = Table(columns)
                for setting in settingList {
                    let flops = Roofline(size: size, adapterRank: Self.method(setting) == nil ? nil : 4).total
                    let ours = table[key(size, t, setting, "ours")] ?? Series()
                    func rate(_ ms: Double?) -> Double? { ms.map { flops / ($0 / 1000) / 1e9 } }
                    func cell(_ x: Double?, _ digits: Int) -> String { x.map { Format.fixed($0, digits) } ?? "—" }
                    var row = [setting, cell(ours.median, 1), cell(ours.cpuMedian, 1), cell(rate(ours.median), 1),
                               rate(ours.median).map { Format.percent($0 / reference, 0) } ?? "—"]
                    if hasTorch {
                        let torch = table[key(size, t, setting, "PyTorch")] ?? Series()
                        row += [cell(torch.median, 1), cell(rate(torch.median), 1), rate(torch.median).map { Format.percent($0 / reference, 0) } ?? "—",
                                ours.median.flatMap { o in torch.median.map { Format.fixed(o / $0, 3) + "×" } } ?? "—"]
                    }
                    if baseline != nil {
                        let before = table[key(size, t, setting, "before")] ?? Series()
                        row += [cell(before.median, 1), cell(rate(before.median), 1),
                                ours.median.flatMap { o in before.median.map { Format.fixed(o / $0, 3) + "×" } } ?? "—"]
                    }
                    out.row(row)
                }
                let mm = torchMM["\(size.spec)|\(t)"].map { $0.sorted()[$0.count / 2] }
                print("   \(t) thread\(t == 1 ? "" : "s"); sgemm n = 1024: \(Format.fixed(reference, 1)) GFLOPS"
                    + (mm.map { ", PyTorch's torch.mm n = 1024: \(Format.fixed($0, 1)) GFLOPS" } ?? "") + " (medians of \(rounds) rounds)")
                print(out.rendered().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
                if hasTorch {
                    let needs = settingList.compactMap { setting -> String? in
                        let flops = Roofline(size: size, adapterRank: Self.method(setting) == nil ? nil : 4).total
                        guard let torch = table[key(size, t, setting, "PyTorch")]?.median else { return nil }
                        let share = Self.targetBound(pytorchShare: flops / (torch / 1000) / 1e9 / reference)
                        return "\(setting) \(Format.percent(share, 0))"
                    }
                    print("   ≤ 0.85× PyTorch needs ours at: \(needs.joined(separator: ", ")) of sgemm")
                }
            }
            if let t = threadList.max(), let lora = table[key(size, t, "lora", "ours")]?.median, let nola = table[key(size, t, "nola", "ours")]?.median {
                print("   Ours at \(t) thread\(t == 1 ? "" : "s"), NOLA / LoRA step time: \(Format.fixed(nola / lora, 3))× "
                    + "(paper Table 2, GPT-2 L: 1.075 non-shared, 1.004 shared)")
            }
            if threadList.contains(1) && threadList.contains(2) {
                var scaling = Table(["setting", "ours 1 → 2 threads", "PyTorch 1 → 2 threads", "sgemm 1 → 2 threads"])
                let s1 = sgemm["\(size.spec)|1"].map { $0.sorted()[$0.count / 2] }, s2 = sgemm["\(size.spec)|2"].map { $0.sorted()[$0.count / 2] }
                for setting in settingList {
                    func speedup(_ side: String) -> String {
                        guard let a = table[key(size, 1, setting, side)]?.median, let b = table[key(size, 2, setting, side)]?.median else { return "—" }
                        return Format.fixed(a / b, 2) + "×"
                    }
                    scaling.row([setting, speedup("ours"), hasTorch ? speedup("PyTorch") : "—",
                                 s1.flatMap { a in s2.map { Format.fixed($0 / a, 2) + "×" } } ?? "—"])
                }
                print(scaling.rendered().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
            }
            print("")
        }
        print("Targets (issue 23, at 2 threads): ≥ 75% of sgemm for d ≥ 256, ≥ 60% at d = 128; 1 → 2 threads ≥ 1.8×; ours ≤ 0.85× PyTorch.")
        #if !NOLA_BASELINE
        Lesson.checkStandardOutput("the tables")  // tables lost to a full disk are one line and exit 1
        #endif
    }

    /// The share of sgemm's GFLOPS at which ours meets "≤ `ratio`× PyTorch's step time": the
    /// same FLOPs in `ratio` of the time is PyTorch's share divided by `ratio`. Above 100 %, the
    /// target asks more than OpenBLAS's own large product reaches (PyTorch's BLAS may be faster).
    ///
    ///     GPTSpeed.targetBound(pytorchShare: 0.82)   // 0.965: ours must reach 96 % of sgemm
    static func targetBound(pytorchShare: Double, ratio: Double = 0.85) -> Double {
        pytorchShare / ratio
    }

    // MARK: Children

    /// Times one setting (or sgemm) in this process and prints one JSON line. Uses only NOLAKit
    /// API that main had at 96050c2 (see the header).
    func runChild(_ setting: String) throws {
        #if !NOLA_BASELINE
            BLASSetup.shortenThreadTimeout()  // as every lesson starts (MachineSetup); the baseline as it was
        #endif
        BLAS.threads = threadList.first ?? 1
        var result: [String: Double] = [:]
        if setting == "sgemm" {
            let n = 1024
            let a = Matrix(rows: n, cols: n, data: (0..<(n * n)).map { Float($0 % 13) * 0.1 - 0.6 })
            var c = Matrix(rows: n, cols: n)
            BLAS.gemm(a, a, into: &c)
            var best = Double.infinity, bestCPU = Double.infinity
            for _ in 0..<5 {
                let (start, cpuStart) = (ContinuousClock.now, ProcessMemory.cpuSeconds)
                for _ in 0..<3 { BLAS.gemm(a, a, into: &c) }
                let elapsed = ContinuousClock.now - start
                best = min(best, (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / 3)
                bestCPU = min(bestCPU, (ProcessMemory.cpuSeconds - cpuStart) / 3)
            }
            result["gflops"] = 2 * Double(n * n * n) / best / 1e9
            // Per CPU second of all threads: on one thread, steady on a busy machine.
            result["cpu_gflops"] = 2 * Double(n * n * n) / bestCPU / 1e9
        } else {
            guard let size = shapes.first else { throw ValidationError("gpt-speed --child: no --size") }
            let timing = size.timing(method: Self.method(setting))
            let measured = try timing.measure(warmup: warmup, steps: steps)
            let seconds = measured.wall.sorted(), cpu = measured.cpu.sorted()
            result = [
                "median_ms": 1000 * seconds[seconds.count / 2], "min_ms": 1000 * seconds[0], "cpu_median_ms": 1000 * cpu[cpu.count / 2],
                "trainable": Double(timing.makeTrainer().trainer.model.parameters.trainableCount),
                "peak_rss": Double(ProcessMemory.peakResidentBytes),
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        #if !NOLA_BASELINE
        Lesson.checkStandardOutput("the timing")
        #endif
    }

    /// Every setting of `executable`'s steps for `size` at `threads`, each in its own process.
    func runSelf(executable: String, size: BenchmarkSize, threads: Int) throws -> [String: [String: Double]] {
        var out: [String: [String: Double]] = [:]
        for setting in settingList {
            let arguments = ["--child", setting, "--size", size.spec, "--steps", String(steps), "--warmup", String(warmup), "--threads", String(threads)]
            let lines = try Self.capture(executable, arguments)
            guard let line = lines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] else {
                throw ValidationError("gpt-speed: \(executable) printed no result for '\(setting)' at \(size.spec):\n" + lines.joined(separator: "\n"))
            }
            out[setting] = object
        }
        return out
    }

    /// sgemm's GFLOPS at n = 1,024 on `threads` threads, in a process of its own.
    func runSgemm(threads: Int) throws -> Double {
        let lines = try Self.capture(CommandLine.arguments[0], ["--child", "sgemm", "--threads", String(threads)])
        guard let line = lines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double],
              let gflops = object["gflops"] else {
            throw ValidationError("gpt-speed: the sgemm timing printed no result:\n" + lines.joined(separator: "\n"))
        }
        return gflops
    }

    /// PyTorch's torch.mm GFLOPS at n = 1,024 on `threads` threads (`gpt_step.py --matmul`).
    func runTorchMatmul(threads: Int) throws -> Double {
        let lines = try Self.capture("/usr/bin/env", ["python3", Self.python, "--matmul", "--json", "--threads", String(threads)])
        guard let line = lines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let gflops = (object["gflops"] as? NSNumber)?.doubleValue else {
            throw ValidationError("gpt-speed: \(Self.python) --matmul printed no result:\n" + lines.joined(separator: "\n"))
        }
        return gflops
    }

    func runPyTorch(size: BenchmarkSize, threads: Int) throws -> [String: [String: Double]] {
        let lines = try Self.capture("/usr/bin/env", ["python3", Self.python, "--json", "--settings", settings, "--steps", String(steps),
                                                       "--warmup", String(warmup), "--threads", String(threads)] + size.pythonArguments)
        var out: [String: [String: Double]] = [:]
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let setting = object["setting"] as? String else { continue }
            out[setting] = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        guard out.count == settingList.count else {
            throw ValidationError("gpt-speed: \(Self.python) did not time every setting:\n" + lines.joined(separator: "\n"))
        }
        return out
    }

    static func torchAvailable() -> Bool {
        (try? capture("/usr/bin/env", ["python3", "-c", "import torch, safetensors, numpy; print('ok')"]))?.last == "ok"
    }

    /// The lines a program prints (stdout and stderr); throws when it cannot start.
    static func capture(_ executable: String, _ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
