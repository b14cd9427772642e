import Foundation

/// Checkpoints of the GPT and the vision transformer: `.safetensors` files holding the base
/// weights under their names (`wte.weight`, `h.0.attn.c_attn.weight`, …; no adapter tensors —
/// those go to `AdapterFile`) and the configuration in the metadata, beside any metadata the
/// caller adds (the tokenizer's serialized form, the training settings).
///
///     metadata  format          "nola-lessons-gpt" | "nola-lessons-vit"
///               format_version  "1"
///               n_layer, n_embd, n_head, vocab_size, n_ctx            (GPT)
///               image_size, channels, patch_size, n_layer, n_embd,
///               n_head, classes, pooling                              (vision transformer)
///               anything else the caller passed
///
/// Loading reads the configuration first, then every tensor through `Checkpoint.load`: all of
/// them present, of their shapes, finite, nothing extra — or one `SafeTensorsError` naming the
/// file and the problem, and no weight changed.
public enum TransformerCheckpoint {
    /// The version this code writes and reads.
    public static let version = "1"
    /// Metadata keys of the format itself.
    static let formatKeys: Set<String> = ["format", "format_version"]

    /// `metadata` merged with the format's keys; the caller's keys must not collide with them.
    static func merged(_ extra: [String: String], format: String, configuration: [String: String]) -> [String: String] {
        var metadata = configuration
        metadata["format"] = format
        metadata["format_version"] = version
        for (key, value) in extra {
            checkPrecondition(metadata[key] == nil, "TransformerCheckpoint: metadata key '\(key)' is reserved for the configuration")
            metadata[key] = value
        }
        return metadata
    }

    /// Throws unless `file` is a checkpoint of `format` and this version.
    static func checkFormat(_ file: SafeTensorsFile, format: String, source: String) throws {
        guard file.metadata["format"] == format else {
            throw SafeTensorsError(source, "is not a \(format) checkpoint (metadata 'format' is "
                + "\(file.metadata["format"].map { "'\($0)'" } ?? "missing")); save one with this project's save(to:)")
        }
        guard file.metadata["format_version"] == version else {
            throw SafeTensorsError(source, "checkpoint version '\(file.metadata["format_version"] ?? "")' is not supported "
                + "(this build reads version \(version)); save it again with this build")
        }
    }
}

extension GPT {
    /// The `format` of a GPT checkpoint.
    public static let checkpointFormat = "nola-lessons-gpt"

    /// The base weights and the configuration, plus `metadata` (keys other than the
    /// configuration's and `format`, `format_version`).
    public func checkpointFile(metadata: [String: String] = [:]) -> SafeTensorsFile {
        Checkpoint.file(of: baseParameters, metadata: TransformerCheckpoint.merged(
            metadata, format: Self.checkpointFormat, configuration: configuration.metadata))
    }

    /// Writes the checkpoint to `url` (atomically).
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try checkpointFile(metadata: metadata).write(to: url)
    }

    /// A model built from the checkpoint at `url` (its configuration, then its weights), and
    /// the file's metadata.
    public static func load(from url: URL) throws -> (model: GPT, metadata: [String: String]) {
        try load(try SafeTensorsFile.read(from: url), source: url.path)
    }

    /// As `load(from:)`, from a file already read; `source` names it in errors.
    public static func load(_ file: SafeTensorsFile, source: String) throws -> (model: GPT, metadata: [String: String]) {
        try TransformerCheckpoint.checkFormat(file, format: checkpointFormat, source: source)
        let configuration = try GPTConfiguration(metadata: file.metadata, source: source)
        let model = GPT(configuration, seed: 0)
        let metadata = try Checkpoint.load(model.baseParameters, from: file, source: source)
        return (model, metadata)
    }

    /// Sets this model's base weights from the checkpoint at `url`, whose configuration must be
    /// this model's; all or nothing. Returns the file's metadata.
    @discardableResult
    public func load(from url: URL) throws -> [String: String] {
        try load(try SafeTensorsFile.read(from: url), source: url.path)
    }

    /// As `load(from:)`, from a file already read.
    @discardableResult
    public func load(_ file: SafeTensorsFile, source: String) throws -> [String: String] {
        try TransformerCheckpoint.checkFormat(file, format: Self.checkpointFormat, source: source)
        let stored = try GPTConfiguration(metadata: file.metadata, source: source)
        guard stored == configuration else {
            throw SafeTensorsError(source, "is a GPT with \(stored), but this model has \(configuration)")
        }
        return try Checkpoint.load(baseParameters, from: file, source: source)
    }
}

extension VisionTransformer {
    /// The `format` of a vision transformer checkpoint.
    public static let checkpointFormat = "nola-lessons-vit"

    /// The base weights (head included) and the configuration, plus `metadata`.
    public func checkpointFile(metadata: [String: String] = [:]) -> SafeTensorsFile {
        Checkpoint.file(of: baseParameters, metadata: TransformerCheckpoint.merged(
            metadata, format: Self.checkpointFormat, configuration: configuration.metadata))
    }

    /// Writes the checkpoint to `url` (atomically).
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try checkpointFile(metadata: metadata).write(to: url)
    }

    /// A model built from the checkpoint at `url`, and the file's metadata.
    public static func load(from url: URL) throws -> (model: VisionTransformer, metadata: [String: String]) {
        try load(try SafeTensorsFile.read(from: url), source: url.path)
    }

    /// As `load(from:)`, from a file already read.
    public static func load(_ file: SafeTensorsFile, source: String) throws -> (model: VisionTransformer, metadata: [String: String]) {
        try TransformerCheckpoint.checkFormat(file, format: checkpointFormat, source: source)
        let configuration = try VisionTransformerConfiguration(metadata: file.metadata, source: source)
        let model = VisionTransformer(configuration, seed: 0)
        let metadata = try Checkpoint.load(model.baseParameters, from: file, source: source)
        return (model, metadata)
    }
}
