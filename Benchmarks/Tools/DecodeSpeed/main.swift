// decode-speed: E2E decoding (beam search and greedy) one sentence at a time against all sentences
// batched, in one run, with lesson12's model shapes.
//
//     cd Benchmarks && swift run -c release decode-speed                 # 60 MRs, beam 10, 3 rounds
//     cd Benchmarks && swift run -c release decode-speed --mrs 120 --rounds 5 --threads 2
//     cd Benchmarks && swift run -c release decode-speed --trained       # a pretrained base (cached in data/cache)
//
// The model is lesson12's base shape (4 blocks of width 128, 4 heads, context 160, the synthetic
// restaurants' BPE vocabulary of 1,024): random GPT-2 weights by default (every beam then runs to
// the 64-token limit), or with --trained the E2E base pretrained as lesson12 does it (beams end
// with sentences, and finished beams leave the batch). The prompts are the synthetic test MRs,
// `[begin] MR [sep]`. Each round times, in alternating order:
//
//     one at a time      BeamSearch.decode(_:prompt:) per MR, as E2EDecoding did before issue 23
//     one at a time ×2   the same on two threads, each with its own copy (lesson12's decodeOnTwoCores before)
//     batched            BeamSearch.decode(_:prompts:): every live beam of every MR one row of each step
//     batched ×2         E2EDecoding.decode(copies:): two threads, each batching half the MRs
//
// and greedy decoding one at a time and batched. Output tokens/s counts the tokens of the chosen
// hypotheses, per second of wall time and per second of the process's CPU time (all threads: the
// steadier measure of the work on a busy machine). The run also checks that every way writes the
// same tokens.
import ArgumentParser
import Dispatch
import Foundation
import LessonKit
import NOLAKit

