// resnet-speed: one ResNet-20 training step, ours against PyTorch's, measured in one run.
//
//     cd Benchmarks && swift run -c release resnet-speed                 # 3 rounds × (PyTorch, ours) × dense / NOLA
//     cd Benchmarks && swift run -c release resnet-speed --rounds 5 --steps 10
//     cd Benchmarks && swift run -c release resnet-speed --no-pytorch    # ours only
//
// The step is lesson 15's: ResNet-20 on one-channel 28 × 28 digits, batch 256, mean
// cross-entropy, Adam at 1e-3; dense (every parameter) and NOLA (rank 64, k = l = 250 on every
// kernel's matrix, 1,000 on the classifier, BatchNorm's γ, β: 12,876 numbers). PyTorch runs
// Benchmarks/pytorch/resnet_step.py (2 threads, denormals flushed). Each setting of each side runs
// in its own process. Rounds alternate the two sides, so a machine that gets busier or quieter
// affects both: read the ratios, their spread over rounds, and the CPU-time ratios (process CPU
// time, every thread), which a shared machine disturbs less.
import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

@main
struct ResNetSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resnet-speed",
        abstract: "Time one ResNet-20 training step (dense and NOLA) against PyTorch.")

    @Option(help: "Rounds; each runs every setting in PyTorch, then ours.")
    var rounds = 3
    @Option(help: "Timed steps per setting and round (the median is reported).")
    var steps = 10
    @Option(help: "Untimed warm-up steps.")
    var warmup = 3
    @Option(help: "Settings, comma-separated: dense, nola.")
    var settings = "dense,nola"
    @Option(help: "Threads for both sides (BLAS and the loops around it; torch.set_num_threads).")
    var threads = 2
    @Option(help: "Images per step.")
    var batch = 256
    @Flag(help: "Skip PyTorch.")
    var noPytorch = false
    @Option(help: .hidden)
    var child: String?

    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../pytorch/resnet_step.py").standardized.path

    func validate() throws {
        for s in settings.split(separator: ",") where !["dense", "nola"].contains(String(s)) {
            throw ValidationError("--settings: unknown setting '\(s)'; use dense, nola")
        }
        guard rounds > 0, steps > 0, warmup >= 0, threads > 0, batch > 1 else {
            throw ValidationError("--rounds, --steps, --threads must be positive, --batch at least 2, --warmup at least 0")
        }
    }

    func run() throws {
        if let child { return try runChild(child) }
        let list = settings.split(separator: ",").map(String.init)
        let hasTorch = !noPytorch && ChildProcess.hasPyTorch()
        if !noPytorch && !hasTorch {
            print("PyTorch not found (python3 -c 'import torch' failed): timing ours only. pip install torch to compare.")
        }
        print("ResNet-20 training step: 1 × 28 × 28 digits, batch \(batch), Adam; \(threads) threads, \(rounds) rounds,")
        print("median of \(steps) steps after \(warmup) warm-up steps.\n")
        var wallRatios: [String: [Double]] = [:], cpuRatios: [String: [Double]] = [:]
        for round in 1...rounds {
            var table = Table(["setting", "trainable", "ours ms", "PyTorch ms", "ours / PyTorch", "ours CPU ms", "PyTorch CPU ms",
                               "CPU ratio"])
            let torch = hasTorch ? try runPyTorch(list) : [:]
            for setting in list {
                let ours = try runSelf(setting)
                let theirs = torch[setting]
                let ratio = theirs.map { ours["median_ms"]! / $0["median_ms"]! }
                let cpuRatio = theirs.map { ours["cpu_median_ms"]! / $0["cpu_median_ms"]! }
                if let ratio { wallRatios[setting, default: []].append(ratio) }
                if let cpuRatio { cpuRatios[setting, default: []].append(cpuRatio) }
                table.row([
                    setting, Format.count(Int(ours["trainable"]!)), Format.fixed(ours["median_ms"]!, 0),
                    theirs.map { Format.fixed($0["median_ms"]!, 0) } ?? "—", ratio.map { Format.fixed($0, 2) + "×" } ?? "—",
                    Format.fixed(ours["cpu_median_ms"]!, 0), theirs.map { Format.fixed($0["cpu_median_ms"]!, 0) } ?? "—",
                    cpuRatio.map { Format.fixed($0, 2) + "×" } ?? "—",
                ])
            }
            print("Round \(round):\n" + table.rendered() + "\n")
        }
        guard !wallRatios.isEmpty else { return }
        var summary = Table(["setting", "wall ratio, median", "lowest", "highest", "CPU ratio, median", "lowest", "highest"])
        for setting in list {
            guard let w = wallRatios[setting]?.sorted(), let c = cpuRatios[setting]?.sorted() else { continue }
            summary.row([setting, Format.fixed(w[w.count / 2], 2) + "×", Format.fixed(w.first!, 2), Format.fixed(w.last!, 2),
                         Format.fixed(c[c.count / 2], 2) + "×", Format.fixed(c.first!, 2), Format.fixed(c.last!, 2)])
        }
        print("Ours / PyTorch over \(rounds) rounds (target: ≤ 1.0×):\n" + summary.rendered())
    }

    /// Times one setting in this process and prints one JSON line.
    func runChild(_ setting: String) throws {
        MachineSetup.prepare()
        BLAS.threads = threads
        let model = try ResNetFromScratch(source: .synthetic, seed: 1, trainCount: batch, validationCount: 10, testCount: 10)
        let net = model.makeModel(setting == "nola" ? .nola : .dense, seed: 1)
        let data = model.splits.train
        let optimizer = Adam(parameters: net.parameters, learningRate: 1e-3)
        _ = try trainingStepSeconds(net, optimizer: optimizer, input: data.images, labels: data.labels, warmup: warmup, steps: 1)
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<steps {
            let before = ProcessMemory.cpuSeconds
            wall += try trainingStepSeconds(net, optimizer: optimizer, input: data.images, labels: data.labels, warmup: 0, steps: 1)
            cpu.append(ProcessMemory.cpuSeconds - before)
        }
        wall.sort()
        cpu.sort()
        let result: [String: Double] = [
            "median_ms": 1000 * wall[wall.count / 2], "min_ms": 1000 * wall[0], "cpu_median_ms": 1000 * cpu[cpu.count / 2],
            "trainable": Double(net.parameters.trainableCount), "peak_rss": Double(ProcessMemory.peakResidentBytes),
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    func runSelf(_ setting: String) throws -> [String: Double] {
        let arguments = ["--child", setting, "--steps", String(steps), "--warmup", String(warmup), "--threads", String(threads),
                         "--batch", String(batch)]
        let lines = try ChildProcess.lines(CommandLine.arguments[0], arguments)
        guard let line = lines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] else {
            throw ValidationError("resnet-speed: the timing of '\(setting)' printed no result:\n" + lines.joined(separator: "\n"))
        }
        return object
    }

    func runPyTorch(_ list: [String]) throws -> [String: [String: Double]] {
        let lines = try ChildProcess.lines("/usr/bin/env", [
            "python3", Self.python, "--json", "--settings", list.joined(separator: ","), "--steps", String(steps),
            "--warmup", String(warmup), "--threads", String(threads), "--batch", String(batch),
        ])
        var out: [String: [String: Double]] = [:]
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let setting = object["setting"] as? String else { continue }
            out[setting] = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        guard out.count == list.count else {
            throw ValidationError("resnet-speed: \(Self.python) did not time every setting:\n" + lines.joined(separator: "\n"))
        }
        return out
    }
}
