import NOLAKit

/// The adapters whose trainable counts the paper prints (Tables 1, 3 and 5), each with the count
/// as printed; cell 1 sets the count from the models' public shapes beside it.
enum PaperCounts {
    /// LoRA at rank 1: the smallest LoRA.
    static let loraR1 = AdapterMethod.lora(rank: 1, c: 1)

    /// NOLA on GPT-2 (Tables 1 and 3): rank 8, k = l per site, one basis per shape.
    static func nolaGPT(_ k: Int) -> AdapterMethod { .nola(rank: 8, k: k, l: k, c: 1, basis: .shared) }

    /// NOLA on LLaMA-2 (Table 5): rank 16, k = l per site, scale c = 4.
    static func nolaLLaMA(_ k: Int) -> AdapterMethod { .nola(rank: 16, k: k, l: k, c: 4, basis: .shared) }

    /// Model, adapted sites, method name, method, and the paper's count.
    static let rows: [(ModelShape, TransformerSites, String, AdapterMethod, String)] = [
        (.gpt2Medium, .queryValue, "LoRA r=4", .lora(rank: 4, c: 1), "0.350M"),
        (.gpt2Medium, .queryValue, "LoRA r=1", PaperCounts.loraR1, "0.098M"),
        (.gpt2Medium, .queryValue, "NOLA k=l=1000", PaperCounts.nolaGPT(1000), "0.096M"),
        (.gpt2Medium, .queryValue, "NOLA k=l=500", PaperCounts.nolaGPT(500), "0.048M"),
        (.gpt2Medium, .queryValue, "NOLA k=l=250", PaperCounts.nolaGPT(250), "0.024M (Table 3)"),
        (.gpt2Large, .queryValue, "LoRA r=4", .lora(rank: 4, c: 1), "0.770M"),
        (.gpt2Large, .queryValue, "LoRA r=1", PaperCounts.loraR1, "0.184M"),
        (.gpt2Large, .queryValue, "NOLA k=l=1000", PaperCounts.nolaGPT(1000), "0.144M"),
        (.gpt2Large, .queryValue, "NOLA k=l=500", PaperCounts.nolaGPT(500), "0.072M"),
        (.gpt2Large, .queryValue, "NOLA k=l=250", PaperCounts.nolaGPT(250), "0.036M"),
        (.llama2_7B, .all, "LoRA r=1", PaperCounts.loraR1, "2.50M"),
        (.llama2_7B, .all, "NOLA k=l=128, r=16", PaperCounts.nolaLLaMA(128), "0.06M"),
        (.llama2_13B, .all, "LoRA r=1", PaperCounts.loraR1, "3.91M"),
        (.llama2_13B, .all, "NOLA k=l=256, r=16", PaperCounts.nolaLLaMA(256), "0.14M"),
        (.llama2_70B, .all, "LoRA r=1", PaperCounts.loraR1, "12.94M"),
        (.llama2_70B, .all, "NOLA k=l=512, r=16", PaperCounts.nolaLLaMA(512), "0.57M"),
    ]
}