@main
struct DecodeSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-speed", abstract: "E2E beam search and greedy decoding: one sentence at a time against batched.")

    @Option(help: "Test MRs to decode per round.")
    var mrs = 60
    @Option(help: "Beam width.")
    var beam = 10
    @Option(help: "Rounds (medians are reported).")
    var rounds = 3
    @Option(help: "BLAS and loop threads.")
    var threads = 2
    @Flag(help: "Use the pretrained E2E base (trained once, then read from data/cache) instead of random weights.")
    var trained = false

    func validate() throws {
        guard mrs > 0, beam > 0, rounds > 0, threads > 0 else { throw ValidationError("--mrs, --beam, --rounds and --threads must be positive") }
    }

    func run() throws {
        #if !NOLA_BASELINE
            BLASSetup.shortenThreadTimeout()  // as every lesson starts (MachineSetup); the baseline as it was
        #endif
        BLAS.threads = threads
        let data = try E2EData.load(.synthetic(seed: 1))
        let model: GPT
        let tokenizer: BPETokenizer
        if trained {
            print("Pretraining the E2E base (or reading it from data/cache) …")
            let base = try E2EBaseModel(data: data, seed: 1)
            (model, tokenizer) = (base.makeModel(), base.tokenizer)
        } else {
            tokenizer = try BPETokenizer.train(on: data.tokenizerCorpus, vocabularySize: 1024)
            model = GPT(GPTConfiguration(layers: 4, embedding: 128, heads: 4, vocabulary: tokenizer.vocabularySize, context: 160), seed: 1)
        }
        let copy = GPT(model.configuration, seed: 1)
        copy.copyValues(from: model)
        let meaning = Array(data.test.examples.prefix(mrs).map(\.mr))
        let prompts = meaning.map { Array(tokenizer.encodePrompt($0.description).suffix(model.configuration.context - 1)) }
        let search = BeamSearch(beamWidth: beam, lengthPenalty: 0.9, noRepeatNgram: 4, maxTokens: 64, endTokens: [BPETokenizer.end])
        let greedy = GreedyDecoding(maxTokens: 64, endTokens: [BPETokenizer.end], noRepeatNgram: 4)
        print("Model: \(model.configuration) (\(trained ? "pretrained E2E base" : "random GPT-2 weights")); \(prompts.count) MRs, "
            + "prompts of \(prompts.map(\.count).min()!)–\(prompts.map(\.count).max()!) tokens; \(OpenBLASInfo.current.summary); "
            + "beam \(beam), length penalty 0.9, no repeated 4-grams, ≤ 64 tokens.")

        func twoThreads<T>(_ body: @escaping @Sendable (GPT, ArraySlice<[Int]>) -> [T]) -> [T] {
            let half = prompts.count / 2
            let parts = [prompts[..<half], prompts[half...]]
            let models = UncheckedBox([model, copy])
            let results = UncheckedBox([[T]](repeating: [], count: 2))
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: 2) { w in
                let out = body(models.value[w], parts[w])
                lock.withLock { results.value[w] = out }
            }
            return results.value.flatMap { $0 }
        }
        let ways: [(String, () -> [[Int]])] = [
            ("beam, one at a time", { prompts.map { search.decode(model, prompt: $0).tokens } }),
            ("beam, one at a time ×2 threads", { twoThreads { m, part in part.map { search.decode(m, prompt: $0).tokens } } }),
            ("greedy, one at a time", { prompts.map { greedy.decode(GPTGenerator(model: model), prompt: $0) } }),
        ] + batched(search: search, greedy: greedy, model: model, prompts: prompts, twoThreads: twoThreads)
        var rates = [[Double]](repeating: [], count: ways.count)
        var cpuRates = [[Double]](repeating: [], count: ways.count)
        var outputs = [[[Int]]](repeating: [], count: ways.count)
        for round in 1...rounds {
            let order = round % 2 == 1 ? Array(ways.indices) : ways.indices.reversed()
            for w in order {
                let (start, cpuStart) = (ContinuousClock.now, ProcessMemory.cpuSeconds)
                let tokens = ways[w].1()
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                let produced = Double(tokens.map(\.count).reduce(0, +))
                rates[w].append(produced / seconds)
                cpuRates[w].append(produced / (ProcessMemory.cpuSeconds - cpuStart))
                outputs[w] = tokens
            }
            print("round \(round) of \(rounds) done")
        }
        var table = Table([
            "decoding", "output tokens/s (median)", "lowest", "highest", "vs one at a time", "tokens per CPU second", "vs one at a time",
            "same tokens as one at a time",
        ])
        for (w, way) in ways.enumerated() {
            let sorted = rates[w].sorted()
            let reference = way.0.hasPrefix("beam") ? 0 : 2
            let base = rates[reference].sorted()[rates[reference].count / 2]
            let cpu = cpuRates[w].sorted()[cpuRates[w].count / 2], cpuBase = cpuRates[reference].sorted()[cpuRates[reference].count / 2]
            table.row([way.0, Format.fixed(sorted[sorted.count / 2], 0), Format.fixed(sorted.first!, 0), Format.fixed(sorted.last!, 0),
                       Format.fixed(sorted[sorted.count / 2] / base, 2) + "×", Format.fixed(cpu, 0), Format.fixed(cpu / cpuBase, 2) + "×",
                       outputs[w] == outputs[reference] ? "yes" : "NO"])
        }
        print(table.rendered())
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        print("Load average at the end: \(load) on \(ProcessInfo.processInfo.activeProcessorCount) cores (read the ratios: they were measured in the same rounds).")
    }
}

/// The batched ways (not in a build against code from before issue 23: `-Xswiftc -DNOLA_BASELINE`).
func batched(
    search: BeamSearch, greedy: GreedyDecoding, model: GPT, prompts: [[Int]],
    twoThreads: @escaping (@escaping @Sendable (GPT, ArraySlice<[Int]>) -> [[Int]]) -> [[Int]]
) -> [(String, () -> [[Int]])] {
    #if NOLA_BASELINE
        return []
    #else
        return [
            ("beam, batched", { search.decode(model, prompts: prompts).map(\.tokens) }),
            ("beam, batched ×2 threads", { twoThreads { m, part in search.decode(m, prompts: Array(part), parallel: false).map(\.tokens) } }),
            ("greedy, batched", { greedy.decode(model, prompts: prompts) }),
        ]
    #endif
}

/// A value shared by the two decoding threads, each touching only its own part.
final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
