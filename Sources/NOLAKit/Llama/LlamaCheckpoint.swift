import Foundation

/// Checkpoints of the LLaMA-style model: a `.safetensors` file with the float base weights under
/// the released checkpoints' names (`embed_tokens.weight`, `layers.0.self_attn.q_proj.weight`, …,
/// `lm_head.weight`; no adapter tensors) and the configuration in the metadata (`config.json`'s
/// keys), beside what the caller adds. Loading is all or nothing (`Checkpoint.load`).
///
///     metadata  format          "nola-lessons-llama"
///               format_version  "1"
///               num_hidden_layers, hidden_size, intermediate_size, num_attention_heads,
///               num_key_value_heads, vocab_size, max_position_embeddings
extension LlamaModel {
    /// The `format` of a LLaMA checkpoint.
    public static let checkpointFormat = "nola-lessons-llama"

    /// The base weights and the configuration, plus `metadata`. The base must still be in float
    /// (not packed: a packed base has released its float weights).
    public func checkpointFile(metadata: [String: String] = [:]) -> SafeTensorsFile {
        checkPrecondition(baseFormat == nil, "LlamaModel.checkpointFile: a packed base has no float weights to save")
        return Checkpoint.file(of: baseParameters, metadata: TransformerCheckpoint.merged(
            metadata, format: Self.checkpointFormat, configuration: configuration.metadata))
    }

    /// A model built from a checkpoint file (its configuration, then its weights) and its metadata.
    /// Throws `SafeTensorsError` naming `source` for a file of another format or version, a
    /// configuration that is not valid, or any tensor missing, misshapen, not finite or extra.
    public static func load(_ file: SafeTensorsFile, source: String) throws -> (model: LlamaModel, metadata: [String: String]) {
        try TransformerCheckpoint.checkFormat(file, format: checkpointFormat, source: source)
        let configuration = try LlamaConfiguration(metadata: file.metadata, source: source)
        let model = LlamaModel(configuration, seed: 0)
        let metadata = try Checkpoint.load(model.baseParameters, from: file, source: source)
        return (model, metadata)
    }
}
