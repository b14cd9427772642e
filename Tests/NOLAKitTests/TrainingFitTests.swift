import Foundation
import NOLAKit
import Testing

/// The training loop every lesson uses: `fit`, `evaluate`, `predictions`, `trainingStepSeconds`,
/// and the accuracy the paper's A.2 network reaches in a few hundred steps.
@Suite("Training: fit, evaluate, the A.2 MLP on digits")
struct TrainingFitTests {
    /// The paper's 784-256-10 MLP trained for 5 epochs of 8,000 digits in batches of 128
    /// (315 steps) with SGD, learning rate 0.05, momentum 0.9. Returns the validation accuracy.
    static func trainA2(train: DigitDataset, validation: DigitDataset, seed: UInt64) throws -> Double {
        let model = Sequential.mlp([784, 256, 10], seed: seed)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9)
        let configuration = FitConfiguration(epochs: 5, batchSize: 128, seed: seed, evaluateEveryEpoch: false)
        #expect(configuration.totalSteps(examples: train.count) == 315)
        let records = try fit(model, optimizer: optimizer, train: train, validation: validation, configuration: configuration)
        #expect(optimizer.stepCount == 315)
        return try #require(records.last).validationAccuracy
    }

    @Test("the A.2 MLP reaches ≥ 93% on 2,000 held-out synthetic digits in 315 steps (measured: 95.9%)")
    func synthetic() throws {
        let (train, validation) = try DigitSource.synthetic.load(trainCount: 8_000, validationCount: 2_000, seed: 1)
        let accuracy = try Self.trainA2(train: train, validation: validation, seed: 1)
        #expect(accuracy >= 0.93, "validation accuracy \(accuracy)")
    }

    @Test(
        "the A.2 MLP reaches ≥ 90% on 2,000 held-out digits of MNIST's test split in 315 steps (measured: 92.8%)",
        .enabled(
            if: DataTestSupport.mnistFolder != nil,
            "MNIST not found (data/mnist, $NOLA_MNIST_DIR or ../shared/data/mnist): skipping the real-data accuracy test"))
    func mnist() throws {
        let folder = try #require(DataTestSupport.mnistFolder)
        // With only the t10k files: 8,000 digits to train on, the other 2,000 held out.
        let (train, validation) = try DigitSource.mnist(folder: folder).load(trainCount: 8_000, validationCount: 2_000, seed: 1)
        #expect(train.count == 8_000 && validation.count == 2_000)
        let accuracy = try Self.trainA2(train: train, validation: validation, seed: 1)
        #expect(accuracy >= 0.90, "validation accuracy \(accuracy)")
    }

    /// A small run on 600 synthetic digits: the weights and the records of `fit`.
    static func smallRun(seed: UInt64) throws -> (weights: [Matrix], records: [EpochRecord], steps: [Float]) {
        let (train, validation) = try DigitSource.synthetic.load(trainCount: 600, validationCount: 200, seed: 7)
        let model = Sequential.mlp([784, 32, 10], seed: 3)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.1, momentum: 0.9)
        var losses: [Float] = []
        let records = try fit(
            model, optimizer: optimizer, train: train, validation: validation,
            configuration: FitConfiguration(epochs: 3, batchSize: 50, seed: seed),
            afterStep: { step, loss in
                #expect(step == losses.count + 1)
                losses.append(loss)
            })
        return (model.parameters.map(\.value), records, losses)
    }

    @Test("fit is deterministic by seed: same seed, same weights and records bit for bit; another seed, another run")
    func deterministic() throws {
        let a = try Self.smallRun(seed: 11)
        let b = try Self.smallRun(seed: 11)
        let c = try Self.smallRun(seed: 12)
        #expect(a.steps.count == 36)  // 3 epochs × 600/50 batches
        #expect(a.weights == b.weights)
        #expect(a.steps == b.steps)
        // Everything but the wall-clock time.
        func measured(_ r: EpochRecord) -> [Double] {
            [Double(r.epoch), r.trainLoss, r.trainAccuracy, r.validationLoss, r.validationAccuracy]
        }
        #expect(a.records.map(measured) == b.records.map(measured))
        #expect(a.records.count == 3 && a.records.map(\.epoch) == [1, 2, 3])
        // The batch order depends on the seed, so the run does too.
        #expect(a.weights != c.weights)
        #expect(a.steps != c.steps)
    }

    @Test("evaluate and predictions match a hand count of the logits, for any evaluation batch size")
    func evaluateByHand() throws {
        let (train, validation) = try DigitSource.synthetic.load(trainCount: 400, validationCount: 137, seed: 5)
        let model = Sequential.mlp([784, 24, 10], seed: 2)
        try fit(
            model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1), train: train,
            configuration: FitConfiguration(epochs: 2, batchSize: 40, seed: 1))

        // By hand: the logits of every validation digit, argmax, −log softmax in Double.
        let logits = model.forward(validation.images)
        var correct = 0
        var lossSum = 0.0
        var handPredictions: [Int] = []
        for i in 0..<validation.count {
            let row = (0..<10).map { Double(logits[i, $0]) }
            let best = row.indices.max { row[$0] < row[$1] }!
            handPredictions.append(best)
            if best == validation.labels[i] { correct += 1 }
            let m = row.max()!
            let logSum = log(row.reduce(0) { $0 + exp($1 - m) }) + m
            lossSum += logSum - row[validation.labels[i]]
        }
        let handAccuracy = Double(correct) / Double(validation.count)
        let handLoss = lossSum / Double(validation.count)
        #expect(correct > 0 && correct < validation.count)  // a count that can be wrong either way

        for batchSize in [1000, 50, 7] {
            let (loss, accuracy) = evaluate(model, on: validation, batchSize: batchSize)
            #expect(accuracy == handAccuracy, "batch size \(batchSize)")
            #expect(abs(loss - handLoss) < 1e-5 * handLoss, "batch size \(batchSize): \(loss) vs \(handLoss)")
            #expect(predictions(model, on: validation, batchSize: batchSize) == handPredictions)
        }
        let empty = validation.prefix(0)
        #expect(evaluate(model, on: empty).loss.isNaN && evaluate(model, on: empty).accuracy.isNaN)
    }

    @Test("the training loss and accuracy of an epoch are those of its batches before their updates")
    func trainingMetrics() throws {
        let (train, _) = try DigitSource.synthetic.load(trainCount: 300, validationCount: 0, seed: 9)
        let model = Sequential.mlp([784, 16, 10], seed: 4)
        let before = evaluate(model, on: train)
        // One batch holding the whole set and a rate of 0: the epoch measures the untouched model.
        let records = try fit(
            model, optimizer: SGD(parameters: model.parameters, learningRate: 0), train: train,
            configuration: FitConfiguration(epochs: 1, batchSize: 300, seed: 1))
        let record = try #require(records.first)
        #expect(record.trainAccuracy == before.accuracy)
        #expect(abs(record.trainLoss - before.loss) < 1e-5)
        #expect(record.validationLoss.isNaN && record.validationAccuracy.isNaN)  // no validation set
        #expect(record.seconds >= 0)
    }

    @Test("trainingStepSeconds times the asked number of steps after the warm-up ones")
    func stepTiming() throws {
        let model = Sequential.mlp([784, 16, 10], seed: 1)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.01)
        let (train, _) = try DigitSource.synthetic.load(trainCount: 64, validationCount: 0, seed: 1)
        let seconds = try trainingStepSeconds(
            model, optimizer: optimizer, input: train.images, labels: train.labels, warmup: 2, steps: 5)
        #expect(seconds.count == 5 && seconds.allSatisfy { $0 > 0 && $0 < 10 })
        #expect(optimizer.stepCount == 7)
    }
}
