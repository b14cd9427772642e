import NOLAKit
import Testing

@Suite("NN losses: hand-computed values")
struct NNLossTests {
    @Test("softmax cross-entropy: loss and dlogits of a small batch")
    func crossEntropyByHand() {
        let loss = SoftmaxCrossEntropy()
        // Row 0: log(e¹ + e² + e³) − 3 = 0.4076059644. Row 1: uniform over 3 classes, log 3.
        let value = loss.forward(Matrix([[1, 2, 3], [0, 0, 0]]), labels: [2, 1])
        #expect(abs(value - Float((0.407_605_964_4 + 1.098_612_288_7) / 2)) < 1e-6)
        // softmax(1, 2, 3) = (0.0900306, 0.2447285, 0.6652410); dz = (p − onehot) / 2.
        let expected: [Float] = [
            0.045_015_29, 0.122_364_24, -0.167_379_52,
            0.166_666_67, -0.333_333_33, 0.166_666_67,
        ]
        let dz = loss.backward()
        for (a, b) in zip(dz.data, expected) { #expect(abs(a - b) < 1e-6, "\(a) vs \(b)") }
        #expect(abs(loss.probabilities.data[0...2].reduce(0, +) - 1) < 1e-6)
    }

    @Test("softmax cross-entropy: logits of ±1000 give exact, finite values")
    func crossEntropyExtremeLogits() {
        let loss = SoftmaxCrossEntropy()
        let logits = Matrix([[1000, -1000], [1000, -1000], [1000, 1000], [-1000, -1000]])
        // Per row: 0 (certain and right), 2000 (certain and wrong), log 2, log 2.
        let value = loss.forward(logits, labels: [0, 1, 1, 0])
        #expect(value.isFinite)
        #expect(abs(value - (2000 + 2 * 0.693_147_18) / 4) < 1e-3)
        let dz = loss.backward()
        #expect(dz.data.allSatisfy { $0.isFinite })
        let expected: [Float] = [0, 0, 0.25, -0.25, 0.125, -0.125, -0.125, 0.125]
        for (a, b) in zip(dz.data, expected) { #expect(abs(a - b) < 1e-7, "\(a) vs \(b)") }
    }

    @Test("softmax cross-entropy: a NaN logit gives a NaN loss (so training can stop)")
    func crossEntropyNaN() {
        let loss = SoftmaxCrossEntropy()
        #expect(loss.forward(Matrix([[0, .nan, 1]]), labels: [0]).isNaN)
    }

    @Test("mean squared error: loss and gradient")
    func meanSquaredErrorByHand() {
        let loss = MeanSquaredError()
        // p − t = (1, 0, −2, 0): L = (1 + 4) / 4, dp = 2 (p − t) / 4.
        let value = loss.forward(Matrix([[1, 2], [3, 4]]), target: Matrix([[0, 2], [5, 4]]))
        #expect(value == 1.25)
        #expect(loss.backward() == Matrix([[0.5, 0], [-1, 0]]))
    }

    @Test("predicted classes and accuracy")
    func accuracyOfLogits() {
        let logits = Matrix([[0.1, 0.9, 0], [2, 1, 0], [0, 0, 3], [1, 5, 2]])
        #expect(predictedClasses(logits) == [1, 0, 2, 1])
        #expect(accuracy(logits: logits, labels: [1, 0, 0, 1]) == 0.75)
    }
}
