#!/usr/bin/env python3
"""Times the training steps of NOLA Lessons' speed table in PyTorch (CPU).

The same work as the Swift side (`swift run -c release step-times` in Benchmarks/):
an MLP 784-256-10 (ReLU) on a batch of 512, softmax cross-entropy, one plain SGD step
(learning rate 0.01, no momentum), for

    dense            every weight and bias trains
    lora             LoRA r=1 (c=1) on fc1 and fc2, the base frozen
    nola-per-layer   NOLA r=4, k=l=16 (c=1): each layer keeps its own basis in memory
    nola-shared      the same, one basis per layer shape (this MLP's two layers differ in shape,
                     so it holds the same tensors as per-layer)
    nola-on-the-fly  the same, the basis regenerated from its seed on every step
    pranc            PRANC n=32 per layer (s=1), the basis in memory

Each step is timed on its own (time.perf_counter) after a warm-up; the script prints the median
and the quartiles in milliseconds. CPU only, 2 threads and flush-denormal on unless told otherwise.

    python3 Benchmarks/pytorch/steps.py                  # a table
    python3 Benchmarks/pytorch/steps.py --json           # one JSON object (read by the Swift side)
    python3 Benchmarks/pytorch/steps.py --methods dense --steps 100

Each PyTorch module below is written the way a PyTorch user would write it (autograd does the
backward pass); the random bases use torch's own generator, so the numbers differ from the Swift
side's Philox bases while the shapes and the arithmetic are the same.
"""

import json
import math
import os
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError:  # one clear line, as every tool of the project
    sys.stderr.write("error: PyTorch is not installed: pip install torch (CPU wheel), then run again.\n")
    sys.exit(2)

# The project's command-line conventions (one line and exit 64 for a bad argument, exit 1 for
# output that could not be written), from the adapter reader beside the Swift sources.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "Python"))
from nola_adapter import OneLineParser, run  # noqa: E402

METHODS = ["dense", "lora", "nola-per-layer", "nola-shared", "nola-on-the-fly", "pranc"]
BATCH, SIZES = 512, [784, 256, 10]


class LoRALinear(nn.Module):
    """y = base(x) + (c/r) (x Aᵀ) Bᵀ, A (r, in) Kaiming-uniform, B (out, r) zeros."""

    def __init__(self, base: nn.Linear, rank: int, c: float = 1.0):
        super().__init__()
        self.base, self.scale = base, c / rank
        self.a = nn.Parameter(torch.empty(rank, base.in_features).uniform_(-1, 1) / math.sqrt(base.in_features))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        return self.base(x) + self.scale * (x @ self.a.t()) @ self.b.t()


class NOLABasis:
    """k matrices (rows, cols), Uniform(-1, 1), kept in memory or regenerated from a seed."""

    def __init__(self, count, rows, cols, seed, on_the_fly):
        self.shape, self.seed, self.on_the_fly = (count, rows * cols), seed, on_the_fly
        self.rows, self.cols = rows, cols
        self.stored = None if on_the_fly else self.generate()

    def generate(self):
        g = torch.Generator().manual_seed(self.seed)
        return torch.rand(self.shape, generator=g) * 2 - 1

    def combine(self, coefficients):
        """Σ_i c_i M_i as a (rows, cols) matrix; autograd keeps the basis for ∂/∂c."""
        basis = self.generate() if self.on_the_fly else self.stored
        return (coefficients @ basis).view(self.rows, self.cols)


class NOLALinear(nn.Module):
    """y = base(x) + (c/r) (x Aᵀ) Bᵀ with A = A0 + Σ α_i A_i, B = Σ β_j B_j; only α, β train."""

    def __init__(self, base: nn.Linear, rank, basis_a: NOLABasis, basis_b: NOLABasis, c=1.0):
        super().__init__()
        self.base, self.scale, self.basis_a, self.basis_b = base, c / rank, basis_a, basis_b
        self.register_buffer("a0", torch.empty(rank, base.in_features).uniform_(-1, 1) / math.sqrt(base.in_features))
        self.alpha = nn.Parameter(torch.zeros(basis_a.shape[0]))
        self.beta = nn.Parameter(torch.zeros(basis_b.shape[0]))

    def forward(self, x):
        a = self.a0 + self.basis_a.combine(self.alpha)
        b = self.basis_b.combine(self.beta)
        return self.base(x) + self.scale * (x @ a.t()) @ b.t()


