#!/usr/bin/env python3
"""Reference scores for NOLAKit's E2E metrics, from the Python packages the challenge's scorer
builds on. Used by Tests/NOLAKitTests/TextMetricsCrossCheckTests.swift when they are installed:

    pip install sacrebleu nltk pycocoevalcap     (pycocoevalcap also needs java for its tokenizer)

Input: a JSON file {"hypotheses": [str], "references": [[str]]}. Output (stdout): one JSON object
with
  bleu        sacrebleu corpus BLEU with mteval-v13a tokenisation and mteval's "exp" smoothing,
              on ASCII-lower-cased text (mteval's `tr/[A-Z]/[a-z]/`), instances with fewer
              references padded with None (which sacrebleu skips, as the challenge's adapted
              mteval skips its empty padding);
  nist_first  nltk corpus NIST-5 on the same tokens, each hypothesis against its FIRST reference
              only (with several references nltk's NIST is a different formula; with one it is
              mteval's);
  rouge_l     pycocoevalcap ROUGE-L and
  cider       pycocoevalcap CIDEr(-D), both on pycocoevalcap's own Java PTB tokenisation, as
              COCOEvalCap.evaluate() runs them;
  coco_tokens the tokenised hypotheses and references that the COCO scorers saw.
"""
import json
import sys


def ascii_lower(s):
    return s.translate({c: c + 32 for c in range(65, 91)})


def main(path):
    data = json.load(open(path, encoding="utf-8"))
    hyps = [h.strip() for h in data["hypotheses"]]
    refs = [[r.strip() for r in rs] for rs in data["references"]]
    out = {}

    from sacrebleu.metrics import BLEU
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
    width = max(len(rs) for rs in refs)
    streams = [[ascii_lower(rs[k]) if k < len(rs) else None for rs in refs] for k in range(width)]
    bleu = BLEU(tokenize="13a", smooth_method="exp", lowercase=False, force=True)
    out["bleu"] = bleu.corpus_score([ascii_lower(h) for h in hyps], streams).score / 100

    from nltk.translate.nist_score import corpus_nist
    tok = Tokenizer13a()
    out["nist_first"] = corpus_nist([[tok(ascii_lower(rs[0])).split()] for rs in refs],
                                    [tok(ascii_lower(h)).split() for h in hyps], n=5)

    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.cider.cider import Cider
    gts = {i: [{"caption": r} for r in rs] for i, rs in enumerate(refs)}
    res = {i: [{"caption": h}] for i, h in enumerate(hyps)}
    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize(gts)
    res = tokenizer.tokenize(res)
    out["rouge_l"] = float(Rouge().compute_score(gts, res)[0])
    out["cider"] = float(Cider().compute_score(gts, res)[0])
    out["coco_tokens"] = {"hypotheses": [res[i][0] for i in range(len(hyps))],
                          "references": [gts[i] for i in range(len(refs))]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    from nola_adapter import OneLineParser, run  # beside this file: the project's command-line conventions
    parser = OneLineParser(description="Reference scores for NOLAKit's E2E metrics (see the docstring).")
    parser.add_argument("json", help='a JSON file {"hypotheses": [str], "references": [[str]]}')
    sys.exit(run(lambda argv: main(parser.parse_args(argv).json) or 0, sys.argv[1:]))
