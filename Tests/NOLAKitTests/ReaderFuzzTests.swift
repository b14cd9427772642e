import Foundation
import Testing

@testable import NOLAKit

/// Random damage to valid files, fed to the readers: every mutation must be read or rejected
/// with one line naming the file — never a trap, never a hang (each case must finish within a
/// second of CPU time, and ten of wall-clock time).
///
/// The mutations: bit flips, bytes overwritten with random or boundary values, truncation,
/// appended garbage, edits of the length fields (safetensors' header length, IDX's magic and
/// sizes) and, for safetensors, edits of the JSON header (numbers, strings, punctuation, deep
/// nesting, duplicate entries, invalid UTF-8), with the header length fixed up or not. IDX
/// files are fuzzed raw and gzip-compressed (the compressed stream is damaged).
///
/// `NOLA_FUZZ_CASES=N swift test --filter ReaderFuzzTests` runs N cases per reader (default
/// 2,000 each, a few seconds); `NOLA_FUZZ_SEED` picks another sequence of mutations;
/// `NOLA_FUZZ_TRACE=<folder>` names each case on stderr before it runs and writes its bytes to
/// `<folder>/fuzz-case-<reader>`, so that a case that traps can be replayed.
///
/// Found so far, and fixed: a NOLA rank of 2⁵³ (no tensor has the rank's size, so nothing
/// contradicted it) made the loader allocate petabytes; JSON escapes in tensor names and
/// metadata (`\n`) printed multi-line messages.
@Suite("Readers under random damage (fuzzing)")
struct ReaderFuzzTests {
    static let cases: Int = Int(ProcessInfo.processInfo.environment["NOLA_FUZZ_CASES"] ?? "") ?? 2000
    static let seed: UInt64 = UInt64(ProcessInfo.processInfo.environment["NOLA_FUZZ_SEED"] ?? "") ?? 2024

