import LessonKit
import NOLAKit

/// One row of the tables: a method at a set of sites (nil method: full fine-tuning, or the
/// frozen base when `trains` is false), with the paper's numbers for it.
struct Row {
    let name: String
    let slug: String
    let method: AdapterMethod?
    let sites: TransformerSites?
    /// "LoRA", "NOLA QV", "NOLA MLP", "full", "frozen" or "t3" (Table 3's own rows).
    let family: String
    let trains: Bool
    /// The paper's row (GPT-2 M; GPT-2 L): "params BLEU NIST ROUGE-L CIDEr", "—" where it has none.
    var paperM = "—"
    var paperL = "—"
    /// A row beyond the paper's Table 1 (a probe of where to adapt): run only when `--rows` names it.
    var probe = false

    /// The trainable numbers of this row on a GPT of `width` and `layers` blocks.
    func count(width: Int, layers: Int, parameters: Int) -> Int {
        guard trains else { return 0 }
        guard let method, let sites else { return parameters }
        let perBlock = sites.parts.map { part in
            switch part {
            case "mlp.c_fc": method.trainableCount(inputs: width, outputs: 4 * width)
            case "mlp.c_proj": method.trainableCount(inputs: 4 * width, outputs: width)
            default: method.trainableCount(inputs: width, outputs: width)  // q, k, v, attn.c_proj
            }
        }
        return perBlock.reduce(0, +) * layers
    }

    /// "r = 4", "r = 8, k = l = 128", "—".
    var methodText: String {
        switch method {
        case .lora(let r, _)?: "r = \(r)"
        case .nola(let r, let k, let l, let c, _)?: "r = \(r), k = l = \(k)\(k == l ? "" : "/\(l)")\(c == 1 ? "" : ", c = \(Format.fixed(Double(c), 1))")"
        default: "—"
        }
    }
}

/// NOLA as the paper runs it on GPT-2: rank 8 unless told, k = l, a basis per layer.
func nola(_ rank: Int, _ k: Int, c: Float = 1) -> AdapterMethod { .nola(rank: rank, k: k, l: k, c: c, basis: .perLayer) }

/// Table 1's rows (paper: GPT-2 M and L on E2E) for a GPT whose LoRA r=1 on Q,V has k = l = `kR1`
/// per site: LoRA on Q,V at ranks 4 and 1; NOLA (rank 8, c = 1, k = l) on Q,V and on the MLP at
/// LoRA r=1's count, at half and at a quarter of it, and NOLA QV at LoRA r=4's count.
func table1Rows(kR1: Int) -> [Row] {
    [
        Row(name: "frozen base", slug: "frozen", method: nil, sites: nil, family: "frozen", trains: false),
        Row(name: "full fine-tuning", slug: "full", method: nil, sites: nil, family: "full", trains: true,
            paperM: "354.9M 68.2 8.62 71.0 2.47", paperL: "774.0M 68.5 8.78 69.9 2.45"),
        Row(name: "LoRA QV r=4", slug: "lora_r4", method: .lora(rank: 4, c: 1), sites: .queryValue, family: "LoRA", trains: true,
            paperM: "0.350M 70.4 8.85 71.8 2.53", paperL: "0.770M 70.4 8.89 72.0 2.47"),
        Row(name: "LoRA QV r=1", slug: "lora_r1", method: .lora(rank: 1, c: 1), sites: .queryValue, family: "LoRA", trains: true,
            paperM: "0.098M 68.7 8.72 70.5 2.43", paperL: "0.184M 69.9 8.81 71.6 2.53"),
        Row(name: "NOLA QV = LoRA r=4", slug: "nola_qv_4x", method: nola(8, 4 * kR1), sites: .queryValue, family: "NOLA QV",
            trains: true, paperM: "0.350M 70.1 8.80 71.7 2.53"),
        Row(name: "NOLA QV = LoRA r=1", slug: "nola_qv_1", method: nola(8, kR1), sites: .queryValue, family: "NOLA QV",
            trains: true, paperM: "0.096M 70.0 8.82 71.6 2.51", paperL: "0.144M 70.5 8.85 71.7 2.54"),
        Row(name: "NOLA MLP = LoRA r=1", slug: "nola_mlp_1", method: nola(8, kR1), sites: .mlp, family: "NOLA MLP",
            trains: true, paperM: "0.096M 70.2 8.79 71.8 2.51", paperL: "0.144M 70.1 8.80 71.2 2.52"),
        Row(name: "NOLA QV 1/2", slug: "nola_qv_half", method: nola(8, kR1 / 2), sites: .queryValue, family: "NOLA QV",
            trains: true, paperM: "0.048M 70.1 8.82 71.4 2.52", paperL: "0.072M 69.8 8.80 71.3 2.51"),
        Row(name: "NOLA MLP 1/2", slug: "nola_mlp_half", method: nola(8, kR1 / 2), sites: .mlp, family: "NOLA MLP",
            trains: true, paperM: "0.048M 69.4 8.71 71.5 2.47", paperL: "0.072M 69.4 8.71 71.5 2.48"),
        Row(name: "NOLA QV 1/4", slug: "nola_qv_quarter", method: nola(8, kR1 / 4), sites: .queryValue, family: "NOLA QV",
            trains: true, paperL: "0.036M 70.1 8.80 71.7 2.53"),
        Row(name: "NOLA MLP 1/4", slug: "nola_mlp_quarter", method: nola(8, kR1 / 4), sites: .mlp, family: "NOLA MLP",
            trains: true, paperL: "0.036M 70.0 8.81 71.5 2.53"),
    ]
}

