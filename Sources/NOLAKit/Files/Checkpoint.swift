import Foundation

/// A model's weights as a `.safetensors` file: every parameter under its own name
/// (`fc1.weight`, `fc1.bias`, …), F32, with a `__metadata__` map the caller chooses (the
/// configuration that produced the weights, say). Used to cache pretrained base models.
///
/// Loading is all-or-nothing: every tensor is read and checked (present, right shape, finite,
/// nothing unexpected) and the metadata compared before the first weight is touched, so a damaged
/// or mismatched file leaves the model exactly as it was.
public enum Checkpoint {
    /// The parameters of `model` (each shared tensor once) and `metadata`, as a file.
    public static func file(of model: any Layer, metadata: [String: String] = [:]) -> SafeTensorsFile {
        file(of: model.parameters, metadata: metadata)
    }

    /// The given parameters (each shared tensor once) and `metadata`, as a file.
    public static func file(of parameters: [Parameter], metadata: [String: String] = [:]) -> SafeTensorsFile {
        var tensors: [String: SafeTensorsFile.Tensor] = [:]
        for p in parameters.uniqued() {
            tensors[p.name] = SafeTensorsFile.Tensor(p.value)
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    /// Writes `model`'s parameters to `url`.
    public static func save(_ model: any Layer, to url: URL, metadata: [String: String] = [:]) throws {
        try file(of: model, metadata: metadata).write(to: url)
    }

    /// Loads the parameters of `model` from `url` (see `load(_:from:source:requiring:)`).
    /// Returns the file's metadata.
    @discardableResult
    public static func load(_ model: any Layer, from url: URL, requiring metadata: [String: String] = [:]) throws
        -> [String: String]
    {
        try load(model.parameters, from: try SafeTensorsFile.read(from: url), source: url.path, requiring: metadata)
    }

    /// Sets `parameters` from `file`, all or nothing: every parameter must be present with its
    /// shape and finite values, the file must hold no other tensor, and every `requiring` key must
    /// have exactly the given value in the file's metadata. Otherwise throws `SafeTensorsError`
    /// (one line naming `source` and the first problem) and changes nothing. Returns the metadata.
    @discardableResult
    public static func load(
        _ parameters: [Parameter], from file: SafeTensorsFile, source: String, requiring metadata: [String: String] = [:]
    ) throws -> [String: String] {
        for (key, expected) in metadata.sorted(by: { $0.key < $1.key }) {
            let found = try file.metadataValue(key, source: source)
            guard found == expected else {
                throw SafeTensorsError(source, "metadata '\(key)' is '\(found)', expected '\(expected)' (a checkpoint of another configuration)")
            }
        }
        let unique = parameters.uniqued()
        let names = Set(unique.map(\.name))
        if let extra = file.tensors.keys.sorted().first(where: { !names.contains($0) }) {
            throw SafeTensorsError(source, "has a tensor '\(extra)' that this model does not have (a checkpoint of another architecture)")
        }
        var values: [Matrix] = []
        values.reserveCapacity(unique.count)
        for p in unique {
            let m = try file.matrix(p.name, rows: p.value.rows, cols: p.value.cols, source: source)
            guard m.data.allSatisfy(\.isFinite) else {
                throw SafeTensorsError(source, "tensor '\(p.name)' holds NaN or infinite values")
            }
            values.append(m)
        }
        for (p, value) in zip(unique, values) { p.value = value }
        return file.metadata
    }
}
