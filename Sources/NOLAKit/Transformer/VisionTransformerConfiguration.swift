/// The shape of a vision transformer (ViT, Dosovitskiy et al. 2021) over square images.
public struct VisionTransformerConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Image side in pixels (28 for digits).
    public var imageSize: Int
    /// Channels per pixel (1 for grayscale).
    public var channels: Int
    /// Patch side in pixels (a divisor of `imageSize`: 7 or 4 for 28).
    public var patchSize: Int
    /// Blocks.
    public var layers: Int
    /// Width `C`.
    public var embedding: Int
    /// Attention heads.
    public var heads: Int
    /// Outputs of the classification head.
    public var classes: Int
    /// Class token or mean pooling.
    public var pooling: TokenPooling

    public init(
        imageSize: Int = 28, channels: Int = 1, patchSize: Int, layers: Int, embedding: Int, heads: Int, classes: Int,
        pooling: TokenPooling = .classToken
    ) {
        self.imageSize = imageSize
        self.channels = channels
        self.patchSize = patchSize
        self.layers = layers
        self.embedding = embedding
        self.heads = heads
        self.classes = classes
        self.pooling = pooling
    }

    /// Why this configuration cannot build a model, or nil.
    public var problem: String? {
        if imageSize < 1 || channels < 1 { return "image size \(imageSize) and channels \(channels) must be positive" }
        if patchSize < 1 || imageSize % patchSize != 0 { return "patch size \(patchSize) must divide the image size \(imageSize)" }
        if layers < 1 { return "layers must be at least 1, got \(layers)" }
        if embedding < 1 || heads < 1 || embedding % heads != 0 {
            return "width \(embedding) must be a positive multiple of the heads \(heads)"
        }
        if classes < 1 { return "classes must be at least 1, got \(classes)" }
        return nil
    }

    /// Patches per image, `(S/P)²`.
    public var patches: Int { (imageSize / patchSize) * (imageSize / patchSize) }
    /// Tokens per image: the patches, plus the class token when pooling by it.
    public var tokens: Int { patches + (pooling == .classToken ? 1 : 0) }
    /// Values per flattened patch, `P·P·ch`.
    public var patchFeatures: Int { patchSize * patchSize * channels }

    public var description: String {
        "\(imageSize)×\(imageSize)×\(channels) images, \(patchSize)-pixel patches (\(tokens) tokens), \(layers) blocks, "
            + "width \(embedding), \(heads) heads, \(classes) classes, \(pooling == .classToken ? "class token" : "mean pooling")"
    }

    /// Scalars per part: patch embedding `C·P²ch + C`, class token `C` (if any), position
    /// embedding `tokens·C`, blocks `L·(12C² + 13C)`, final norm `2C`, head `classes·(C + 1)`.
    public var parameterCounts: [(part: String, count: Int)] {
        let c = embedding
        return [
            ("patch embedding", c * patchFeatures + c),
            ("class token", pooling == .classToken ? c : 0),
            ("position embedding", tokens * c),
            ("blocks", layers * (12 * c * c + 13 * c)),
            ("final norm", 2 * c),
            ("head", classes * (c + 1)),
        ]
    }

    /// All scalars.
    public var parameterCount: Int { parameterCounts.reduce(0) { $0 + $1.count } }

    /// The metadata keys of a checkpoint.
    public var metadata: [String: String] {
        ["image_size": String(imageSize), "channels": String(channels), "patch_size": String(patchSize),
         "n_layer": String(layers), "n_embd": String(embedding), "n_head": String(heads), "classes": String(classes),
         "pooling": pooling.rawValue]
    }

    /// The configuration in a checkpoint's metadata; throws `SafeTensorsError` naming `source`.
    public init(metadata: [String: String], source: String) throws {
        func value(_ key: String) throws -> Int {
            guard let text = metadata[key] else {
                throw SafeTensorsError(source, "metadata has no '\(key)': not a vision transformer checkpoint of this project")
            }
            guard let v = Int(text) else { throw SafeTensorsError(source, "metadata '\(key)' is '\(text)', not an integer") }
            return v
        }
        guard let poolingText = metadata["pooling"], let pooling = TokenPooling(rawValue: poolingText) else {
            throw SafeTensorsError(source, "metadata 'pooling' is \(metadata["pooling"].map { "'\($0)'" } ?? "missing"), expected cls or mean")
        }
        self.init(
            imageSize: try value("image_size"), channels: try value("channels"), patchSize: try value("patch_size"),
            layers: try value("n_layer"), embedding: try value("n_embd"), heads: try value("n_head"),
            classes: try value("classes"), pooling: pooling)
        if let problem { throw SafeTensorsError(source, "describes no valid vision transformer: \(problem)") }
    }
}
