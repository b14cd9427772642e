// gpt-speed: one GPT training step, ours against PyTorch's, measured in one run.
//
//     cd Benchmarks && swift run -c release gpt-speed                 # 3 rounds × (PyTorch, ours) × full / LoRA / NOLA
//     cd Benchmarks && swift run -c release gpt-speed --rounds 5 --steps 30
//     cd Benchmarks && swift run -c release gpt-speed --no-pytorch    # ours only
//
// The step is issue 11's benchmark: 4 blocks, width 128, 4 heads, vocabulary 2,048, context 64,
// batch 32 × 64 tokens, AdamW with global-norm clipping; full fine-tuning, LoRA r=4 on Q,V, and
// NOLA r=4, k = l = 64 on Q,V (each site its own materialized basis). PyTorch runs
// Benchmarks/pytorch/gpt_step.py (2 threads, denormals flushed). Each setting of each side runs
// in its own process, so peak memory is per setting. Rounds alternate the two sides, so a
// machine that gets busier or quieter affects both: read the ratios, and their spread over rounds.
import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

@main
struct GPTSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpt-speed",
        abstract: "Time one GPT training step (full fine-tuning, LoRA and NOLA on Q,V) against PyTorch.")

    @Option(help: "Rounds; each runs every setting in PyTorch, then ours.")
    var rounds = 3
    @Option(help: "Timed steps per setting and round (the median is reported).")
    var steps = 20
    @Option(help: "Untimed warm-up steps.")
    var warmup = 5
    @Option(help: "Settings, comma-separated: full, lora, nola.")
    var settings = "full,lora,nola"
    @Option(help: "Threads for both sides (BLAS and the loops around it; torch.set_num_threads).")
    var threads = 2
    @Flag(help: "Skip PyTorch.")
    var noPytorch = false
    @Option(help: .hidden)
    var child: String?

    static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../pytorch/gpt_step.py").standardized.path

    static func method(_ setting: String) -> AdapterMethod? {
        switch setting {
        case "lora": .lora(rank: 4, c: 1)
        case "nola": .nola(rank: 4, k: 64, l: 64, c: 1, basis: .perLayer)
        default: nil
        }
    }

    func validate() throws {
        for s in settings.split(separator: ",") where !["full", "lora", "nola"].contains(String(s)) {
            throw ValidationError("--settings: unknown setting '\(s)'; use full, lora, nola")
        }
        guard rounds > 0, steps > 0, warmup >= 0, threads > 0 else {
            throw ValidationError("--rounds, --steps and --threads must be positive, --warmup at least 0")
        }
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
        let list = settings.split(separator: ",").map(String.init)
        let hasTorch = !noPytorch && Self.torchAvailable()
        if !noPytorch && !hasTorch {
            print("PyTorch not found (python3 -c 'import torch' failed): timing ours only. pip install torch to compare.")
        }
        print("GPT training step: 4 blocks, width 128, 4 heads, vocabulary 2048, batch 32 × 64 tokens, AdamW, clip 1;")
        print("\(threads) threads, \(rounds) rounds, median of \(steps) steps after \(warmup) warm-up steps.\n")
        var ratios: [String: [Double]] = [:]
        var fastest: [String: (ours: Double, torch: Double)] = [:]
        var last: [String: (ours: [String: Double], torch: [String: Double]?)] = [:]
        for round in 1...rounds {
            var table = Table(["setting", "trainable", "ours ms", "PyTorch ms", "ours / PyTorch", "ours peak RSS", "PyTorch peak RSS"])
            let torch = hasTorch ? try runPyTorch(list) : [:]
            for setting in list {
                let ours = try runSelf(setting)
                let theirs = torch[setting]
                let ratio = theirs.map { ours["median_ms"]! / $0["median_ms"]! }
                if let ratio { ratios[setting, default: []].append(ratio) }
                if let theirs {
                    let best = fastest[setting] ?? (.infinity, .infinity)
                    fastest[setting] = (min(best.ours, ours["min_ms"]!), min(best.torch, theirs["min_ms"]!))
                }
                last[setting] = (ours, theirs)
                table.row([
                    setting, Format.count(Int(ours["trainable"]!)), Format.fixed(ours["median_ms"]!, 1),
                    theirs.map { Format.fixed($0["median_ms"]!, 1) } ?? "—", ratio.map { Format.fixed($0, 3) + "×" } ?? "—",
                    Format.bytes(Int(ours["peak_rss"]!)), theirs.map { Format.bytes(Int($0["peak_rss"] ?? 0)) } ?? "—",
                ])
            }
            print("Round \(round):\n" + table.rendered() + "\n")
        }
        if !ratios.isEmpty {
            var summary = Table([
                "setting", "ratio of medians", "lowest", "highest", "spread", "fastest ours ms", "fastest PyTorch ms",
                "ratio of fastest",
            ])
            for setting in list {
                guard let r = ratios[setting]?.sorted(), let best = fastest[setting] else { continue }
                summary.row([
                    setting, Format.fixed(r[r.count / 2], 3) + "×", Format.fixed(r.first!, 3), Format.fixed(r.last!, 3),
                    Format.percent(r.last! / r.first! - 1), Format.fixed(best.ours, 1), Format.fixed(best.torch, 1),
                    Format.fixed(best.ours / best.torch, 3) + "×",
                ])
            }
            print("Ours / PyTorch over \(rounds) rounds (targets: full ≤ 1.0×, LoRA and NOLA ≤ 1.05×). The ratio of\n"
                + "medians is the median over rounds; the fastest single steps of each side, over all rounds, are\n"
                + "the steadier figure when other programs share the machine:\n" + summary.rendered() + "\n")
        }
        if let full = last["full"]?.ours, let lora = last["lora"]?.ours, let nola = last["nola"]?.ours {
            print("Ours, NOLA / LoRA step time: " + Format.fixed(nola["median_ms"]! / lora["median_ms"]!, 3)
                + "× (paper Table 2, GPT-2 L: 1.075 non-shared, 1.004 shared); full / LoRA: "
                + Format.fixed(full["median_ms"]! / lora["median_ms"]!, 3) + "×")
            print("Generation with the key–value cache: greedy, 1 sequence, "
                + Format.fixed(full["generate_tokens_per_s"]!, 0) + " tokens/s; beam search of width 10, "
                + Format.fixed(full["beam_tokens_per_s"]!, 0) + " output tokens/s")
        }
        Lesson.checkStandardOutput("the tables")  // tables lost to a full disk are one line and exit 1
    }

    // MARK: Children

    /// Times one setting in this process and prints one JSON line.
    func runChild(_ setting: String) throws {
        BLAS.threads = threads
        let timing = GPTStepTiming.issueBenchmark(method: Self.method(setting))
        let measured = try timing.measure(warmup: warmup, steps: steps)
        let seconds = measured.wall.sorted(), cpu = measured.cpu.sorted()
        let trainable = timing.makeTrainer().trainer.model.parameters.trainableCount
        var generation = 0.0, beam = 0.0
        if setting == "full" {
            let model = GPT(timing.configuration, seed: 1)
            generation = GreedyDecoding.tokensPerSecond(model: model, prompt: [1, 2, 3, 4], tokens: 56)
            // Beam search as the E2E decoder (width 10), 32 tokens after each of 8 prompts of 16 tokens.
            let search = BeamSearch(beamWidth: 10, lengthPenalty: 0.9, noRepeatNgram: 4, maxTokens: 32, endTokens: [])
            let start = ContinuousClock.now
            var produced = 0
            for p in 0..<8 { produced += search.decode(model, prompt: (0..<16).map { ($0 * 37 + p * 11) % 2048 }).tokens.count }
            let elapsed = ContinuousClock.now - start
            beam = Double(produced) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        let result: [String: Double] = [
            "median_ms": 1000 * seconds[seconds.count / 2], "min_ms": 1000 * seconds[0], "trainable": Double(trainable),
            "cpu_median_ms": 1000 * cpu[cpu.count / 2],
            "peak_rss": Double(ProcessMemory.peakResidentBytes), "generate_tokens_per_s": generation, "beam_tokens_per_s": beam,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        Lesson.checkStandardOutput("the timing")
    }

    func runSelf(_ setting: String) throws -> [String: Double] {
        let arguments = ["--child", setting, "--steps", String(steps), "--warmup", String(warmup), "--threads", String(threads)]
        let lines = try Self.capture(CommandLine.arguments[0], arguments)
        guard let line = lines.last, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] else {
            throw ValidationError("gpt-speed: the timing of '\(setting)' printed no result:\n" + lines.joined(separator: "\n"))
        }
        return object
    }

    func runPyTorch(_ list: [String]) throws -> [String: [String: Double]] {
        let lines = try Self.capture("/usr/bin/env", [
            "python3", Self.python, "--json", "--settings", list.joined(separator: ","), "--steps", String(steps),
            "--warmup", String(warmup), "--threads", String(threads),
        ])
        var out: [String: [String: Double]] = [:]
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let setting = object["setting"] as? String else { continue }
            out[setting] = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        guard out.count == list.count else {
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
