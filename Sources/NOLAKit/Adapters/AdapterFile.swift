import Foundation

/// Adapters on disk: a `.safetensors` file that holds what a method must store and nothing more.
///
/// A NOLA file holds one root seed and, per layer, the coefficients `α: (k)` and `β: (l)`; every
/// basis matrix and `A₀` is regenerated from the seed by the rule of `BasisSeeds` and the stream
/// layout of `RandomStream`. A LoRA file holds `A` and `B` themselves; a PRANC file the seed and
/// `α: (n)` per layer. `Sources/Python/nola_adapter.py` reads these files without Swift. The
/// complete specification, written for someone reimplementing a reader (every constant, the order
/// of the random draws, the tolerance to meet), is `NOLAKit.docc/AdapterFileFormat.md`.
///
/// The `__metadata__` map (all values are strings, as safetensors requires):
///
///     format          "nola-lessons-adapter"
///     format_version  "1"
///     method          "lora" | "nola" | "pranc"
///     generator       "philox4x32-10"
///     seed_rule       "splitmix64(root ^ fnv1a64(name)); NOLA basis name basis:<out>x<in>;
///                      streams 1 A0, 2 A_i, 3 B_j, 4 W_i"   (one line: `AdapterFile.seedRule`)
///     root_seed       decimal UInt64, 0 … 18446744073709551615
///     layers          JSON array of {"name": "fc1", "outputs": 256, "inputs": 784}, in model order:
///                     the adapter sites (`AdapterSite`), a whole layer or a part of one such as a
///                     GPT's query `h.0.attn.c_attn.q`; outputs × inputs is the shape of its ΔW
///     rank, c         LoRA and NOLA (scale = c / rank)
///     k, l            NOLA (how the basis is held in memory is not stored: every mode holds the
///                     same basis, seeded by the layer's shape; see BasisSeeds)
///     n, s            PRANC (ΔW = s Σ α_i W_i)
///     precision       "f32" | "f16" | "q2" … "q16"  (how the stored tensors were written)
///     scale_rule      q<bits> only: "absmax" | "mean-abs" | "mse"  (how the scales were chosen,
///                     see `ScaleRule`; absent in older files: "absmax")
///     group_size      q<bits> only: "tensor" | g  (values per scale; absent: "tensor")
///
/// Tensors, per layer `<name>`: LoRA `<name>.lora_A: (r, in)`, `<name>.lora_B: (out, r)`; NOLA
/// `<name>.nola_alpha: (k)`, `<name>.nola_beta: (l)`; PRANC `<name>.pranc_alpha: (n)`. F32 or F16;
/// or, for precision `q<bits>` (quantized LoRA or NOLA, see `SymmetricQuantizer`), each tensor `t`
/// of `count` values becomes `t.codes: U8 (⌈count·bits/8⌉)`, its codes packed by `BitPacking`
/// (offset binary `code + L`, least significant bit first), and `t.scale: F32 (groups)`, one
/// scale per group: 1 for "tensor", `⌈count/g⌉` for groups of `g` consecutive row-major values.
/// Value `i` is `code_i · scale[i / g]`.
public enum AdapterFile {
    /// The value of the `format` metadata key.
    public static let format = "nola-lessons-adapter"
    /// The value of the `format_version` key this code writes and reads.
    public static let version = "1"
    /// The value of the `generator` key.
    public static let generator = "philox4x32-10"
    /// The value of the `seed_rule` key: a short statement of `BasisSeeds`.
    public static let seedRule = "splitmix64(root ^ fnv1a64(name)); NOLA basis name basis:<out>x<in>; streams 1 A0, 2 A_i, 3 B_j, 4 W_i"

    /// How the stored tensors are written: 32- or 16-bit floats, or the symmetric codes and
    /// scales of a `SymmetricQuantizer` (LoRA's A and B, NOLA's α and β).
    public enum Precision: Sendable, Equatable, CustomStringConvertible {
        case f32, f16
        case quantized(SymmetricQuantizer)

        /// `bits`-bit codes, one absmax scale per tensor.
        public static func quantized(bits: Int) -> Precision { .quantized(SymmetricQuantizer(bits: bits)) }

