import Foundation

/// A model's weights as a `.safetensors` file: every parameter under its own name
/// (`fc1.weight`, `fc1.bias`, …), F32, with a `__metadata__` map the caller chooses (the
/// configuration that produced the weights, say). Used to cache the pretrained base model.
public enum Checkpoint {
    /// The parameters of `model` (each shared tensor once) and `metadata`, as a file.
    public static func file(of model: any Layer, metadata: [String: String] = [:]) -> SafeTensorsFile {
        var tensors: [String: SafeTensorsFile.Tensor] = [:]
        for p in model.parameters.uniqued() {
            tensors[p.name] = SafeTensorsFile.Tensor(p.value)
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    /// Writes `model`'s parameters to `url`.
    public static func save(_ model: any Layer, to url: URL, metadata: [String: String] = [:]) throws {
        try file(of: model, metadata: metadata).write(to: url)
    }

    /// Loads the parameters of `model` from `url`: every parameter must be present with its shape.
    /// Returns the file's metadata. Throws `SafeTensorsError` naming the file and what is wrong.
    @discardableResult
    public static func load(_ model: any Layer, from url: URL) throws -> [String: String] {
        let file = try SafeTensorsFile.read(from: url)
        for p in model.parameters.uniqued() {
            p.value = try file.matrix(p.name, rows: p.value.rows, cols: p.value.cols, source: url.path)
        }
        return file.metadata
    }
}
