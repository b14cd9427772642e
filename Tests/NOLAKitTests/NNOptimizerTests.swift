import NOLAKit
import Testing

/// Updates against values computed by hand (first steps) and by the formulas written out in
/// Double (second steps), for a parameter `p = (1, −2)` with gradients `(0.5, −0.2)` then `(−0.3, 0.4)`.
@Suite("NN optimizers and schedules")
struct NNOptimizerTests {
    static let gradients: [[Float]] = [[0.5, -0.2], [-0.3, 0.4]]

    /// Runs `optimizer` for the two steps over `p` and returns `p` after each.
    func run(_ optimizer: any Optimizer, _ p: Parameter) -> [[Float]] {
        NNOptimizerTests.gradients.map { g in
            p.grad = Matrix(rows: 1, cols: 2, data: g)
            optimizer.step()
            return p.value.data
        }
    }

    func expectClose(_ a: [[Float]], _ b: [[Double]], tolerance: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation) {
        for (ra, rb) in zip(a, b) {
            for (x, y) in zip(ra, rb) {
                #expect(abs(Double(x) - y) < tolerance, "\(x) vs \(y)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("SGD with momentum and weight decay")
    func sgd() {
        let p = Parameter(name: "p", value: Matrix([[1, -2]]))
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        // Step 1: g = (0.5 + 0.01, −0.2 − 0.02) = (0.51, −0.22) = v; p = (1 − 0.051, −2 + 0.022).
        // Step 2: g = (−0.3 + 0.00949, 0.4 − 0.01978) = (−0.29051, 0.38022);
        //         v = 0.9 (0.51, −0.22) + g = (0.16849, 0.18222); p −= 0.1 v.
        expectClose(run(sgd, p), [[0.949, -1.978], [0.932151, -1.996222]])
        #expect(sgd.stepCount == 2)
    }

    @Test("plain SGD: p − η g")
    func plainSGD() {
        let p = Parameter(name: "p", value: Matrix([[1, -2]]))
        expectClose(run(SGD(parameters: [p], learningRate: 0.5), p), [[0.75, -1.9], [0.9, -2.1]])
    }

    @Test("Adam with coupled (L2) weight decay")
    func adam() {
        let p = Parameter(name: "p", value: Matrix([[1, -2]]))
        let adam = Adam(parameters: [p], learningRate: 0.1, weightDecay: .coupled(0.1))
        // Step 1: g = (0.6, −0.4); m̂ = g, v̂ = g², so p moves by η·sign(g) (up to ε).
        expectClose(run(adam, p), [[0.9, -1.9], [0.861_352_997_2, -1.875_283_168_8]])
    }

    @Test("plain Adam")
    func plainAdam() {
        let p = Parameter(name: "p", value: Matrix([[1, -2]]))
        expectClose(run(Adam(parameters: [p], learningRate: 0.1), p), [[0.9, -1.9], [0.880_850_198_9, -1.936_610_356_5]])
    }

    @Test("AdamW: decoupled weight decay")
    func adamW() {
        let p = Parameter(name: "p", value: Matrix([[1, -2]]))
        let adam = Adam.adamW(parameters: [p], learningRate: 0.1, weightDecay: 0.1)
        // Step 1: p ← p (1 − 0.01) = (0.99, −1.98), then the Adam step η·sign(g) = (−0.1, +0.1).
        expectClose(run(adam, p), [[0.89, -1.88], [0.861_950_198_9, -1.897_810_356_5]])
    }

    @Test("frozen parameters are never touched, and shared ones updated once")
    func frozenUntouched() {
        let frozen = Parameter(name: "frozen", value: Matrix([[1, 2, 3]]), trainable: false)
        let live = Parameter(name: "live", value: Matrix([[1, 2, 3]]))
        let optimizers: [any Optimizer] = [
            SGD(parameters: [frozen, live, live], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1),
            Adam(parameters: [frozen, live, live], learningRate: 0.1, weightDecay: .coupled(0.1)),
            Adam.adamW(parameters: [frozen, live, live], learningRate: 0.1),
        ]
        for optimizer in optimizers {
            #expect(optimizer.parameters.count == 2)
            live.value = Matrix([[1, 2, 3]])
            for _ in 0..<3 {
                frozen.grad = Matrix([[5, 5, 5]])
                live.grad = Matrix([[1, 1, 1]])
                optimizer.step()
            }
            #expect(frozen.value == Matrix([[1, 2, 3]]))
            #expect(live.value != Matrix([[1, 2, 3]]))
            optimizer.zeroGradients()
            #expect(live.grad == Matrix([[0, 0, 0]]))
            #expect(frozen.grad == Matrix([[5, 5, 5]]))  // not the optimizer's to touch either
        }
        // The shared tensor took exactly one SGD step per step() (η = 0.1, g = 1, no decay).
        let shared = Parameter(name: "shared", value: Matrix([[0]]))
        let sgd = SGD(parameters: [shared, shared], learningRate: 0.1)
        shared.grad = Matrix([[1]])
        sgd.step()
        #expect(shared.value == Matrix([[-0.1]]))
    }

    @Test("schedules at specific steps")
    func schedules() {
        func rates(_ s: LearningRateSchedule, _ steps: [Int]) -> [Float] { steps.map { s.learningRate(atStep: $0) } }
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 } }

        #expect(rates(.constant(0.05), [0, 1, 1000]) == [0.05, 0.05, 0.05])
        #expect(close(rates(.step(rate: 0.1, every: 10, factor: 0.5), [0, 9, 10, 25]), [0.1, 0.1, 0.05, 0.025]))
        // Warm-up over 10 steps, then a half cosine over the remaining 100: halfway (step 60) is
        // the midpoint between peak and floor.
        #expect(
            close(
                rates(.warmupCosine(peak: 1, warmup: 10, total: 110), [0, 5, 10, 60, 110, 200]),
                [0, 0.5, 1, 0.5, 0, 0]))
        #expect(close(rates(.warmupCosine(peak: 1, warmup: 0, total: 100, floor: 0.1), [0, 50, 100]), [1, 0.55, 0.1]))
        // cos(π/4): a quarter of the way down.
        #expect(close(rates(.warmupCosine(peak: 2, warmup: 0, total: 4), [1]), [Float(1 + 0.5.squareRoot())]))
        #expect(close(rates(.warmupLinear(peak: 2, warmup: 4, total: 104), [0, 2, 4, 54, 104, 200]), [0, 1, 2, 1, 0, 0]))
    }
}
