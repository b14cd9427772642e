import Foundation
import LessonKit
import NOLAKit

/// A base of another shape whose own --full run (`--base-shape 6x256`) kept its results beside
/// this run's folder (`results/e2e-full-l6c256`): for cell 9, one more point on the quality axis —
/// the "or widths" of the question — read from its files, never mixed into this run's tables.
struct OtherBase {
    /// "6 × 256".
    let shape: String
    let parameters: Int
    let validationLoss: Double
    /// BLEU (%) of the sweep's rows, first seed, where present.
    let bleu: [String: Double]
    /// Where its results are.
    let folder: String

    /// The other shapes' --full folders beside `size`'s default one that hold a finished base,
    /// each read through a grid of its own configuration (`RunSize.reshaped`); a folder that
    /// belongs to another configuration is skipped with a warning naming it.
    @MainActor static func find(beside size: RunSize, rules: [QuantRule], lesson: Lesson) -> [OtherBase] {
        guard size.scale == .full, let folder = size.resultsFolder, RunSize.shapeSuffix(size.pretraining).isEmpty else { return [] }
        let own = URL(fileURLWithPath: folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: own.deletingLastPathComponent().path)) ?? []
        return names.sorted().compactMap { name -> OtherBase? in
            let prefix = own.lastPathComponent + "-l"
            guard name.hasPrefix(prefix) else { return nil }
            let shape = name.dropFirst(prefix.count).split(separator: "c")
            guard shape.count == 2, let layers = Int(shape[0]), let width = Int(shape[1]) else { return nil }
            let other = size.reshaped(layers: layers, width: width)
            let otherFolder = own.deletingLastPathComponent().appendingPathComponent(name)
            do {
                let grid = try JobGrid<JobPayload>(lesson: "lesson12", protocol: RunSize.protocolVersion, configuration: other.configuration(rules: rules),
                                                   folder: otherFolder, mode: .fromResults)
                try grid.plan([JobID.base("1")] + sweepSlugs.map { JobID.row($0, seed: size.seeds[0]) })
                guard let base = grid.results[JobID.base("1")]?.payload.base else { return nil }
                let bleu = sweepSlugs.reduce(into: [String: Double]()) { out, slug in
                    if let b = grid.results[JobID.row(slug, seed: size.seeds[0])]?.payload.scores?.bleu { out[slug] = 100 * b }
                }
                return OtherBase(shape: "\(layers) × \(width)", parameters: base.parameters, validationLoss: base.validationLoss,
                                 bleu: bleu, folder: otherFolder.relativeDisplayPath)
            } catch {
                lesson.warn("cell 9 leaves out \(name): \(error)")
                return nil
            }
        }
    }
}
