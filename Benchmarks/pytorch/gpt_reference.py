#!/usr/bin/env python3
"""The Swift GPT (Sources/NOLAKit/Transformer) defined again in PyTorch, and checked against it.

The architecture is GPT-2's: token + position embeddings; pre-LN blocks
(ln_1 -> fused c_attn (3d, d) -> causal multi-head attention -> c_proj -> residual;
ln_2 -> c_fc (4d) -> GELU(tanh) -> c_proj -> residual); final LayerNorm; logits = x wte^T.
Parameter names are the Swift names (wte.weight, h.0.attn.c_attn.weight, ...), so a Swift
checkpoint loads one to one. Adapters sit where the Swift model puts them: LoRA or NOLA on the
query (outputs 0..d) and value (2d..3d) slices of c_attn, or on whole MLP layers; NOLA's random
bases are regenerated from the adapter file's seed by Sources/Python/nola_adapter.py.

    python3 gpt_reference.py CASE_FOLDER...     # check cases written by the Swift test

A case folder (written by Tests/NOLAKitTests/TransformerPyTorchTests.swift) holds:
    model.safetensors     the Swift checkpoint (configuration in its metadata)
    adapter.safetensors   optional: the adapter file (LoRA or NOLA), attached before the step
    batch.safetensors     tokens (B, T) I32, lengths (B) I32, loss_mask (B, T) F32, targets (B, T) I32,
                          and the step's settings in its metadata (lr, beta1, beta2, eps, weight_decay,
                          clip, label_smoothing)
    expected.safetensors  Swift's logits (B*T, V) before the step, its loss and gradient norm, every
                          trainable tensor's gradient after clipping (grad.<name>) and value after
                          one AdamW step (after.<name>)
The script rebuilds the model, computes logits and loss, backpropagates, clips, takes one AdamW
step, and prints the largest relative differences (max |ours - theirs| / max |theirs| per tensor);
exit status 1 when any exceeds 1e-4.

Needs torch, numpy, safetensors.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "Python"))
import nola_adapter  # noqa: E402  (Philox, the seed rule, adapter files)


# --- the model --------------------------------------------------------------------------------

class GPTConfig:
    def __init__(self, n_layer, n_embd, n_head, vocab_size, n_ctx):
        self.n_layer, self.n_embd, self.n_head = n_layer, n_embd, n_head
        self.vocab_size, self.n_ctx = vocab_size, n_ctx

    @staticmethod
    def from_metadata(meta):
        return GPTConfig(int(meta["n_layer"]), int(meta["n_embd"]), int(meta["n_head"]),
                         int(meta["vocab_size"]), int(meta["n_ctx"]))


class LoRA(nn.Module):
    """dW = (c/r) B A; forward (c/r) (x A^T) B^T."""

    def __init__(self, a, b, c):
        super().__init__()
        self.lora_A = nn.Parameter(torch.tensor(a))
        self.lora_B = nn.Parameter(torch.tensor(b))
        self.scale = c / a.shape[0]

    def forward(self, x):
        return (x @ self.lora_A.t()) @ self.lora_B.t() * self.scale


class NOLA(nn.Module):
    """A = A0 + sum_i alpha_i A_i, B = sum_j beta_j B_j (frozen random bases), dW = (c/r) B A."""

    def __init__(self, a0, basis_a, basis_b, alpha, beta, c):
        super().__init__()
        self.register_buffer("a0", torch.tensor(a0))
        self.register_buffer("basis_a", torch.tensor(basis_a))  # (k, r, in)
        self.register_buffer("basis_b", torch.tensor(basis_b))  # (l, out, r)
        self.nola_alpha = nn.Parameter(torch.tensor(alpha))
        self.nola_beta = nn.Parameter(torch.tensor(beta))
        self.scale = c / a0.shape[0]

    def forward(self, x):
        k, r, n = self.basis_a.shape
        l, m, _ = self.basis_b.shape
        a = self.a0 + (self.nola_alpha @ self.basis_a.reshape(k, r * n)).reshape(r, n)
        b = (self.nola_beta @ self.basis_b.reshape(l, m * r)).reshape(m, r)
        return (x @ a.t()) @ b.t() * self.scale


class AdaptedLinear(nn.Linear):
    """nn.Linear plus adapters on blocks of its outputs: y[..., s:e] += adapter(x)."""

    def __init__(self, n_in, n_out):
        super().__init__(n_in, n_out)
        self.slices = []  # (start, end, module name)

    def add_adapter(self, name, start, end, module):
        self.add_module(name, module)
        self.slices.append((start, end, name))

    def forward(self, x):
        y = super().forward(x)
        if not self.slices:
            return y
        pieces, at = [], 0
        for start, end, name in sorted(self.slices):
            if start > at:
                pieces.append(torch.zeros(*y.shape[:-1], start - at, dtype=y.dtype))
            pieces.append(getattr(self, name)(x))
            at = end
        if at < y.shape[-1]:
            pieces.append(torch.zeros(*y.shape[:-1], y.shape[-1] - at, dtype=y.dtype))
        return y + torch.cat(pieces, dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = AdaptedLinear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = AdaptedLinear(cfg.n_embd, cfg.n_embd)

    def forward(self, x, key_mask, fast):
        """x: (B, T, d). key_mask: (B, T) bool, True at real positions, or None (all real)."""
        B, T, d = x.shape
        hs = d // self.n_head
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))  # (B, H, T, hs)
        if fast:  # the benchmark: every sequence full, PyTorch's fused causal attention
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
            allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]
            if key_mask is not None:
                allowed = allowed & key_mask[:, None, None, :] & key_mask[:, None, :, None]
            scores = scores.masked_fill(~allowed, float("-inf"))
            p = torch.softmax(scores, dim=-1)
            p = torch.nan_to_num(p, nan=0.0)  # a padded query attends to nothing: its row is zero
            y = p @ v
        y = y.transpose(1, 2).contiguous().view(B, T, d)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = AdaptedLinear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = AdaptedLinear(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = MLP(cfg)

    def forward(self, x, key_mask, fast):
        x = x + self.attn(self.ln_1(x), key_mask, fast)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_ctx, cfg.n_embd)
        self.h = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)

    def init_gpt2(self, seed=0):
        """GPT-2's initialisation (torch's generator; for the benchmark only)."""
        g = torch.Generator().manual_seed(seed)
        for name, p in self.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            else:
                std = 0.02 / math.sqrt(2 * self.cfg.n_layer) if name.endswith("c_proj.weight") else 0.02
                with torch.no_grad():
                    p.normal_(0, std, generator=g)

    def forward(self, idx, lengths=None, fast=False):
        """idx: (B, T) token ids -> logits (B, T, V). lengths: (B) real lengths, or None."""
        B, T = idx.shape
        key_mask = None
        if lengths is not None:
            key_mask = torch.arange(T)[None, :] < lengths[:, None]
        x = self.wte(idx) + self.wpe(torch.arange(T))[None]
        for block in self.h:
            x = block(x, key_mask, fast)
        return self.ln_f(x) @ self.wte.weight.t()

    def linear(self, name):
        """The AdaptedLinear called `name` (h.0.attn.c_attn, h.1.mlp.c_fc, ...)."""
        module = self
        for part in name.split("."):
            module = module[int(part)] if part.isdigit() else getattr(module, part)
        return module


SITE_PARTS = {"q": 0, "k": 1, "v": 2}


def site_layer(cfg, site):
    """(layer name, output range) of an adapter site: h.0.attn.c_attn.q -> (h.0.attn.c_attn, 0..d)."""
    head, _, last = site.rpartition(".")
    if last in SITE_PARTS and head.endswith("c_attn"):
        d = cfg.n_embd
        return head, SITE_PARTS[last] * d, (SITE_PARTS[last] + 1) * d
    return site, None, None


def attach_adapters(model, path):
    """Attaches the adapters of a Swift adapter file (LoRA or NOLA), trainable, to `model`."""
    meta, tensors = nola_adapter.read_adapter(path)
    root, method = int(meta["root_seed"]), meta["method"]
    for entry in json.loads(meta["layers"]):
        name, m, n = entry["name"], entry["outputs"], entry["inputs"]
        r, c = int(meta["rank"]), float(meta["c"])
        if method == "lora":
            module = LoRA(tensors[f"{name}.lora_A"].reshape(r, n), tensors[f"{name}.lora_B"].reshape(m, r), c)
        elif method == "nola":
            k, l = int(meta["k"]), int(meta["l"])
            seed = nola_adapter.layer_seed(root, name)
            basis_seed = nola_adapter.layer_seed(root, f"basis:{m}x{n}")
            module = NOLA(nola_adapter.kaiming_uniform(seed, nola_adapter.STREAM_A0, r, n),
                          nola_adapter.basis(basis_seed, nola_adapter.STREAM_NOLA_A, k, r, n),
                          nola_adapter.basis(basis_seed, nola_adapter.STREAM_NOLA_B, l, m, r),
                          tensors[f"{name}.nola_alpha"].reshape(k), tensors[f"{name}.nola_beta"].reshape(l), c)
        else:
            raise ValueError(f"{path}: method {method} is not supported by this check")
        layer, start, end = site_layer(model.cfg, name)
        linear = model.linear(layer)
        if start is None:
            start, end = 0, linear.out_features
        linear.add_adapter(name.rpartition(".")[2] + "_adapter" if start or end != linear.out_features
                           else "adapter", start, end, module)
        module.site = name


def adapter_parameters(model):
    """{Swift name: parameter} of every adapter tensor (h.0.attn.c_attn.q.lora_A, ...)."""
    out = {}
    for module in model.modules():
        if isinstance(module, (LoRA, NOLA)):
            for pname, p in module.named_parameters(recurse=False):
                out[f"{module.site}.{pname}"] = p
    return out


def masked_token_loss(logits, targets, mask, label_smoothing=0.0):
    """Mean cross-entropy over the positions where mask is 1. logits (B, T, V)."""
    V = logits.shape[-1]
    per = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1).clamp(min=0), reduction="none",
                          label_smoothing=label_smoothing)
    mask = mask.reshape(-1)
    return (per * mask).sum() / mask.sum()


# --- the check --------------------------------------------------------------------------------

def load_safetensors(path):
    from safetensors import safe_open
    with safe_open(path, framework="numpy") as f:
        return (f.metadata() or {}), {k: f.get_tensor(k) for k in f.keys()}


def worse(diff, worst):
    """Whether diff is a worse difference than worst: a NaN is worse than anything, and stays worst."""
    return not math.isnan(worst) and (math.isnan(diff) or diff > worst)


def relative_difference(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-12))


def check(folder, tolerance=1e-4):
    torch.set_num_threads(2)
    meta, weights = load_safetensors(os.path.join(folder, "model.safetensors"))
    cfg = GPTConfig.from_metadata(meta)
    model = GPT(cfg)
    state = {name: torch.tensor(value.reshape(p.shape)) for (name, p), value in
             ((np_, weights[np_[0]]) for np_ in model.named_parameters())}
    missing = set(weights) - set(state)
    if missing:
        raise ValueError(f"checkpoint has tensors the PyTorch model lacks: {sorted(missing)[:5]}")
    model.load_state_dict(state, strict=True)

    adapter_path = os.path.join(folder, "adapter.safetensors")
    adapted = os.path.exists(adapter_path)
    if adapted:
        for p in model.parameters():
            p.requires_grad_(False)
        attach_adapters(model, adapter_path)
        trainable = adapter_parameters(model)
    else:
        trainable = dict(model.named_parameters())

    bmeta, batch = load_safetensors(os.path.join(folder, "batch.safetensors"))
    tokens = torch.tensor(batch["tokens"].astype(np.int64))
    targets = torch.tensor(batch["targets"].astype(np.int64))
    lengths = torch.tensor(batch["lengths"].astype(np.int64))
    mask = torch.tensor(batch["loss_mask"].astype(np.float32))
    _, expected = load_safetensors(os.path.join(folder, "expected.safetensors"))

    logits = model(tokens, lengths)
    B, T, V = logits.shape
    real = (torch.arange(T)[None, :] < lengths[:, None]).reshape(-1).numpy()
    swift_logits = expected["logits"].reshape(B * T, V)
    logits_diff = relative_difference(swift_logits[real], logits.detach().reshape(B * T, V).numpy()[real])
    loss = masked_token_loss(logits, targets, mask, float(bmeta.get("label_smoothing", "0")))
    loss_diff = relative_difference(expected["loss"], loss.detach().numpy())

    names = sorted(trainable)
    params = [trainable[n] for n in names]
    optimizer = torch.optim.AdamW(params, lr=float(bmeta["lr"]),
                                  betas=(float(bmeta["beta1"]), float(bmeta["beta2"])),
                                  eps=float(bmeta["eps"]), weight_decay=float(bmeta["weight_decay"]))
    optimizer.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, float(bmeta["clip"]))
    norm_diff = relative_difference(expected["grad_norm"], norm.detach().numpy())
    grad_name, grad_worst = None, 0.0
    for name in names:
        diff = relative_difference(expected[f"grad.{name}"].reshape(trainable[name].shape), trainable[name].grad.numpy())
        if worse(diff, grad_worst):
            grad_name, grad_worst = name, diff
    optimizer.step()

    worst_name, worst = None, 0.0
    for name in names:
        key = f"after.{name}"
        if key not in expected:
            raise ValueError(f"expected.safetensors has no {key}")
        diff = relative_difference(expected[key].reshape(trainable[name].shape), trainable[name].detach().numpy())
        if worse(diff, worst):
            worst_name, worst = name, diff
    kind = "adapter " + json.dumps(nola_adapter.read_adapter(adapter_path)[0]["method"]) if adapted else "full fine-tuning"
    print(f"{folder}: {kind}, {len(names)} trainable tensors")
    print(f"  logits      max relative difference {logits_diff:.3g}")
    print(f"  loss        relative difference {loss_diff:.3g} (PyTorch {loss.item():.6f})")
    print(f"  grad norm   relative difference {norm_diff:.3g} (PyTorch {norm.item():.6f})")
    print(f"  gradients   max relative difference {grad_worst:.3g} ({grad_name}), after clipping")
    print(f"  after AdamW max relative difference {worst:.3g} ({worst_name})")
    # Every difference within the tolerance; a NaN anywhere fails (max() would let one through).
    ok = all(d <= tolerance for d in (logits_diff, loss_diff, norm_diff, grad_worst, worst))
    print("match: within %.0e" % tolerance if ok else "MISMATCH: above %.0e" % tolerance)
    return 0 if ok else 1


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    return max(check(folder) for folder in argv)


if __name__ == "__main__":
    # Output lost to a full disk or a closed pipe: one line and exit 1 (nola_adapter.run).
    sys.exit(nola_adapter.run(main, sys.argv[1:]))