    /// A small random-number source for the mutations (Philox, so a failing case can be replayed).
    struct Dice {
        var cursor: StreamCursor
        init(seed: UInt64, stream: UInt64) { cursor = StreamCursor(seed: seed, stream: stream) }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(cursor.nextWord() % UInt32(n)) }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: cursor.nextWord()) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    /// What the fuzzer saw: how many inputs were read, how many rejected, the slowest case.
    struct Tally: CustomStringConvertible {
        var accepted = 0, rejected = 0
        /// CPU seconds of the slowest case.
        var slowest = 0.0
        var description: String { "\(accepted) read, \(rejected) rejected, slowest \(Int(slowest * 1000)) ms of CPU" }
    }

    /// This thread's CPU time in seconds.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    // MARK: Mutations shared by both formats

    static func flipBits(_ bytes: inout [UInt8], _ dice: inout Dice) {
        for _ in 0..<(1 + dice.below(8)) where !bytes.isEmpty {
            bytes[dice.below(bytes.count)] ^= 1 << UInt8(dice.below(8))
        }
    }

    static func overwrite(_ bytes: inout [UInt8], _ dice: inout Dice) {
        for _ in 0..<(1 + dice.below(4)) where !bytes.isEmpty {
            bytes[dice.below(bytes.count)] = dice.chance(50) ? dice.pick([0, 0xFF, 0x7F, 0x80, 0x22, 0x7B, 0x5B]) : dice.byte()
        }
    }

    static func truncate(_ bytes: inout [UInt8], _ dice: inout Dice) {
        bytes = Array(bytes.prefix(dice.below(bytes.count + 1)))
    }

    static func append(_ bytes: inout [UInt8], _ dice: inout Dice) {
        bytes += (0..<(1 + dice.below(64))).map { _ in dice.byte() }
    }

    /// Writes `value` as `width` bytes at `offset`, little- or big-endian.
    static func setInteger(_ bytes: inout [UInt8], at offset: Int, width: Int, _ value: UInt64, bigEndian: Bool) {
        guard offset + width <= bytes.count else { return }
        for i in 0..<width {
            let shift = UInt64(8 * (bigEndian ? width - 1 - i : i))
            bytes[offset + i] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    /// A length to write into a length field near `current`: off by a little, zero, huge, all ones.
    static func lengthNear(_ current: UInt64, _ dice: inout Dice, max: UInt64) -> UInt64 {
        switch dice.below(6) {
        case 0: return current &+ UInt64(1 + dice.below(16))
        case 1: return current &- UInt64(1 + dice.below(16))
        case 2: return 0
        case 3: return max
        case 4: return UInt64(dice.below(1 << 20))
        default: return current &* 2
        }
    }

    // MARK: safetensors

    /// Valid files: a checkpoint, NOLA / LoRA / PRANC adapters in f32, f16 and packed 3 bits.
    static let safetensorsSamples: [(name: String, bytes: [UInt8])] = {
        var samples: [(String, [UInt8])] = []
        let checkpoint = Checkpoint.file(of: Sequential.mlp([12, 8, 3], seed: 1), metadata: ["sizes": "12-8-3"])
        samples.append(("checkpoint", checkpoint.encoded()))
        let methods: [(AdapterMethod, AdapterFile.Precision)] = [
            (.nola(rank: 2, k: 4, l: 3, c: 1, basis: .perLayer), .f32),
            (.nola(rank: 2, k: 4, l: 3, c: 1, basis: .perLayer), .quantized(bits: 3)),
            (.lora(rank: 2, c: 1), .f16),
            (.pranc(n: 3, s: 0.1, onTheFly: false), .f32),
        ]
        for (method, precision) in methods {
            let model = Sequential.mlp([12, 8, 3], seed: 1)
            model.attach(method, seed: 5)
            for (i, p) in model.parameters.enumerated() where p.isTrainable {
                p.value = RandomStream(seed: 9, stream: UInt64(i)).uniformMatrix(rows: p.value.rows, cols: p.value.cols, bound: 0.5)
            }
            samples.append(("\(method.name)-\(precision)", AdapterFile.file(of: model, method: method, seed: 5, precision: precision).encoded()))
        }
        return samples
    }()

    /// Edits the JSON header as text, then writes the new length (or, sometimes, keeps the old).
    static func editJSON(_ bytes: inout [UInt8], _ dice: inout Dice) {
        guard bytes.count >= 8 else { return }
        let length = Int(min(UInt64(littleEndianBytes: bytes[0..<8]), UInt64(bytes.count - 8)))
        var header = Array(bytes[8..<(8 + length)])
        let data = Array(bytes[(8 + length)...])
        let text = String(decoding: header, as: UTF8.self)
        let numbers = text.ranges(of: /-?[0-9]+/)
        let strings = text.ranges(of: /"[^"\\]*"/)
        switch dice.below(7) {
        case 0 where !numbers.isEmpty:
            let range = dice.pick(numbers)
            let replacement = dice.pick(["-1", "0", "1", "18446744073709551616", "9007199254740993", "1e309", "-0", "1.5",
                                         "2147483648", "null", "\"7\"", "[]", "{}", "1e30", "99999999999999999999"])
            header = Array(text.replacingCharacters(in: range, with: replacement).utf8)
        case 1 where !strings.isEmpty:
            let range = dice.pick(strings)
            let replacement = dice.pick(["\"\"", "\"F64\"", "\"BF16\"", "\"I32\"", "\"U8\"", "\"F16\"", "\"F32\"", "1", "null",
                                         "\"__metadata__\"", "\"fc1.weight\"", "\"shape\"", "\"data_offsets\"", "{}", "[]"])
            header = Array(text.replacingCharacters(in: range, with: replacement).utf8)
        case 2 where !header.isEmpty:
            header.remove(at: dice.below(header.count))
        case 3:
            header.insert(dice.pick(Array("{}[],:\"\\ 0-e.".utf8)), at: dice.below(header.count + 1))
        case 4 where !numbers.isEmpty:
            // Deep nesting in place of a value.
            let depth = dice.pick([100, 10_000, 100_000])
            let range = dice.pick(numbers)
            header = Array(text.replacingCharacters(in: range, with: String(repeating: "[", count: depth)
                + String(repeating: "]", count: depth)).utf8)
        case 5:
            // Invalid UTF-8.
            header.insert(contentsOf: dice.pick([[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]]),
                          at: dice.below(header.count + 1))
        default:
            // Duplicate the first entry after the opening brace (a repeated key).
            if let comma = header.firstIndex(of: UInt8(ascii: ",")), header.first == UInt8(ascii: "{") {
                header.insert(contentsOf: header[1...comma], at: 1)
            }
        }
        var out = [UInt8](repeating: 0, count: 8)
        let newLength = dice.chance(80) ? UInt64(header.count) : UInt64(length)
        setInteger(&out, at: 0, width: 8, newLength, bigEndian: false)
        bytes = out + header + data
    }

    static func mutateSafeTensors(_ original: [UInt8], _ dice: inout Dice) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + dice.below(2)) {
            switch dice.below(7) {
            case 0: flipBits(&bytes, &dice)
            case 1: overwrite(&bytes, &dice)
            case 2: truncate(&bytes, &dice)
            case 3: append(&bytes, &dice)
            case 4 where bytes.count >= 8:
                let current = UInt64(littleEndianBytes: bytes[0..<8])
                setInteger(&bytes, at: 0, width: 8, lengthNear(current, &dice, max: .max), bigEndian: false)
            default: editJSON(&bytes, &dice)
            }
        }
        return bytes
    }

    /// Reads `bytes` as safetensors and, when that works, through the checkpoint and adapter
    /// readers into fresh models; returns the rejection, or nil when everything read.
    static func readSafeTensors(_ bytes: [UInt8], source: String) -> (any Error)? {
        do {
            let file = try SafeTensorsFile.decode(bytes, source: source)
            if file.metadata["format"] == AdapterFile.format {
                try AdapterFile.load(file, source: source, into: Sequential.mlp([12, 8, 3], seed: 1))
            } else {
                try Checkpoint.load(Sequential.mlp([12, 8, 3], seed: 2).parameters, from: file, source: source,
                                    requiring: ["sizes": "12-8-3"])
            }
            return nil
        } catch {
            return error
        }
    }

    @Test("safetensors, checkpoint and adapter readers: random damage is read or rejected in one line")
    func safetensors() {
        let tally = Self.fuzz(count: Self.cases, stream: 1, samples: Self.safetensorsSamples, mutate: Self.mutateSafeTensors) {
            Self.readSafeTensors($0, source: "fuzz.safetensors")
        }
        #expect(tally.rejected > tally.accepted, "\(tally)")
    }

    // MARK: IDX

    /// Valid files: 3 images and 3 labels, raw and gzip-compressed.
    static let idxSamples: [(name: String, bytes: [UInt8])] = {
        let images = DataTestSupport.idx(sizes: [3, 28, 28], elements: DataTestSupport.imagePixels(3))
        let labels = DataTestSupport.idx(sizes: [3], elements: [1, 7, 9])
        return [("images", images), ("labels", labels),
                ("images.gz", DataTestSupport.gzip(images)), ("labels.gz", DataTestSupport.gzip(labels))]
    }()

    static func mutateIDX(_ original: [UInt8], _ dice: inout Dice) -> [UInt8] {
        var bytes = original
        let gzip = Gzip.isGzip(original)
        for _ in 0..<(1 + dice.below(2)) {
            switch dice.below(gzip ? 5 : 6) {
            case 0: flipBits(&bytes, &dice)
            case 1: overwrite(&bytes, &dice)
            case 2: truncate(&bytes, &dice)
            case 3: append(&bytes, &dice)
            case 4:
                // gzip: damage the trailer's size and checksum fields.
                if gzip, bytes.count >= 8 { setInteger(&bytes, at: bytes.count - 4 * (1 + dice.below(2)), width: 4,
                                                      UInt64(dice.cursor.nextWord()), bigEndian: false) }
                else { setInteger(&bytes, at: 0, width: 4, UInt64(dice.pick([0x801, 0x803, 0x802, 0x0D03, 0x80000803, 0])), bigEndian: true) }
            default:
                // An IDX size field: 4 + 4k, big-endian.
                let field = 4 + 4 * dice.below(3)
                guard field + 4 <= bytes.count else { break }
                let current = UInt64(bytes[field]) << 24 | UInt64(bytes[field + 1]) << 16 | UInt64(bytes[field + 2]) << 8 | UInt64(bytes[field + 3])
                setInteger(&bytes, at: field, width: 4, lengthNear(current, &dice, max: 0xFFFF_FFFF), bigEndian: true)
            }
        }
        return bytes
    }

    /// Reads `bytes` as the IDX file it came from (images: 3 dimensions, labels: 1), through
    /// gzip when it is compressed, then checks what MNIST checks (28×28, labels 0…9).
    static func readIDX(_ bytes: [UInt8], images: Bool, source: String) -> (any Error)? {
        do {
            let raw = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes, path: source) : bytes
            let file = try IDXFile(bytes: raw, path: source, dimensions: images ? 3 : 1, itemName: images ? "images" : "labels")
            if images {
                guard file.sizes[1] == 28 && file.sizes[2] == 28 else {
                    throw DataFileError(path: source, problem: "wrong dimensions", fix: "-")
                }
                _ = MNIST.pixelMatrix(file.elements, rows: file.sizes[0])
            } else if let bad = file.elements.first(where: { $0 >= 10 }) {
                throw DataFileError(path: source, problem: "label \(bad)", fix: "-")
            }
            return nil
        } catch {
            return error
        }
    }

    @Test("IDX reader (raw and gzip): random damage is read or rejected in one line")
    func idx() {
        let tally = Self.fuzz(count: Self.cases, stream: 2, samples: Self.idxSamples, mutate: Self.mutateIDX) { bytes in
            // The sample a mutation came from is not passed on: guess it from the magic, as a
            // user's file would be read (images when it says 3 dimensions).
            let raw = Gzip.isGzip(bytes) ? ((try? Gzip.decompress(bytes, path: "x")) ?? bytes) : bytes
            return Self.readIDX(bytes, images: raw.count >= 4 && raw[3] == 3, source: "fuzz-idx")
        }
        #expect(tally.rejected > 0 && tally.accepted > 0, "\(tally)")
    }

    // MARK: The loop

    /// Runs `count` mutations, spread over `samples`; every rejection must be one line naming
    /// the source, and every case must finish within a second of CPU time.
    static func fuzz(
        count: Int, stream: UInt64, samples: [(name: String, bytes: [UInt8])],
        mutate: ([UInt8], inout Dice) -> [UInt8], read: ([UInt8]) -> (any Error)?
    ) -> Tally {
        let trace = ProcessInfo.processInfo.environment["NOLA_FUZZ_TRACE"]
        var dice = Dice(seed: seed, stream: stream)
        var tally = Tally()
        for n in 0..<count {
            let sample = samples[n % samples.count]
            let bytes = mutate(sample.bytes, &dice)
            if let trace {  // replaying a crash: the case about to run, on stderr and on disk
                FileHandle.standardError.write(Data("fuzz case \(n) (\(sample.name), \(bytes.count) bytes)\n".utf8))
                try? Data(bytes).write(to: URL(fileURLWithPath: trace).appendingPathComponent("fuzz-case-\(stream)"))
            }
            let start = ContinuousClock.now, startCPU = threadCPUSeconds()
            let error = read(bytes)
            let seconds = (ContinuousClock.now - start).seconds, cpu = threadCPUSeconds() - startCPU
            tally.slowest = max(tally.slowest, cpu)
            // A second of this thread's CPU time; the wall clock only catches a reader that waits
            // (generously: other programs may share the machine).
            #expect(cpu < 1 && seconds < 10, "case \(n) (\(sample.name)) took \(cpu) s of CPU, \(seconds) s in all")
            guard let error else {
                tally.accepted += 1
                continue
            }
            tally.rejected += 1
            let line = "\(error)"
            if line.contains("\n") || !line.hasPrefix("fuzz") {
                Issue.record("case \(n) (\(sample.name), seed \(seed)): not one line naming the file: \(line)")
            }
        }
        print("fuzz stream \(stream): \(count) cases, \(tally)")
        return tally
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) * 1e-18
    }
}
