import Foundation
import LessonKit
import NOLAKit

/// Cell 2's files: real adapter files of a model's shapes, written, read back and weighed, and
/// how many of them fit on a GPU beside the base.
enum AdapterFiles {
    /// The bytes of an adapter file of `model` (every linear site) for each method at each of
    /// `bits` (16: f16; 8, 4: codes with one f32 scale per tensor), as `[method][bits]`. The files
    /// go into a temporary folder (TMPDIR) removed afterwards; a folder that cannot be made or
    /// filled ends the lesson with one line naming it.
    @MainActor static func measuredBytes(of methods: [AdapterMethod], for model: ModelShape, bits: [Int], seed: UInt64) -> [[Int]] {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("lesson13-adapters-\(getpid())", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            Lesson.fail("cannot create the temporary folder '\(folder.path)' (\(FileErrorReason.reason(error))); set TMPDIR to a writable folder.")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        return methods.enumerated().map { index, method in
            bits.map { bits in
                do {
                    return try AdapterStorage.measuredBytes(
                        for: model, method: method, sites: .all, precision: bits == 16 ? .f16 : .quantized(bits: bits),
                        seed: seed, in: folder, file: "adapter-\(index)-\(bits).safetensors")
                } catch {
                    try? FileManager.default.removeItem(at: folder)  // Lesson.fail exits: `defer` would not run
                    Lesson.fail("could not write and read back an adapter file in '\(folder.path)': \(error); set TMPDIR to a folder with room.")
                }
            }
        }
    }

    /// How many adapters of `adapterBytes` fit on a GPU of `gpuGiB` GiB beside a base of
    /// `baseWeights` weights at `baseBits` bits (no scales: the claim's assumption); 0 when the
    /// base alone does not fit.
    static func fitting(gpuGiB: Int, baseWeights: Double, baseBits: Int, adapterBytes: Int) -> Int {
        let free = Double(gpuGiB) * 1_073_741_824 - baseWeights * Double(baseBits) / 8
        return free <= 0 ? 0 : Int(free / Double(adapterBytes))
    }
}
