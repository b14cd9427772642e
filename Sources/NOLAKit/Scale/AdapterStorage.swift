import Foundation

/// What an adapter for a public model weighs on disk, measured by writing the file: the
/// coefficients (or LoRA's factors) at the chosen precision, the quantizer's scales and the
/// safetensors header (metadata, tensor index) included.
public enum AdapterStorage {
    /// The tensors `method` stores on the sites `set` of `shape` (names and shapes as
    /// `AdapterFile.tensorShapes`), filled with Uniform(−0.1, 0.1) values from `seed`: a
    /// stand-in for trained values (the file's size depends only on the shapes and precision).
    public static func randomLayers(
        for shape: ModelShape, method: AdapterMethod, sites set: TransformerSites, seed: UInt64
    ) -> [AdapterFile.StoredLayer] {
        let random = RandomStream(seed: seed, stream: 0)
        var position: UInt64 = 0
        return shape.sites(set).map { site in
            let tensors = AdapterFile.tensorShapes(method, layer: site.name, outputs: site.outputs, inputs: site.inputs)
                .map { name, dims in
                    let count = dims.reduce(1, *)
                    let values = random.symmetric(count, from: position).map { 0.1 * $0 }
                    position += UInt64(count)
                    return (name: name, values: values, shape: dims)
                }
            return AdapterFile.StoredLayer(name: site.name, outputs: site.outputs, inputs: site.inputs, tensors: tensors)
        }
    }

    /// Writes the adapter file of `method` on `shape` at `precision` into `folder` (as
    /// `<file>`), reads it back and decodes every tensor, deletes it, and returns its size in
    /// bytes. Throws the file system's error, or `SafeTensorsError` when the file read back is
    /// not the adapter written.
    public static func measuredBytes(
        for shape: ModelShape, method: AdapterMethod, sites set: TransformerSites, precision: AdapterFile.Precision,
        seed: UInt64, in folder: URL, file name: String
    ) throws -> Int {
        let layers = randomLayers(for: shape, method: method, sites: set, seed: seed)
        let url = folder.appendingPathComponent(name)
        try AdapterFile.file(layers: layers, method: method, seed: seed, precision: precision).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        let read = try SafeTensorsFile.read(from: url)
        let description = try AdapterFile.describe(read, source: url.path)
        guard description.layers.count == layers.count, description.precision == precision else {
            throw SafeTensorsError(url.path, "read back \(description.layers.count) layers at \(description.precision), "
                + "wrote \(layers.count) at \(precision)")
        }
        var expected: [String: [Int]] = [:]
        for layer in layers { for t in layer.tensors { expected[t.name] = t.shape } }
        _ = try AdapterFile.storedValues(read, expected: expected, description: description, source: url.path)
        return bytes
    }
}