class PRANCLinear(nn.Module):
    """y = x (W + ΔW)ᵀ + b with ΔW = s Σ α_i W_i over n full-size random W_i; only α trains."""

    def __init__(self, base: nn.Linear, n, seed, s=1.0):
        super().__init__()
        self.base, self.s = base, s
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("basis", torch.rand((n, base.out_features * base.in_features), generator=g) * 2 - 1)
        self.alpha = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        delta = (self.s * self.alpha @ self.basis).view_as(self.base.weight)
        return F.linear(x, self.base.weight + delta, self.base.bias)


def make_model(method):
    torch.manual_seed(1)
    fc1, fc2 = nn.Linear(SIZES[0], SIZES[1]), nn.Linear(SIZES[1], SIZES[2])
    if method == "dense":
        return nn.Sequential(fc1, nn.ReLU(), fc2)
    for p in list(fc1.parameters()) + list(fc2.parameters()):
        p.requires_grad_(False)
    if method == "lora":
        return nn.Sequential(LoRALinear(fc1, 1), nn.ReLU(), LoRALinear(fc2, 1))
    if method == "pranc":
        return nn.Sequential(PRANCLinear(fc1, 32, seed=11), nn.ReLU(), PRANCLinear(fc2, 32, seed=12))
    rank, k, l = 4, 16, 16
    shared = {}

    def bases(layer, seed):
        key = (layer.out_features, layer.in_features)
        if method == "nola-shared" and key in shared:
            return shared[key]
        made = (NOLABasis(k, rank, layer.in_features, seed, method == "nola-on-the-fly"),
                NOLABasis(l, layer.out_features, rank, seed + 1, method == "nola-on-the-fly"))
        shared[key] = made
        return made

    return nn.Sequential(NOLALinear(fc1, rank, *bases(fc1, 21)), nn.ReLU(), NOLALinear(fc2, rank, *bases(fc2, 23)))


def step_milliseconds(method, steps, warmup, clock=time.perf_counter):
    model = make_model(method)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=0.01)
    g = torch.Generator().manual_seed(1)
    x = torch.rand((BATCH, SIZES[0]), generator=g) * 2 - 1
    y = torch.arange(BATCH) % SIZES[-1]
    times = []
    for i in range(warmup + steps):
        start = clock()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        elapsed = clock() - start
        if not math.isfinite(loss.item()):
            raise SystemExit(f"error: {method}: the loss became {loss.item()}")
        if i >= warmup:
            times.append(elapsed * 1e3)
    q = statistics.quantiles(times, n=4)
    return {"median": statistics.median(times), "q1": q[0], "q3": q[2], "best": min(times),
            "trainable": sum(p.numel() for p in trainable)}


def main():
    parser = OneLineParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated, from: " + ", ".join(METHODS))
    parser.add_argument("--steps", type=int, default=200, help="timed steps per method (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first (default 20)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall (default) or cpu: the thread's CPU time, steady on a busy machine (needs --threads 1)")
    parser.add_argument("--keep-denormals", action="store_true", help="do not call torch.set_flush_denormal(True)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or args.steps < 4 or args.warmup < 0 or args.threads < 1:
        parser.error(f"unknown method {unknown[0]!r}" if unknown else "--steps ≥ 4, --warmup ≥ 0, --threads ≥ 1")
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu counts one thread's time: add --threads 1")

    torch.set_num_threads(args.threads)
    flushing = False if args.keep_denormals else torch.set_flush_denormal(True)
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    results = {m: step_milliseconds(m, args.steps, args.warmup, clock) for m in methods}
    if args.json:
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "flush_denormal": flushing,
                          "clock": args.clock,
                          "steps": args.steps, "batch": BATCH, "ms": results}))
        return
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, flush denormal {flushing}, "
          f"batch {BATCH}, {args.steps} timed steps each (ms per step, {args.clock} clock)")
    print(f"{'method':<17} {'trainable':>9} {'median':>8} {'q1':>8} {'q3':>8} {'best':>8}")
    for m, r in results.items():
        print(f"{m:<17} {r['trainable']:>9} {r['median']:8.3f} {r['q1']:8.3f} {r['q3']:8.3f} {r['best']:8.3f}")


if __name__ == "__main__":
    # Output lost to a full disk or a closed pipe: one line and exit 1, as every tool of the project.
    sys.exit(run(lambda argv: main() or 0, sys.argv[1:]))
