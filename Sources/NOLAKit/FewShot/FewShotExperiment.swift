/// One few-shot run of a `FewShotMethod` on a `FewShotTask`, from a `VisionBackbone` (paper
/// §3.4, A.3): a fresh copy of the backbone, a new 10-class head drawn from the run's seed, the
/// method's tensors trained with Adam at one rate for a fixed number of epochs with
/// cross-entropy, then accuracy on the task's validation set (to pick the rate) and, for the
/// run a caller keeps, on its test set.
///
/// The frozen backbone's features of the validation and test sets are computed once (they serve
/// 1-NN and Linear, whose backbone never changes); Linear then trains its head on the k-shot
/// set's features alone, which is the same computation as training the head on top of the frozen
/// network, without running the network at every step.
public final class FewShotExperiment {
    public let backbone: VisionBackbone
    public let task: FewShotTask
    /// Passes over the k-shot set (the paper: 50).
    public let epochs: Int
    /// Examples per step (the paper: 64; a 5-shot set of 10 classes is one batch).
    public let batchSize: Int
    /// Frozen features `(n, C)` of the validation and test sets.
    let validationFeatures: Matrix
    let testFeatures: Matrix

    public init(backbone: VisionBackbone, task: FewShotTask, epochs: Int = 50, batchSize: Int = 64) {
        checkPrecondition(epochs > 0 && batchSize > 0, "FewShotExperiment: epochs \(epochs), batch \(batchSize)")
        self.backbone = backbone
        self.task = task
        self.epochs = epochs
        self.batchSize = batchSize
        let frozen = backbone.makeModel()
        validationFeatures = FewShotExperiment.features(frozen, task.validation)
        testFeatures = FewShotExperiment.features(frozen, task.test)
    }

    /// What one run gives: its accuracies, and a way to score it on the test set.
    public struct Run {
        public let validationAccuracy: Double
        /// Accuracy on the test set (evaluated when called: only the runs a caller keeps pay for it).
        public let testAccuracy: () -> Double
    }

    /// Trains `method` on `train` (a k-shot set) at `learningRate`; `seed` draws the new head,
    /// the adapters' random tensors and the batch order (one "initialisation" of the paper).
    /// 1-NN ignores the rate and the seed. Throws `DivergenceError` on a NaN or infinite loss.
    public func run(_ method: FewShotMethod, train: DigitDataset, learningRate: Float, seed: UInt64) throws -> Run {
        let classes = DigitDataset.classCount
        switch method {
        case .nearestNeighbour:
            let reference = FewShotExperiment.features(backbone.makeModel(), train)
            let validation = FewShotExperiment.nearestNeighbourAccuracy(
                reference: reference, labels: train.labels, queries: validationFeatures, answers: task.validation.labels)
            let testFeatures = testFeatures, testLabels = task.test.labels
            return Run(validationAccuracy: validation, testAccuracy: {
                FewShotExperiment.nearestNeighbourAccuracy(reference: reference, labels: train.labels,
                                                           queries: testFeatures, answers: testLabels)
            })

        case .linear:
            let features = FewShotExperiment.features(backbone.makeModel(), train)
            let head = VisionTransformer.makeHead(classes: classes, width: features.cols, seed: seed)
            let optimizer = Adam(parameters: head.parameters, learningRate: learningRate)
            let loss = SoftmaxCrossEntropy()
            for epoch in 0..<epochs {
                var cursor = StreamCursor(seed: seed &+ 1, stream: DigitDataset.batchStream(epoch: epoch))
                let order = cursor.permutation(train.count)
                for start in stride(from: 0, to: order.count, by: batchSize) {
                    let rows = Array(order[start..<min(start + batchSize, order.count)])
                    try trainStep(head, input: FewShotExperiment.gather(features, rows), labels: rows.map { train.labels[$0] },
                                  loss: loss, optimizer: optimizer)
                }
            }
            let validation = accuracy(logits: head.forward(validationFeatures), labels: task.validation.labels)
            let testFeatures = testFeatures, testLabels = task.test.labels
            return Run(validationAccuracy: validation, testAccuracy: { accuracy(logits: head.forward(testFeatures), labels: testLabels) })

        case .fullFineTuning, .lora, .nola, .nolaQueryValue:
            let model = backbone.makeModel()
            if let (adapter, sites) = method.adapter {
                model.attach(adapter, seed: seed, sites: model.sites(sites))  // freezes the backbone
            }
            model.replaceHead(classes: classes, seed: seed)  // a new head, trainable
            let optimizer = Adam(parameters: model.parameters.filter(\.isTrainable), learningRate: learningRate)
            try fit(model, optimizer: optimizer, train: train,
                    configuration: FitConfiguration(epochs: epochs, batchSize: batchSize, seed: seed &+ 1, evaluateEveryEpoch: false))
            let validation = evaluate(model, on: task.validation).accuracy
            let test = task.test
            return Run(validationAccuracy: validation, testAccuracy: { evaluate(model, on: test).accuracy })
        }
    }

    // MARK: Pieces

    /// The pooled features `(n, C)` of every image of `data`, in batches of 500.
    static func features(_ model: VisionTransformer, _ data: DigitDataset) -> Matrix {
        var out = Matrix(rows: data.count, cols: model.configuration.embedding)
        var row = 0
        for batch in data.batchesInOrder(size: 500) {
            let f = model.features(batch.x)
            for i in 0..<f.rows { for j in 0..<f.cols { out[row + i, j] = f[i, j] } }
            row += f.rows
        }
        return out
    }

    /// Rows `rows` of `m`, in that order.
    static func gather(_ m: Matrix, _ rows: [Int]) -> Matrix {
        var out = Matrix(rows: rows.count, cols: m.cols)
        for (i, r) in rows.enumerated() { for j in 0..<m.cols { out[i, j] = m[r, j] } }
        return out
    }

    /// Share of `queries` whose nearest `reference` row by cosine similarity carries its answer
    /// (ties to the lower reference index).
    public static func nearestNeighbourAccuracy(reference: Matrix, labels: [Int], queries: Matrix, answers: [Int]) -> Double {
        checkPrecondition(reference.rows == labels.count && queries.rows == answers.count && reference.cols == queries.cols,
                          "nearestNeighbourAccuracy: shapes do not match")
        guard queries.rows > 0, reference.rows > 0 else { return .nan }
        func normalized(_ m: Matrix) -> Matrix {
            var out = m
            for i in 0..<m.rows {
                var norm: Float = 0
                for j in 0..<m.cols { norm += m[i, j] * m[i, j] }
                let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                for j in 0..<m.cols { out[i, j] = m[i, j] * scale }
            }
            return out
        }
        let r = normalized(reference), q = normalized(queries)
        let similarity = BLAS.matmul(q, r, transposeB: true)  // (queries, reference)
        var correct = 0
        for i in 0..<q.rows {
            var best = 0
            for j in 1..<r.rows where similarity[i, j] > similarity[i, best] { best = j }
            if labels[best] == answers[i] { correct += 1 }
        }
        return Double(correct) / Double(q.rows)
    }
}
