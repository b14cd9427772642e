#!/usr/bin/env python3
"""Times one ResNet-20 training step in PyTorch (CPU): the reference for the Swift ResNet's speed.

The model is resnet_reference.ResNet (the ResNet paper's CIFAR ResNet-20, the Swift model's
names) on one-channel 28 x 28 digits, 10 classes. One step: zero the gradients, forward in
training mode (BatchNorm with the batch's statistics), mean cross-entropy, backward, Adam (rate
1e-3). Settings, as in the Swift benchmark (`swift run -c release resnet-speed`):

    dense  every parameter trains (269,434)
    nola   NOLA on every kernel's (3 out, 3 in) matrix, rank 64, k = l = 250, and on the
           classifier, k = l = 1,000; BatchNorm's gamma and beta train (12,876); the random
           bases are in memory, one per matrix shape, as on the Swift side

    python3 resnet_step.py                      # batch 256, 20 steps after 3 warm-up steps
    python3 resnet_step.py --steps 10 --json    # one JSON line per setting (read by resnet-speed)

Threads: 2 (torch.set_num_threads), denormals flushed (torch.set_flush_denormal(True)).
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from resnet_reference import Conv, Linear, ResNet


class NOLA(nn.Module):
    """dM = (c/r) B A, A = A0 + sum alpha_i A_i, B = sum beta_j B_j, bases shared by shape."""

    def __init__(self, m, n, rank, k, bases, generator):
        super().__init__()
        if (m, n) not in bases:
            bases[(m, n)] = ((torch.rand(k, rank, n, generator=generator) * 2 - 1),
                             (torch.rand(k, m, rank, generator=generator) * 2 - 1))
        basis_a, basis_b = bases[(m, n)]
        self.register_buffer("basis_a", basis_a)
        self.register_buffer("basis_b", basis_b)
        self.register_buffer("a0", (torch.rand(rank, n, generator=generator) * 2 - 1) / math.sqrt(n))
        self.alpha = nn.Parameter(torch.zeros(k))
        self.beta = nn.Parameter(torch.zeros(k))
        self.scale = 1.0 / rank

    def forward(self):
        a = self.a0 + torch.tensordot(self.alpha, self.basis_a, 1)
        b = torch.tensordot(self.beta, self.basis_b, 1)
        return self.scale * (b @ a)


def make_model(setting, seed):
    torch.manual_seed(seed)
    model = ResNet(1, [16, 32, 64], 3, 10)
    for sub in model.modules():
        if isinstance(sub, Conv):
            bound = 1 / math.sqrt(sub.shape[1] * sub.shape[2] * sub.shape[3])
            nn.init.uniform_(sub.weight, -bound, bound)
        elif isinstance(sub, Linear):
            bound = 1 / math.sqrt(sub.weight.shape[1])
            nn.init.uniform_(sub.weight, -bound, bound)
            nn.init.uniform_(sub.bias, -bound, bound)
    if setting == "nola":
        generator = torch.Generator().manual_seed(seed + 1)
        bases = {}
        for p in model.parameters():
            p.requires_grad_(False)
        for sub in model.modules():
            if isinstance(sub, nn.BatchNorm2d):
                sub.weight.requires_grad_(True)
                sub.bias.requires_grad_(True)
            elif isinstance(sub, (Conv, Linear)):
                m, n = sub.weight.shape
                sub.adapter = NOLA(m, n, 64, 1000 if isinstance(sub, Linear) else 250, bases, generator)
    return model


def time_steps(setting, args):
    model = make_model(setting, seed=1)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    g = torch.Generator().manual_seed(3)
    x = torch.rand(args.batch, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (args.batch,), generator=g)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
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
    return {"setting": setting, "median_ms": 1000 * statistics.median(seconds), "min_ms": 1000 * min(seconds),
            "cpu_median_ms": 1000 * statistics.median(cpu), "steps": args.steps,
            "trainable": sum(p.numel() for p in params),
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--settings", default="dense,nola")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    for setting in args.settings.split(","):
        result = time_steps(setting, args)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"{setting:5s}  {result['median_ms']:8.1f} ms/step wall, {result['cpu_median_ms']:8.1f} ms CPU "
                  f"(median of {args.steps}, min {result['min_ms']:.1f}), {result['trainable']:,} trainable", flush=True)


if __name__ == "__main__":
    main()
