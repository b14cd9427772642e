import Foundation
import Testing

@testable import NOLAKit

/// Lesson 14's pieces: the synthetic letters, the k-shot sampler, the method counts, 1-NN, the
/// cached ViT backbone and one run of each kind of method.
@Suite("Few-shot: letters, k-shot sampler, methods, cached ViT backbone")
struct FewShotTests {
    typealias Support = DataTestSupport

    // MARK: Letters

    @Test("letters: the same seed gives the same bytes (pinned checksum), other seeds other images")
    func lettersPinned() {
        let a = SyntheticLetters.generate(count: 200, seed: 1)
        #expect(a == SyntheticLetters.generate(count: 200, seed: 1))
        // FNV-1a of the 200 images and labels; re-pin only for a deliberate change of the letters.
        #expect(Support.checksum(a) == 0x47D3_41C4_808B_84CD, "checksum 0x\(String(Support.checksum(a), radix: 16))")
        let b = SyntheticLetters.generate(count: 20, seed: 2)
        for i in 0..<20 { #expect(a.images.rows(i..<(i + 1)) != b.images.rows(i..<(i + 1))) }
    }

    @Test("letters: label i % 10, balanced, image i depends only on (seed, i), not the digits' streams")
    func lettersAddressing() {
        let all = SyntheticLetters.generate(count: 40, seed: 5)
        #expect(all.labels == (0..<40).map { $0 % 10 })
        #expect(all.labelCounts() == [Int](repeating: 4, count: 10))
        let tail = SyntheticLetters.generate(count: 15, seed: 5, first: 25)
        #expect(tail.images == all.images.rows(25..<40))
        let digits = SyntheticDigits.generate(count: 40, seed: 5)
        for i in 0..<40 { #expect(all.images.rows(i..<(i + 1)) != digits.images.rows(i..<(i + 1))) }
        #expect(SyntheticLetters.names.count == DigitDataset.classCount && Set(SyntheticLetters.names).count == 10)
    }

    @Test("letters: inked, inside the frame, in [0, 1], and ten classes a simple classifier can tell apart")
    func lettersLearnable() {
        let letters = SyntheticLetters.generate(count: 2000, seed: 7)
        #expect(letters.images.data.allSatisfy { $0 >= 0 && $0 <= 1 })
        var touching = 0  // letters with more than 3 inked pixels on the image's edge
        for i in 0..<letters.count {
            var ink: Float = 0, border: Float = 0
            for y in 0..<28 {
                for x in 0..<28 {
                    let v = letters.images[i, 28 * y + x]
                    if v > 0.5 { ink += 1 }
                    if (y == 0 || y == 27 || x == 0 || x == 27) && v > 0.5 { border += 1 }
                }
            }
            #expect(ink >= 20, "letter \(i) (\(SyntheticLetters.names[letters.labels[i]])): only \(ink) inked pixels")
            if border > 3 { touching += 1 }
        }
        // A wide letter, tilted and shifted to the edge, may touch it, as a digit may; measured: 8 of 2,000.
        #expect(touching <= letters.count / 100, "\(touching) letters touch the edge")
        let (train, test) = letters.split(validationCount: 500)
        let accuracy = Support.nearestClassMeanAccuracy(train: train, test: test)
        #expect(accuracy > 0.6 && accuracy < 0.99, "nearest class mean on letters: \(accuracy)")
    }

    // MARK: Sampler

    @Test("sampler: exactly k per class, without replacement, deterministic by seed and draw", arguments: [1, 5, 10])
    func samplerCounts(shots: Int) throws {
        let sampler = FewShotSampler(pool: SyntheticLetters.generate(count: 300, seed: 3))
        let indices = try sampler.indices(shots: shots, seed: 9, draw: 0)
        #expect(indices.count == 10 * shots)
        #expect(Set(indices).count == indices.count, "an example drawn twice")
        let sample = try sampler.sample(shots: shots, seed: 9, draw: 0)
        #expect(sample.labelCounts() == [Int](repeating: shots, count: 10))
        #expect(try sampler.indices(shots: shots, seed: 9, draw: 0) == indices)
        #expect(try sampler.indices(shots: shots, seed: 9, draw: 1) != indices)
        #expect(try sampler.indices(shots: shots, seed: 10, draw: 0) != indices)
    }

    @Test("sampler: draws come from the pool only, never from the validation or test sets")
    func samplerDisjoint() throws {
        let task = try FewShotTask(.letters, seed: 4, poolCount: 200, validationCount: 100, testCount: 100)
        let heldOut = Set((0..<task.validation.count).map { task.validation.images.rows($0..<($0 + 1)).data }
                          + (0..<task.test.count).map { task.test.images.rows($0..<($0 + 1)).data })
        #expect(heldOut.count == 200, "validation and test share an image")
        let sampler = FewShotSampler(pool: task.pool)
        for draw in 0..<4 {
            let sample = try sampler.sample(shots: 10, seed: 4, draw: draw)
            for i in 0..<sample.count { #expect(!heldOut.contains(sample.images.rows(i..<(i + 1)).data)) }
        }
    }

    @Test("sampler: a pool too small for k, or k = 0, is one clear error")
    func samplerErrors() {
        let sampler = FewShotSampler(pool: SyntheticLetters.generate(count: 38, seed: 1))  // classes 8, 9 have 3
        #expect(sampler.fewestPerClass == 3)
        #expect(throws: FewShotError.self) { try sampler.indices(shots: 4, seed: 1, draw: 0) }
        #expect(throws: FewShotError.self) { try sampler.indices(shots: 0, seed: 1, draw: 0) }
        do {
            _ = try sampler.indices(shots: 4, seed: 1, draw: 0)
        } catch {
            #expect("\(error)".contains("3 examples of class 8"), "\(error)")
        }
        #expect((try? sampler.indices(shots: 3, seed: 1, draw: 0))?.count == 30)
    }

    // MARK: Methods and 1-NN

    @Test("method counts: the printed count is what a model with the adapters trains, head excluded")
    func methodCounts() {
        let config = VisionTransformerConfiguration(patchSize: 7, layers: 2, embedding: 16, heads: 2, classes: 10)
        let methods = FewShotMethod.table6(config)
        #expect(methods.count == 8)
        for method in methods + FewShotMethod.table10(k: 96) {
            let model = VisionTransformer(config, seed: 1)
            if let (adapter, sites) = method.adapter { model.attach(adapter, seed: 2, sites: model.sites(sites)) }
            if method == .nearestNeighbour || method == .linear { model.parameters.freezeAll() }
            let head = model.head.parameters.totalCount
            let trainable = model.parameters.trainableCount - (model.head.weight.isTrainable ? head : 0)
            #expect(method.trainableCount(config) == trainable, "\(method.name)")
        }
        // LoRA r=4 on Q, K, V: 3 sites × 2 blocks × 4·(16 + 16) = 768; NOLA k = l = 768 / 8 · {1, ½, ⅓}.
        #expect(FewShotMethod.lora(rank: 4).trainableCount(config) == 768)
        #expect(methods.suffix(3) == [.nola(rank: 4, k: 96), .nola(rank: 4, k: 48), .nola(rank: 4, k: 32)])
        #expect(FewShotMethod.nola(rank: 4, k: 96).trainableCount(config) == 768)
        // Table 10: NOLA on Q and V trains as many numbers as NOLA on the MLP with the same k.
        #expect(FewShotMethod.table10(k: 96).map { $0.trainableCount(config) } == [768, 768])
        #expect(FewShotMethod.nolaQueryValue(rank: 4, k: 96).adapter!.sites == .queryValue)
    }

    @Test("1-NN by cosine: a known answer")
    func nearestNeighbour() {
        let reference = Matrix([[1, 0], [0, 1], [-1, 0]])
        let queries = Matrix([[2, 0.1], [0.1, 5], [-3, 1], [0.5, 0.4]])
        // nearest: 0, 1, 2, 0 (0.5, 0.4 is closer in angle to (1, 0) than to (0, 1)).
        let accuracy = FewShotExperiment.nearestNeighbourAccuracy(
            reference: reference, labels: [7, 3, 5], queries: queries, answers: [7, 3, 5, 3])
        #expect(accuracy == 0.75)
    }

    // MARK: Backbone and runs

    /// A backbone that pretrains in a fraction of a second.
    static let tiny: VisionBackbone.Pretraining = {
        var p = VisionBackbone.Pretraining.tiny
        p.configuration = VisionTransformerConfiguration(patchSize: 7, layers: 1, embedding: 16, heads: 2, classes: 10)
        p.digitCount = 200
        p.epochs = 1
        p.warmupSteps = 2
        p.checkCount = 50
        return p
    }()

    @Test("backbone: trained and cached once, then loaded; a damaged cache is moved aside and retrained")
    func backboneCache() throws {
        let folder = URL(fileURLWithPath: try Support.temporaryFolder("backbone"))
        var steps = 0
        let first = try VisionBackbone(seed: 3, pretraining: Self.tiny, cacheFolder: folder) { _, total, _ in
            steps += 1
            #expect(total == Self.tiny.steps)
        }
        #expect(steps == Self.tiny.steps)
        #expect(first.origin.hasPrefix("trained now in ") && first.origin.contains("cached in"))
        #expect(first.cacheNotice == nil)
        let second = try VisionBackbone(seed: 3, pretraining: Self.tiny, cacheFolder: folder)
        #expect(second.origin.hasPrefix("loaded from the cache"))
        #expect(second.weights == first.weights)
        #expect(second.digitAccuracy == first.digitAccuracy)
        #expect(try VisionBackbone(seed: 3, pretraining: Self.tiny, cacheFolder: nil).weights == first.weights)

        let file = folder.appendingPathComponent("backbone_seed3_\(Self.tiny.key).safetensors")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count / 2).write(to: file)
        let third = try VisionBackbone(seed: 3, pretraining: Self.tiny, cacheFolder: folder)
        #expect(third.origin.hasPrefix("trained now in "))
        #expect(third.weights == first.weights)
        let notice = try #require(third.cacheNotice)
        #expect(notice.contains("was rejected") && !notice.contains("\n"), "\(notice)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).contains { $0.contains(".rejected-") })
        #expect(try VisionBackbone(seed: 3, pretraining: Self.tiny, cacheFolder: folder).origin.hasPrefix("loaded"))
    }

    @Test("runs: every method trains and scores; the backbone copy is untouched by adaptation")
    func runs() throws {
        let backbone = try VisionBackbone(seed: 4, pretraining: Self.tiny, cacheFolder: nil)
        let task = try FewShotTask(.letters, seed: 4, poolCount: 100, validationCount: 50, testCount: 50)
        let experiment = FewShotExperiment(backbone: backbone, task: task, epochs: 3)
        let train = try FewShotSampler(pool: task.pool).sample(shots: 5, seed: 4, draw: 0)
        for method in FewShotMethod.table6(backbone.pretraining.configuration) + [.nolaQueryValue(rank: 4, k: 8)] {
            let run = try experiment.run(method, train: train, learningRate: method.learningRates.first ?? 0, seed: 1)
            #expect((0...1).contains(run.validationAccuracy) && (0...1).contains(run.testAccuracy()), "\(method.name)")
            let again = try experiment.run(method, train: train, learningRate: method.learningRates.first ?? 0, seed: 1)
            #expect(again.validationAccuracy == run.validationAccuracy, "\(method.name) is not deterministic")
        }
        // 1-NN with the training set as queries finds each example itself.
        let features = FewShotExperiment.features(backbone.makeModel(), train)
        #expect(FewShotExperiment.nearestNeighbourAccuracy(reference: features, labels: train.labels,
                                                           queries: features, answers: train.labels) == 1)
        #expect(backbone.makeModel().checkpointFile(metadata: [:]).tensors == backbone.weights.tensors)
    }
}