        /// The `precision` metadata value: "f32", "f16", "q4".
        public var description: String {
            switch self {
            case .f32: "f32"
            case .f16: "f16"
            case .quantized(let q): "q\(q.bits)"
            }
        }

        /// Parses a `precision` metadata value; "q<bits>" gives absmax per tensor (`describe`
        /// reads the rule and group size from their own keys).
        public init?(_ text: String) {
            switch text {
            case "f32": self = .f32
            case "f16": self = .f16
            default:
                guard text.hasPrefix("q"), let bits = Int(text.dropFirst()),
                      SymmetricQuantizer.supportedBits.contains(bits) else { return nil }
                self = .quantized(bits: bits)
            }
        }
    }

    /// What a file says about the adapters it holds.
    public struct Description: Sendable, Equatable {
        /// The method and its settings. For NOLA the basis mode is `.perLayer` as read, or
        /// `.onTheFly` when loaded that way (the same numbers).
        public var method: AdapterMethod
        /// The root seed every random tensor derives from.
        public var rootSeed: UInt64
        /// The adapted layers in model order: name, outputs, inputs.
        public var layers: [(name: String, outputs: Int, inputs: Int)]
        public var precision: Precision

        public static func == (x: Description, y: Description) -> Bool {
            x.method == y.method && x.rootSeed == y.rootSeed && x.precision == y.precision
                && x.layers.elementsEqual(y.layers) { $0 == $1 }
        }
    }

    // MARK: Writing

    /// The file for the adapters attached to `model` (attached by `model.attach(method, seed:)`).
    /// A quantized precision quantizes the tensors' current values: write from the float copy
    /// (after training, or after QAT before `finish`), since the mean-abs and MSE rules are not
    /// idempotent — quantizing already quantized values can choose other scales.
    public static func file(
        of model: any AdaptableModel, method: AdapterMethod, seed: UInt64, precision: Precision = .f32
    ) -> SafeTensorsFile {
        let adapted = model.adaptedSites
        checkPrecondition(!adapted.isEmpty, "AdapterFile: the model has no adapters attached")
        let layers = adapted.map { site in
            StoredLayer(name: site.name, outputs: site.outputs, inputs: site.inputs,
                        tensors: storedTensors(of: site.adapter!, site: site.name))
        }
        return file(layers: layers, method: method, seed: seed, precision: precision)
    }

    /// What a file stores for one adapted site: its name, the shape `(outputs, inputs)` of its
    /// `ΔW`, and its tensors (name, values, shape) as `tensorShapes` lists them.
    public struct StoredLayer: Sendable {
        public var name: String
        public var outputs: Int
        public var inputs: Int
        public var tensors: [(name: String, values: [Float], shape: [Int])]

        public init(name: String, outputs: Int, inputs: Int, tensors: [(name: String, values: [Float], shape: [Int])]) {
            self.name = name
            self.outputs = outputs
            self.inputs = inputs
            self.tensors = tensors
        }
    }

