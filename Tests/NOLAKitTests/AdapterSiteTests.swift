import Foundation
import Testing

@testable import NOLAKit

/// (Also used by the Python interop test.) A model shaped like one GPT-2 attention projection: a fused `qkv: (3d, d)` layer whose query
/// and value parts are adapter sites, and a plain `proj: (d, d)` layer.
final class FusedTestModel: AdaptableModel {
    let d: Int
    let qkv: Linear
    let proj: Linear

    init(d: Int = 4, seed: UInt64 = 1) {
        self.d = d
        qkv = Linear(name: "qkv", inputs: d, outputs: 3 * d, random: RandomStream(seed: seed, stream: 0))
        proj = Linear(name: "proj", inputs: d, outputs: d, random: RandomStream(seed: seed, stream: 1))
    }

    var parameters: [Parameter] { (qkv.parameters + proj.parameters).uniqued() }

    var adapterSites: [AdapterSite] {
        [AdapterSite(layer: qkv, part: "q", outputs: 0..<d), AdapterSite(layer: qkv, part: "v", outputs: (2 * d)..<(3 * d)),
         AdapterSite(layer: proj)]
    }

    /// `q + proj(v)` from `qkv(x)`: every site matters to the output.  `x: (batch, d)` → `(batch, d)`.
    func forward(_ x: Matrix) -> Matrix {
        let y = qkv.forward(x)
        var q = Matrix(rows: 0, cols: 0)
        var v = Matrix(rows: 0, cols: 0)
        OutputSliceAdapters.copyColumns(y, 0..<d, into: &q)
        OutputSliceAdapters.copyColumns(y, (2 * d)..<(3 * d), into: &v)
        var out = proj.forward(v)
        BLAS.axpy(1, q, &out)
        return out
    }

    /// Backward of `forward` by hand, after it: `dq = dOut`, `dv = proj`'s input gradient,
    /// `dk = 0`. Accumulates every gradient; returns `dx: (batch, d)`.
    func backward(_ dOut: Matrix) -> Matrix {
        let dv = proj.backward(dOut)
        var dy = Matrix(rows: dOut.rows, cols: 3 * d)
        for i in 0..<dOut.rows {
            for j in 0..<d {
                dy[i, j] = dOut[i, j]
                dy[i, 2 * d + j] = dv[i, j]
            }
        }
        return qkv.backward(dy)
    }
}

private let sliceMethods: [AdapterMethod] = [
    .lora(rank: 2, c: 1.5), .nola(rank: 2, k: 5, l: 3, c: 1, basis: .perLayer),
    .nola(rank: 2, k: 5, l: 3, c: 1, basis: .shared), .nola(rank: 2, k: 5, l: 3, c: 1, basis: .onTheFly),
    .pranc(n: 4, s: 0.5, onTheFly: false),
]

/// Small random values in every trainable tensor, so no gradient is zero by construction.
private func randomizeTrainable(_ model: FusedTestModel, seed: UInt64) {
    for (i, p) in model.parameters.enumerated() where p.isTrainable {
        p.value = randomMatrix(p.value.rows, p.value.cols, seed: seed, stream: UInt64(i), bound: 0.4)
    }
}

@Suite("Adapter sites: adapters on parts of a fused layer")
struct AdapterSiteTests {
    @Test("sites on slices of a fused layer: finite differences for the adapters and for x", arguments: sliceMethods)
    func sliceGradients(method: AdapterMethod) {
        let model = FusedTestModel()
        let adapters = model.attach(method, seed: 7)
        #expect(adapters.count == 3)
        #expect(model.qkv.adapter is OutputSliceAdapters)
        randomizeTrainable(model, seed: 8)
        let x = Parameter(name: "x", value: randomMatrix(3, model.d, seed: 9))
        let r = randomMatrix(3, model.d, seed: 10)
        model.parameters.zeroGradients()
        _ = model.forward(x.value)
        x.grad = model.backward(r)
        let trainable = model.parameters.filter(\.isTrainable)
        #expect(!trainable.isEmpty)
        expectGradientsMatch(trainable + [x], loss: { GradientCheck.weightedSum(model.forward(x.value), r) })
    }

    @Test("each slice adds exactly its own ΔW rows: merging gives the same outputs, the key rows stay put",
          arguments: sliceMethods)
    func mergeMatches(method: AdapterMethod) {
        let model = FusedTestModel()
        model.attach(method, seed: 3)
        randomizeTrainable(model, seed: 4)
        let x = randomMatrix(5, model.d, seed: 5)
        let adapted = model.qkv.forward(x)
        let before = model.qkv.weight.value
        let delta = model.qkv.adapter!.deltaWeight()
        #expect(delta.rows == 3 * model.d && delta.cols == model.d)
        for i in model.d..<(2 * model.d) {
            for j in 0..<model.d { #expect(delta[i, j] == 0, "the key rows have no adapter") }
        }
        model.qkv.mergeAdapter()
        #expect(model.qkv.adapter == nil)
        #expect(model.qkv.forward(x).maxAbsDifference(adapted) <= 1e-5)
        for i in model.d..<(2 * model.d) {
            for j in 0..<model.d { #expect(model.qkv.weight.value[i, j] == before[i, j]) }
        }
    }

    @Test("sites have their own seeds: q and v start from different random tensors")
    func separateSeeds() throws {
        let model = FusedTestModel()
        let adapters = model.attach(.lora(rank: 2, c: 1), seed: 1)
        let q = try #require(adapters[0] as? LoRAAdapter)
        let v = try #require(adapters[1] as? LoRAAdapter)
        #expect(q.a.name == "qkv.q.lora_A" && v.a.name == "qkv.v.lora_A")
        #expect(q.a.value != v.a.value)
        #expect(model.adaptedSites.map(\.name) == ["qkv.q", "qkv.v", "proj"])
    }

    @Test("a whole-layer site cannot take an adapter while slices are attached, nor a slice twice")
    func conflicts() {
        let model = FusedTestModel()
        model.attach(.lora(rank: 1, c: 1), seed: 1, sites: ["qkv.q"])
        #expect(AdapterSite(layer: model.qkv).canAttach == false)
        #expect(model.adapterSites[0].canAttach == false)
        #expect(model.adapterSites[1].canAttach == true)
    }

    @Test("adapter files name every site: round trip, and a second load is refused with one line",
          arguments: sliceMethods)
    func fileRoundTrip(method: AdapterMethod) throws {
        let model = FusedTestModel()
        model.attach(method, seed: 11)
        randomizeTrainable(model, seed: 12)
        let file = AdapterFile.file(of: model, method: method, seed: 11)
        #expect(file.metadata["layers"]?.contains("\"qkv.v\", \"outputs\": 4, \"inputs\": 4") == true)
        let fresh = FusedTestModel()
        try AdapterFile.load(file, source: "a.safetensors", into: fresh)
        let x = randomMatrix(3, 4, seed: 13)
        #expect(fresh.forward(x) == model.forward(x))
        #expect { try AdapterFile.load(file, source: "a.safetensors", into: fresh) } throws: {
            "\($0)".hasPrefix("a.safetensors: ") && "\($0)".contains("already carries an adapter")
        }
    }
}
