#!/usr/bin/env python3
"""Times one GPT training step in PyTorch (CPU): the reference for the Swift GPT's speed.

The model is gpt_reference.GPT (GPT-2's architecture, the Swift model's names) with PyTorch's
fused causal attention (F.scaled_dot_product_attention). One step: zero the gradients, forward,
token cross-entropy, backward, clip the global gradient norm at 1, AdamW. Three settings, as in
the Swift benchmark (`swift run -c release gpt-speed`):

    full   every weight trains
    lora   LoRA r=4 (c=1) on the query and value slices of every c_attn; the rest frozen
    nola   NOLA r=4, k=l=64 (c=1) there, each site with its own materialized random basis

    python3 gpt_step.py                      # defaults: 4 layers, d 128, 4 heads, V 2048, 32 x 64
    python3 gpt_step.py --steps 30 --json    # one JSON line per setting (read by gpt-speed)
    python3 gpt_step.py --matmul --json      # torch.mm at n = 1,024: PyTorch's own BLAS, the
                                             # yardstick beside OpenBLAS's sgemm in gpt-speed

Threads: 2 (torch.set_num_threads), denormals flushed (torch.set_flush_denormal(True)).
"""
import json
import math
import resource
import statistics
import sys
import time

import torch

from gpt_reference import GPT, GPTConfig, LoRA, NOLA
from nola_adapter import OneLineParser, run  # importable once gpt_reference has put Sources/Python on the path


def attach(model, method, rank, k, seed):
    """LoRA or NOLA on every query and value slice, as the Swift side attaches them."""
    g = torch.Generator().manual_seed(seed)
    d = model.cfg.n_embd
    for p in model.parameters():
        p.requires_grad_(False)
    for i, block in enumerate(model.h):
        for part, start in (("q", 0), ("v", 2 * d)):
            bound = 1 / math.sqrt(d)
            a = ((torch.rand(rank, d, generator=g) * 2 - 1) * bound).numpy()
            if method == "lora":
                module = LoRA(a, torch.zeros(d, rank).numpy(), 1.0)
            else:
                module = NOLA(a, (torch.rand(k, rank, d, generator=g) * 2 - 1).numpy(),
                              (torch.rand(k, d, rank, generator=g) * 2 - 1).numpy(),
                              torch.zeros(k).numpy(), torch.zeros(k).numpy(), 1.0)
            block.attn.c_attn.add_adapter(f"{part}_adapter", start, start + d, module)


def time_steps(setting, args):
    torch.manual_seed(0)
    cfg = GPTConfig(args.layers, args.embd, args.heads, args.vocab, args.context)
    model = GPT(cfg)
    model.init_gpt2(seed=1)
    if setting != "full":
        attach(model, setting, args.rank, args.k, seed=2)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    g = torch.Generator().manual_seed(3)
    tokens = torch.randint(0, args.vocab, (args.batch, args.tokens + 1), generator=g)
    x, y = tokens[:, :-1], tokens[:, 1:]

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(x, fast=True)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, args.vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    seconds, cpu = [], []
    for _ in range(args.steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    trainable = sum(p.numel() for p in params)
    return {"setting": setting, "median_ms": 1000 * statistics.median(seconds),
            "min_ms": 1000 * min(seconds), "cpu_median_ms": 1000 * statistics.median(cpu),
            "steps": args.steps, "trainable": trainable,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def time_matmul(n=1024):
    """GFLOPS of torch.mm on two n x n float32 matrices: the best of 5 timings of 3 products,
    as gpt-speed times OpenBLAS's sgemm (PyTorch's wheel multiplies with its own BLAS)."""
    a = (torch.arange(n * n, dtype=torch.float32) % 13 * 0.1 - 0.6).reshape(n, n)
    c = torch.empty(n, n)
    torch.mm(a, a, out=c)
    best, best_cpu = math.inf, math.inf
    for _ in range(5):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(3):
            torch.mm(a, a, out=c)
        best = min(best, (time.perf_counter() - start) / 3)
        best_cpu = min(best_cpu, (time.process_time() - cpu_start) / 3)
    return {"setting": "matmul", "n": n, "gflops": 2 * n ** 3 / best / 1e9,
            "cpu_gflops": 2 * n ** 3 / best_cpu / 1e9}


def main():
    parser = OneLineParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--embd", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=64, help="tokens per sequence")
    parser.add_argument("--rank", type=int, default=4)
    parser.add_argument("--k", type=int, default=64, help="NOLA's k = l")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--settings", default="full,lora,nola")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--matmul", action="store_true",
                        help="time torch.mm at n = 1024 instead of the training steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    if args.matmul:
        result = time_matmul()
        print(json.dumps(result) if args.json else
              f"torch.mm n = 1024: {result['gflops']:.1f} GFLOPS on {args.threads} thread(s)", flush=True)
        return
    for setting in args.settings.split(","):
        result = time_steps(setting, args)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{setting:5s}  {result['median_ms']:7.1f} ms/step (median of {args.steps}, "
                  f"min {result['min_ms']:.1f}), {result['trainable']:,} trainable", flush=True)


if __name__ == "__main__":
    sys.exit(run(lambda argv: main() or 0, sys.argv[1:]))  # output lost to a full disk: one line, exit 1