    /// The file for adapters given as their stored tensors, without a model: how the storage of
    /// an adapter for a model too large to build here (LLaMA-2 70B) is measured. `file(of:…)`
    /// writes through it, so both give the same bytes for the same tensors.
    public static func file(
        layers: [StoredLayer], method: AdapterMethod, seed: UInt64, precision: Precision = .f32
    ) -> SafeTensorsFile {
        checkPrecondition(!layers.isEmpty, "AdapterFile: no adapted layers to write")
        var metadata = [
            "format": format, "format_version": version, "method": method.name, "generator": generator,
            "seed_rule": seedRule, "root_seed": String(seed), "precision": precision.description,
            "layers": "[" + layers.map {
                "{\"name\": \(jsonString($0.name)), \"outputs\": \($0.outputs), \"inputs\": \($0.inputs)}"
            }.joined(separator: ", ") + "]",
        ]
        if case .quantized(let quantizer) = precision {
            metadata["scale_rule"] = quantizer.rule.rawValue
            metadata["group_size"] = quantizer.groupSizeText
        }
        switch method {
        case .lora(let r, let c):
            metadata["rank"] = String(r)
            metadata["c"] = String(c)
        case .nola(let r, let k, let l, let c, _):
            metadata["rank"] = String(r)
            metadata["c"] = String(c)
            metadata["k"] = String(k)
            metadata["l"] = String(l)
        case .pranc(let n, let s, _):
            metadata["n"] = String(n)
            metadata["s"] = String(s)
        }
        var tensors: [String: SafeTensorsFile.Tensor] = [:]
        for layer in layers {
            for (name, value, shape) in layer.tensors {
                switch precision {
                case .f32: tensors[name] = SafeTensorsFile.Tensor(float32: value, shape: shape)
                case .f16: tensors[name] = SafeTensorsFile.Tensor(float16: value, shape: shape)
                case .quantized(let quantizer):
                    checkPrecondition(method.name != "pranc", "AdapterFile: PRANC adapters are not quantized")
                    let q = quantizer.quantize(value)
                    let packed = q.packed()
                    tensors[name + ".codes"] = SafeTensorsFile.Tensor(dtype: .u8, shape: [packed.count], bytes: packed)
                    tensors[name + ".scale"] = SafeTensorsFile.Tensor(float32: q.scales, shape: [q.scales.count])
                }
            }
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    /// Writes the adapters of `model` to `url` (see `file(of:method:seed:precision:)`).
    public static func save(
        _ model: any AdaptableModel, method: AdapterMethod, seed: UInt64, precision: Precision = .f32, to url: URL
    ) throws {
        try file(of: model, method: method, seed: seed, precision: precision).write(to: url)
    }

    /// The tensors a file stores for one adapter: name, values, shape.
    static func storedTensors(of adapter: any LinearAdapter, site: String) -> [(name: String, values: [Float], shape: [Int])] {
        switch adapter {
        case let lora as LoRAAdapter:
            return [(lora.a.name, lora.a.value.data, [lora.a.value.rows, lora.a.value.cols]),
                    (lora.b.name, lora.b.value.data, [lora.b.value.rows, lora.b.value.cols])]
        case let nola as NOLAAdapter:
            return [(nola.alpha.name, nola.alpha.value.data, [nola.alpha.count]),
                    (nola.beta.name, nola.beta.value.data, [nola.beta.count])]
        case let pranc as PRANCAdapter:
            return [(pranc.alpha.name, pranc.alpha.value.data, [pranc.alpha.count])]
        default:
            checkPrecondition(false, "AdapterFile: site \(site) has an adapter of unknown kind")
            return []
        }
    }

    // MARK: Reading

    /// Reads and checks the metadata of an adapter file (tensors are checked by `load`).
    /// Throws `SafeTensorsError` with one line naming the file and the problem.
    public static func describe(_ file: SafeTensorsFile, source: String) throws -> Description {
        func value(_ key: String) throws -> String { try file.metadataValue(key, source: source) }
        func positive(_ key: String) throws -> Int {
            guard let v = Int(try value(key)), v > 0 else {
                throw SafeTensorsError(source, "metadata '\(key)' must be a positive integer, found '\(try value(key))'")
            }
            return v
        }
        func real(_ key: String) throws -> Float {
            guard let v = Float(try value(key)), v.isFinite else {
                throw SafeTensorsError(source, "metadata '\(key)' must be a finite number, found '\(try value(key))'")
            }
            return v
        }
        guard file.metadata["format"] == format else {
            throw SafeTensorsError(source, "is not a NOLA Lessons adapter file (metadata 'format' is "
                + "\(file.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')")
        }
        guard try value("format_version") == version else {
            throw SafeTensorsError(source, "adapter format version '\(try value("format_version"))' is not "
                + "supported (this build reads version \(version)); re-save the adapter with this build")
        }
        guard try value("generator") == generator else {
            throw SafeTensorsError(source, "generator '\(try value("generator"))' is unknown (expected '\(generator)')")
        }
        guard try value("seed_rule") == seedRule else {
            throw SafeTensorsError(source, "seed rule '\(try value("seed_rule"))' is unknown (expected '\(seedRule)')")
        }
        guard let seed = UInt64(try value("root_seed")) else {
            throw SafeTensorsError(source, "root_seed '\(try value("root_seed"))' is not a decimal 64-bit unsigned integer")
        }
        guard var precision = Precision(try value("precision")) else {
            throw SafeTensorsError(source, "precision '\(try value("precision"))' is unknown (expected f32, f16 or q2…q16)")
        }
        if case .quantized(let q) = precision {  // files older than these keys: absmax per tensor
            let ruleName = file.metadata["scale_rule"] ?? ScaleRule.absMax.rawValue
            guard let rule = ScaleRule(rawValue: ruleName) else {
                throw SafeTensorsError(source, "metadata 'scale_rule' must be "
                    + "\(ScaleRule.allCases.map(\.rawValue).joined(separator: ", ")), found '\(ruleName)'")
            }
            let groupText = file.metadata["group_size"] ?? "tensor"
            let groupSize: Int?
            do { groupSize = try SymmetricQuantizer.groupSize(parsing: groupText) } catch {
                throw SafeTensorsError(source, "metadata 'group_size' must be 'tensor' or a positive integer, found '\(groupText)'")
            }
            precision = .quantized(SymmetricQuantizer(bits: q.bits, rule: rule, groupSize: groupSize))
        }
        let method: AdapterMethod
        switch try value("method") {
        case "lora":
            method = .lora(rank: try positive("rank"), c: try real("c"))
        case "nola":
            method = .nola(rank: try positive("rank"), k: try positive("k"), l: try positive("l"),
                           c: try real("c"), basis: .perLayer)
        case "pranc":
            method = .pranc(n: try positive("n"), s: try real("s"), onTheFly: false)
        case let other:
            throw SafeTensorsError(source, "method '\(other)' is unknown (expected lora, nola or pranc)")
        }
        return Description(method: method, rootSeed: seed, layers: try layers(try value("layers"), source: source),
                           precision: precision)
    }

    /// Parses the `layers` JSON array.
    static func layers(_ json: String, source: String) throws -> [(name: String, outputs: Int, inputs: Int)] {
        let bad = SafeTensorsError(source, "metadata 'layers' must be a JSON array of {\"name\", \"outputs\", \"inputs\"}")
        guard let array = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any], !array.isEmpty else {
            throw bad
        }
        // A size is a whole number in 1 ..< 2³¹ (a JSON number may be 1e30 or 2.5).
        func size(_ value: Any?) -> Int? {
            guard let number = value as? NSNumber else { return nil }
            let d = number.doubleValue
            guard d == d.rounded(), d >= 1, d < 0x1p31 else { return nil }
            return Int(d)
        }
        let layers = try array.map { entry in
            guard let object = entry as? [String: Any], let name = object["name"] as? String,
                  let outputs = size(object["outputs"]), let inputs = size(object["inputs"])
            else { throw bad }
            return (name: name, outputs: outputs, inputs: inputs)
        }
        guard Set(layers.map(\.name)).count == layers.count else {
            throw SafeTensorsError(source, "metadata 'layers' names a layer twice")
        }
        return layers
    }

    /// Loads the adapter file at `url` into `model`: freezes the model, attaches the stored
    /// method to the stored layers (regenerating every basis from the root seed) and sets the
    /// stored tensors. `onTheFly` regenerates NOLA's per-layer basis (and PRANC's) in chunks
    /// instead of holding it (same numbers). Throws `SafeTensorsError` (one line naming the file)
    /// when the file is damaged or does not fit the model; the model is left untouched then.
    @discardableResult
    public static func load(from url: URL, into model: any AdaptableModel, onTheFly: Bool = false) throws -> Description {
        try load(try SafeTensorsFile.read(from: url), source: url.path, into: model, onTheFly: onTheFly)
    }

    /// As `load(from:into:onTheFly:)`, from a file already read.
    @discardableResult
    public static func load(
        _ file: SafeTensorsFile, source: String, into model: any AdaptableModel, onTheFly: Bool = false
    ) throws -> Description {
        var description = try describe(file, source: source)
        // Every stored layer must be a site of the model, with its shape, and not yet adapted.
        let sites = model.adapterSites
        let byName = Dictionary(sites.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for entry in description.layers {
            guard let site = byName[entry.name] else {
                throw SafeTensorsError(source, "adapts layer '\(entry.name)', which this model does not have "
                    + "(its layers: \(Self.abbreviatedList(sites.map(\.name))))")
            }
            guard site.outputs == entry.outputs, site.inputs == entry.inputs else {
                throw SafeTensorsError(source, "layer '\(entry.name)' is \(entry.outputs)×\(entry.inputs) in the file "
                    + "but \(site.outputs)×\(site.inputs) in this model")
            }
            guard site.canAttach else {
                throw SafeTensorsError(source, "layer '\(entry.name)' of this model already carries an adapter; "
                    + "load the file into a model without one")
            }
        }
        // What the adapters would hold must fit in memory: a damaged rank (a file stores no
        // tensor of NOLA's rank) would otherwise ask for petabytes, or overflow, when attached.
        for entry in description.layers {
            let floats = heldFloats(description.method, outputs: entry.outputs, inputs: entry.inputs, onTheFly: onTheFly)
            guard let floats, floats <= maxHeldFloats else {
                throw SafeTensorsError(source, "the \(description.method.name) adapter of layer '\(entry.name)' "
                    + "(\(entry.outputs)×\(entry.inputs)) would hold \(floats.map { "\($0)" } ?? "more than Int.max") floats, "
                    + "more than the \(maxHeldFloats) this reader allows; the file is damaged (check rank, k, l, n)")
            }
        }
        // Every tensor must be there with its shape, and nothing else.
        var expected: [String: [Int]] = [:]
        for entry in description.layers {
            for (name, shape) in tensorShapes(description.method, layer: entry.name, outputs: entry.outputs, inputs: entry.inputs) {
                expected[name] = shape
            }
        }
        let values = try storedValues(file, expected: expected, description: description, source: source)
        // All checked: attach and fill.
        var method = description.method
        if onTheFly {
            switch method {
            case .nola(let r, let k, let l, let c, .perLayer): method = .nola(rank: r, k: k, l: l, c: c, basis: .onTheFly)
            case .pranc(let n, let s, _): method = .pranc(n: n, s: s, onTheFly: true)
            default: break
            }
        }
        let adapters = model.attach(method, seed: description.rootSeed, sites: Set(description.layers.map(\.name)))
        for adapter in adapters {
            for p in adapter.parameters where expected[p.name] != nil {
                p.value = Matrix(rows: p.value.rows, cols: p.value.cols, data: values[p.name]!)
            }
        }
        description.method = method
        return description
    }

    /// The values of every expected tensor (name → shape), decoded from the file's tensors as its
    /// precision says, after checking that the file holds exactly those tensors.
    static func storedValues(
        _ file: SafeTensorsFile, expected: [String: [Int]], description: Description, source: String
    ) throws -> [String: [Float]] {
        // The file's tensor names and their required dtype and shape.
        var layout: [String: (dtype: SafeTensorsFile.DType, shape: [Int])] = [:]
        for (name, shape) in expected {
            let count = shape.reduce(1, *)
            switch description.precision {
            case .f32: layout[name] = (.f32, shape)
            case .f16: layout[name] = (.f16, shape)
            case .quantized(let quantizer):
                layout[name + ".codes"] = (.u8, [BitPacking.byteCount(count: count, bits: quantizer.bits)])
                layout[name + ".scale"] = (.f32, [quantizer.scaleCount(for: count)])
            }
        }
        for (name, tensor) in file.tensors.sorted(by: { $0.key < $1.key }) {
            guard let want = layout[name] else {
                throw SafeTensorsError(source, "has an unexpected tensor '\(name)' for a \(description.method.name) "
                    + "adapter of precision \(description.precision)")
            }
            guard tensor.shape == want.shape else {
                var why = ""
                if case .quantized(let q) = description.precision, name.hasSuffix(".scale") {
                    why = " (one scale per \(q.groupSize.map { "group of \($0) values" } ?? "tensor"), as metadata 'group_size' says)"
                }
                throw SafeTensorsError(source, "tensor '\(name)' has shape \(tensor.shape), expected \(want.shape)\(why)")
            }
            guard tensor.dtype == want.dtype else {
                throw SafeTensorsError(source, "tensor '\(name)' is \(tensor.dtype.rawValue) but the file says "
                    + "precision \(description.precision) (expected \(want.dtype.rawValue))")
            }
        }
        if let missing = layout.keys.sorted().first(where: { file.tensors[$0] == nil }) {
            throw SafeTensorsError(source, "has no tensor '\(missing)'")
        }
        var values: [String: [Float]] = [:]
        for (name, shape) in expected {
            switch description.precision {
            case .f32, .f16:
                values[name] = file.tensors[name]!.floats!
            case .quantized(let quantizer):
                let scales = file.tensors[name + ".scale"]!.floats!
                do {
                    values[name] = try QuantizedTensor(
                        packed: file.tensors[name + ".codes"]!.bytes, scales: scales, bits: quantizer.bits,
                        groupSize: quantizer.groupSize, rows: 1, cols: shape.reduce(1, *), name: name).dequantized()
                } catch {
                    throw SafeTensorsError(source, "\(error)")
                }
            }
            guard values[name]!.allSatisfy(\.isFinite) else {
                throw SafeTensorsError(source, "tensor '\(name)' holds NaN or infinite values")
            }
        }
        return values
    }

    /// The most floats one site's adapter may hold when loaded (2³⁰, 4 GiB): far above any
    /// adapter of the paper, far below what a damaged rank or count would ask for.
    public static let maxHeldFloats = 1 << 30

    /// Floats `method` holds on a site `(outputs, inputs)` once attached — its factors or A₀, and
    /// its materialized random basis unless `onTheFly` — or nil when the count overflows `Int`.
    static func heldFloats(_ method: AdapterMethod, outputs m: Int, inputs n: Int, onTheFly: Bool) -> Int? {
        func product(_ factors: Int...) -> Int? {
            var p = 1
            for f in factors {
                let (q, overflow) = p.multipliedReportingOverflow(by: f)
                guard !overflow else { return nil }
                p = q
            }
            return p
        }
        func sum(_ terms: Int?...) -> Int? {
            var s = 0
            for t in terms {
                guard let t else { return nil }
                let (q, overflow) = s.addingReportingOverflow(t)
                guard !overflow else { return nil }
                s = q
            }
            return s
        }
        switch method {
        case .lora(let r, _):
            return sum(product(r, n), product(m, r))
        case .nola(let r, let k, let l, _, let basis):
            let held = !onTheFly && basis != .onTheFly
            return sum(product(r, n), product(m, r), held ? product(k, r, n) : 0, held ? product(l, m, r) : 0)
        case .pranc(let count, _, let fly):
            return sum(product(m, n), onTheFly || fly ? 0 : product(count, m, n))
        }
    }

    /// `a, b, c` for a few names; the first eight and a count for many (a GPT has dozens of sites).
    static func abbreviatedList(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ")
            : names.prefix(8).joined(separator: ", ") + ", … (\(names.count) in all)"
    }

    /// The stored tensors of `method` on a layer: name and shape (LoRA `<layer>.lora_A: (r, in)`
    /// and `<layer>.lora_B: (out, r)`, NOLA `<layer>.nola_alpha: (k)` and `<layer>.nola_beta: (l)`,
    /// PRANC `<layer>.pranc_alpha: (n)`).
    public static func tensorShapes(_ method: AdapterMethod, layer: String, outputs: Int, inputs: Int) -> [(String, [Int])] {
        switch method {
        case .lora(let r, _): [("\(layer).lora_A", [r, inputs]), ("\(layer).lora_B", [outputs, r])]
        case .nola(_, let k, let l, _, _): [("\(layer).nola_alpha", [k]), ("\(layer).nola_beta", [l])]
        case .pranc(let n, _, _): [("\(layer).pranc_alpha", [n])]
        }
    }

    // MARK: ΔW export

    /// Every adapted layer's `ΔW: (out, in)` as `<name>.delta_W` (F32): what another
    /// implementation must rebuild from the adapter file alone.
    public static func deltaWeights(of model: any AdaptableModel) -> SafeTensorsFile {
        var tensors: [String: SafeTensorsFile.Tensor] = [:]
        for site in model.adaptedSites {
            tensors["\(site.name).delta_W"] = SafeTensorsFile.Tensor(site.adapter!.deltaWeight())
        }
        return SafeTensorsFile(metadata: ["format": "nola-lessons-delta-weights"], tensors: tensors)
    }
}