/// Two rows beyond the paper, run when `--rows` names them: LoRA r=1 and NOLA on every linear layer
/// of each block (q, k, v, the attention's output, both MLP layers), NOLA at LoRA QV r=1's count
/// (k = l = `kR1` / 3 per site, six sites where Q,V has two). They ask whether the small adapters
/// trail full fine-tuning because Q and V are the wrong places (QLoRA, Dettmers et al. 2023, found
/// LoRA needs every linear layer to match full fine-tuning).
func siteProbeRows(kR1: Int) -> [Row] {
    [
        Row(name: "LoRA all r=1", slug: "lora_all_r1", method: .lora(rank: 1, c: 1), sites: .all, family: "LoRA all", trains: true, probe: true),
        Row(name: "NOLA all = LoRA QV r=1", slug: "nola_all_1", method: nola(8, kR1 / 3), sites: .all, family: "NOLA all", trains: true, probe: true),
    ]
}

/// Table 3's rows (NOLA QV at LoRA r=1's budget: ranks 1, 2, 4, 8, c = 0.5 below rank 4 as the
/// paper; then rank 8 with the budget halved three times), each with the paper's BLEU (GPT-2 M / L).
/// Three of them are Table 1's rows under their Table 1 slugs (their jobs are shared).
func table3Rows(kR1: Int) -> [(row: Row, paper: String)] {
    func t3(_ name: String, _ slug: String, _ method: AdapterMethod) -> Row {
        Row(name: name, slug: slug, method: method, sites: .queryValue, family: "t3", trains: true)
    }
    return [
        (t3("r=1, k=l=\(kR1)", "t3_r1", nola(1, kR1, c: 0.5)), "69.09 / 69.71"),
        (t3("r=2, k=l=\(kR1)", "t3_r2", nola(2, kR1, c: 0.5)), "70.47 / 69.69"),
        (t3("r=4, k=l=\(kR1)", "t3_r4", nola(4, kR1)), "69.69 / 70.25"),
        (t3("r=8, k=l=\(kR1)", "nola_qv_1", nola(8, kR1)), "70.03 / 70.46"),
        (t3("r=8, k=l=\(kR1 / 2)", "nola_qv_half", nola(8, kR1 / 2)), "70.09 / —"),
        (t3("r=8, k=l=\(kR1 / 4)", "nola_qv_quarter", nola(8, kR1 / 4)), "68.30 / —"),
        (t3("r=8, k=l=\(kR1 / 8)", "t3_eighth", nola(8, kR1 / 8)), "67.18 / —"),
    ]
}

/// The rows of the base-quality sweep (cell 9): full fine-tuning, LoRA r=1 and NOLA QV at 1, ½
/// and ¼ of LoRA r=1's count (slugs of Table 1).
let sweepSlugs = ["full", "lora_r1", "nola_qv_1", "nola_qv_half", "nola_qv_quarter"]
