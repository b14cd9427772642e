import Foundation
import NOLAKit
import Testing

/// The trainable counts of the paper's Tables 1, 2 and 5, from the public shapes alone.
@Suite("Model shapes and adapter storage at real sizes")
struct ScaleModelShapeTests {
    static let nola1000 = AdapterMethod.nola(rank: 8, k: 1000, l: 1000, c: 1, basis: .perLayer)

    @Test("GPT-2 M and L with Q,V adapters: LoRA r=1 and NOLA k = l = 1000 / 500 / 250 give Table 1's counts exactly")
    func gpt2Counts() {
        let (m, l) = (ModelShape.gpt2Medium, ModelShape.gpt2Large)
        #expect(m.layers == 24 && m.hidden == 1024 && l.layers == 36 && l.hidden == 1280 && l.heads == 20)
        #expect(m.trainableCount(.lora(rank: 1, c: 1), sites: .queryValue) == 98_304)
        #expect(l.trainableCount(.lora(rank: 1, c: 1), sites: .queryValue) == 184_320)
        let nola = { (k: Int) in AdapterMethod.nola(rank: 8, k: k, l: k, c: 1, basis: .shared) }
        #expect([1000, 500, 250].map { m.trainableCount(nola($0), sites: .queryValue) } == [96_000, 48_000, 24_000])
        #expect([1000, 500, 250].map { l.trainableCount(nola($0), sites: .queryValue) } == [144_000, 72_000, 36_000])
        // The MLP variant of Table 1 has the same count: NOLA's count ignores the shapes.
        #expect(l.trainableCount(nola(1000), sites: .mlp) == 144_000)
    }

    @Test("LoRA r=4 on Q,V: the shapes give 393,216 and 737,280 (Table 1 prints 0.35M and 0.77M, carried over from the LoRA paper)")
    func loraRank4() {
        #expect(ModelShape.gpt2Medium.trainableCount(.lora(rank: 4, c: 1), sites: .queryValue) == 393_216)
        #expect(ModelShape.gpt2Large.trainableCount(.lora(rank: 4, c: 1), sites: .queryValue) == 737_280)
    }

    @Test("LLaMA-2 on every linear layer: LoRA r=1 and NOLA k = l = 128 / 256 / 512 give Table 5's counts exactly")
    func llamaCounts() {
        let models: [ModelShape] = [.llama2_7B, .llama2_13B, .llama2_70B]
        #expect(models.map { $0.trainableCount(.lora(rank: 1, c: 16), sites: .all) } == [2_498_560, 3_911_680, 12_943_360])
        let nola = zip(models, [128, 256, 512]).map { model, k in
            model.trainableCount(.nola(rank: 16, k: k, l: k, c: 4, basis: .shared), sites: .all)
        }
        #expect(nola == [57_344, 143_360, 573_440])
    }

    @Test("LLaMA-2 70B uses grouped-query attention: k and v project 8,192 → 1,024; seven sites per block")
    func groupedQueryAttention() {
        let sites = ModelShape.llama2_70B.blockSites(.all)
        #expect(sites.map(\.part) == ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"])
        #expect(sites.map(\.outputs) == [8192, 1024, 1024, 8192, 28672, 28672, 8192])
        #expect(sites.map(\.inputs) == [8192, 8192, 8192, 8192, 8192, 8192, 28672])
        #expect(ModelShape.llama2_7B.keyValueWidth == 4096)
        #expect(ModelShape.llama2_70B.sites(.all).count == 560)
        #expect(ModelShape.llama2_70B.sites(.all)[1].name == "layers.0.self_attn.k_proj")
        #expect(ModelShape.gpt2Large.sites(.queryValue)[1].name == "h.0.attn.c_attn.v")
    }

    @Test("base parameter counts: GPT-2 L 774,030,080; LLaMA-2 7B 6,738,415,616; 13B 13,015,864,320; 70B 68,976,648,192")
    func baseCounts() {
        #expect(ModelShape.gpt2Large.parameterCount == 774_030_080)
        #expect(ModelShape.llama2_7B.parameterCount == 6_738_415_616)
        #expect(ModelShape.llama2_13B.parameterCount == 13_015_864_320)
        #expect(ModelShape.llama2_70B.parameterCount == 68_976_648_192)
    }

    @Test("a file written from stored layers equals the file written from the model with the same tensors")
    func fileFromLayersMatchesModel() throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 8, l: 6, c: 1, basis: .perLayer)] {
            let model = GPT(tinyGPT, seed: 1)
            model.attach(method, seed: 7, sites: model.sites(.queryValue))
            randomize(model.parameters.filter(\.isTrainable), seed: 8, bound: 0.3)
            let layers = model.adaptedSites.map { site in
                let byName = Dictionary(uniqueKeysWithValues: site.adapter!.parameters.map { ($0.name, $0.value.data) })
                return AdapterFile.StoredLayer(
                    name: site.name, outputs: site.outputs, inputs: site.inputs,
                    tensors: AdapterFile.tensorShapes(method, layer: site.name, outputs: site.outputs, inputs: site.inputs)
                        .map { name, shape in (name, byName[name]!, shape) })
            }
            for precision in [AdapterFile.Precision.f16, .quantized(bits: 4)] {
                let fromModel = AdapterFile.file(of: model, method: method, seed: 7, precision: precision)
                let fromLayers = AdapterFile.file(layers: layers, method: method, seed: 7, precision: precision)
                #expect(fromModel.encoded() == fromLayers.encoded())
            }
        }
    }

    @Test("measured bytes: GPT-2 L NOLA 144K at 16 bits is 288,000 bytes of coefficients plus the header; 4 bits is a quarter of that plus scales")
    func measuredBytes() throws {
        try withTemporaryDirectory { folder in
            let f16 = try AdapterStorage.measuredBytes(
                for: .gpt2Large, method: Self.nola1000, sites: .queryValue, precision: .f16, seed: 1, in: folder, file: "a")
            let q4 = try AdapterStorage.measuredBytes(
                for: .gpt2Large, method: Self.nola1000, sites: .queryValue, precision: .quantized(bits: 4), seed: 1,
                in: folder, file: "b")
            #expect(f16 > 288_000 && f16 < 288_000 + 40_000, "header of 144 tensors: a few tens of KB")
            // 4 bits: 72,000 bytes of codes and 144 four-byte scales, and a longer header (twice the tensors).
            #expect(q4 > 72_000 + 576 && q4 < 72_000 + 576 + 80_000)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "the file is removed")
        }
    }

    @Test("measuring a file in a folder that does not exist throws; nothing is left behind")
    func unwritableFolder() {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        #expect(throws: (any Error).self) {
            _ = try AdapterStorage.measuredBytes(
                for: .gpt2Medium, method: .lora(rank: 1, c: 1), sites: .queryValue, precision: .f16, seed: 1,
                in: missing, file: "a")
        }
    }
}
