import Foundation
import LessonKit
import NOLAKit

/// Cell 4's adapters, built the way `attach` builds them, for serving many from one base.
enum ServingAdapters {
    /// The NOLA adapter (rank 8, k = l = 1,000) of `site` from root seed `seed`, with the same
    /// seeds as `attach`, its basis held or regenerated on the fly.
    static func nola(_ site: AdapterSite, seed: UInt64, onTheFly: Bool) -> NOLAAdapter {
        let basisSeed = BasisSeeds.nolaBasisSeed(root: seed, outputs: site.outputs, inputs: site.inputs)
        return NOLAAdapter(name: site.name, inputs: site.inputs, outputs: site.outputs, rank: 8, k: 1000, l: 1000, c: 1,
                           seed: BasisSeeds.layerSeed(root: seed, name: site.name), basisSeed: basisSeed,
                           storage: onTheFly ? .onTheFly : .materialized)
    }

    /// LoRA r=1 adapter `index` of a site whose adapters lie in `values` one after another, each
    /// A (1 × `width`) then B (`width` × 1).
    static func lora(_ values: [Float], index: Int, width: Int) -> LowRankFactors {
        let start = 2 * width * index
        return LowRankFactors(a: Matrix(rows: 1, cols: width, data: Array(values[start..<(start + width)])),
                              b: Matrix(rows: width, cols: 1, data: Array(values[(start + width)..<(start + 2 * width)])),
                              scale: 1)
    }

    /// What loading a full fine-tuned copy of `parameters` costs: they are written to a checkpoint
    /// file in a temporary folder, read once to warm the page cache, then read and set `repeats`
    /// times; the median seconds and the file's bytes. Throws one line naming the folder.
    @MainActor static func copyLoadSeconds(_ parameters: [Parameter], repeats: Int) throws -> (seconds: Double, bytes: Int) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lesson13-copy-\(getpid())", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let url = folder.appendingPathComponent("block.safetensors")
            try Checkpoint.file(of: parameters).write(to: url)
            let bytes = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            /// Reads the file and sets the block's weights from it (all or nothing).
            func loadCopy() throws {
                try Checkpoint.load(parameters, from: try SafeTensorsFile.read(from: url), source: url.path)
            }
            try loadCopy()  // once to warm the page cache
            return (median(try (0..<repeats).map { _ in try timed { try loadCopy() }.seconds }), bytes)
        } catch {
            throw CopyError(description: "could not time loading a block checkpoint in \(folder.path): \(error)")
        }
    }

    struct CopyError: Error, CustomStringConvertible {
        let description: String
    }
}
