#!/usr/bin/env python3
"""The LLaMA architecture written in PyTorch from its definition, and checked against the Swift
model (Sources/NOLAKit/Llama) on cases the Swift test writes.

The architecture (Touvron et al. 2023, LLaMA and LLaMA-2; the released modelling code's names):
token embedding (no position table); blocks of
    x = x + o_proj(attention(RoPE(q_proj(RMSNorm(x))), RoPE(k_proj(.)), v_proj(.)))
    x = x + down_proj(silu(gate_proj(RMSNorm(x))) * up_proj(RMSNorm(x)))
with RMSNorm y = x / sqrt(mean(x^2) + eps) * weight (eps 1e-5), rotary embeddings in the
"rotate half" layout (theta_i = 10000^(-2i/hs)), causal attention where H query heads share
G key/value heads (grouped-query attention: each K, V head repeated H/G times), no biases; a
final RMSNorm and an untied lm_head. Parameter names are the Swift (and released) names:
embed_tokens.weight, layers.0.input_layernorm.weight, layers.0.self_attn.q_proj.weight, ...,
norm.weight, lm_head.weight.

LoRA and NOLA sit on all seven projections of every block (paper Table 5); their modules and
NOLA's regenerated random bases come from gpt_reference.py and Sources/Python/nola_adapter.py.

    python3 llama_reference.py CASE_FOLDER...

A case folder (written by Tests/NOLAKitTests/LlamaPyTorchTests.swift) holds
    model.safetensors     the base weights the Swift model computes with — for a packed
                          (16/8/4-bit) base, its dequantized weights — and the configuration
                          in the metadata (config.json's keys)
    adapter.safetensors   optional: a LoRA or NOLA adapter file, attached before the step
    batch.safetensors     tokens, targets, lengths, loss_mask and the step's settings
    expected.safetensors  Swift's logits, loss, gradient norm, every trainable tensor's clipped
                          gradient (grad.<name>) and value after one AdamW step (after.<name>)
The script rebuilds the model, compares logits, loss, gradients and the AdamW step, and prints
the largest relative differences (max |Swift - PyTorch| / max |PyTorch| per tensor); exit
status 1 when any exceeds 1e-4.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "Python"))
import gpt_reference as ref  # noqa: E402  (LoRA and NOLA modules, the loss, file helpers)
import nola_adapter  # noqa: E402


class Config:
    def __init__(self, meta):
        self.layers = int(meta["num_hidden_layers"])
        self.hidden = int(meta["hidden_size"])
        self.intermediate = int(meta["intermediate_size"])
        self.heads = int(meta["num_attention_heads"])
        self.kv_heads = int(meta["num_key_value_heads"])
        self.vocab = int(meta["vocab_size"])
        self.context = int(meta["max_position_embeddings"])
        self.head_size = self.hidden // self.heads


class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_size, length, base=10000.0):
    """cos, sin: (T, hs), angles computed in float64 as the Swift tables are."""
    inv_freq = base ** (-torch.arange(0, head_size, 2, dtype=torch.float64) / head_size)
    freqs = torch.outer(torch.arange(length, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().float(), emb.sin().float()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Linear(nn.Linear):
    """A bias-free projection plus an optional adapter: y = x W^T + adapter(x)."""

    def __init__(self, n_in, n_out):
        super().__init__(n_in, n_out, bias=False)
        self.adapter = None

    def forward(self, x):
        y = super().forward(x)
        return y if self.adapter is None else y + self.adapter(x)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hs = cfg.head_size
        self.q_proj = Linear(cfg.hidden, cfg.heads * hs)
        self.k_proj = Linear(cfg.hidden, cfg.kv_heads * hs)
        self.v_proj = Linear(cfg.hidden, cfg.kv_heads * hs)
        self.o_proj = Linear(cfg.heads * hs, cfg.hidden)

    def forward(self, x, key_mask):
        cfg = self.cfg
        B, T, _ = x.shape
        hs = cfg.head_size
        q = self.q_proj(x).view(B, T, cfg.heads, hs).transpose(1, 2)
        k = self.k_proj(x).view(B, T, cfg.kv_heads, hs).transpose(1, 2)
        v = self.v_proj(x).view(B, T, cfg.kv_heads, hs).transpose(1, 2)
        cos, sin = rope_tables(hs, T)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = cfg.heads // cfg.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-2, -1)) / (hs ** 0.5)
        allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]
        allowed = allowed & key_mask[:, None, None, :] & key_mask[:, None, :, None]
        p = torch.nan_to_num(torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1), nan=0.0)
        return self.o_proj((p @ v).transpose(1, 2).reshape(B, T, cfg.heads * hs))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = Linear(cfg.hidden, cfg.intermediate)
        self.up_proj = Linear(cfg.hidden, cfg.intermediate)
        self.down_proj = Linear(cfg.intermediate, cfg.hidden)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden)
        self.mlp = MLP(cfg)

    def forward(self, x, key_mask):
        x = x + self.self_attn(self.input_layernorm(x), key_mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab, cfg.hidden)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.hidden)
        self.lm_head = nn.Linear(cfg.hidden, cfg.vocab, bias=False)

    def forward(self, idx, lengths):
        B, T = idx.shape
        key_mask = torch.arange(T)[None, :] < lengths[:, None]
        x = self.embed_tokens(idx)
        for block in self.layers:
            x = block(x, key_mask)
        return self.lm_head(self.norm(x))

    def module(self, name):
        m = self
        for part in name.split("."):
            m = m[int(part)] if part.isdigit() else getattr(m, part)
        return m


def attach_adapters(model, path):
    """The adapters of a Swift adapter file on the projections they name; returns {name: parameter}."""
    meta, tensors = nola_adapter.read_adapter(path)
    root, method, r, c = int(meta["root_seed"]), meta["method"], int(meta["rank"]), float(meta["c"])
    params = {}
    for entry in json.loads(meta["layers"]):
        name, m, n = entry["name"], entry["outputs"], entry["inputs"]
        if method == "lora":
            module = ref.LoRA(tensors[f"{name}.lora_A"].reshape(r, n), tensors[f"{name}.lora_B"].reshape(m, r), c)
        elif method == "nola":
            k, l = int(meta["k"]), int(meta["l"])
            basis_seed = nola_adapter.layer_seed(root, f"basis:{m}x{n}")
            module = ref.NOLA(nola_adapter.kaiming_uniform(nola_adapter.layer_seed(root, name), nola_adapter.STREAM_A0, r, n),
                              nola_adapter.basis(basis_seed, nola_adapter.STREAM_NOLA_A, k, r, n),
                              nola_adapter.basis(basis_seed, nola_adapter.STREAM_NOLA_B, l, m, r),
                              tensors[f"{name}.nola_alpha"].reshape(k), tensors[f"{name}.nola_beta"].reshape(l), c)
        else:
            raise ValueError(f"{path}: method {method} is not supported by this check")
        model.module(name).adapter = module
        for pname, p in module.named_parameters(recurse=False):
            params[f"{name}.{pname}"] = p
    return params, method


def check(folder, tolerance=1e-4):
    torch.set_num_threads(2)
    meta, weights = ref.load_safetensors(os.path.join(folder, "model.safetensors"))
    model = Llama(Config(meta))
    state = {name: torch.tensor(weights[name].reshape(p.shape)) for name, p in model.named_parameters()}
    extra = set(weights) - set(state)
    if extra:
        raise ValueError(f"model.safetensors has tensors the PyTorch model lacks: {sorted(extra)[:5]}")
    model.load_state_dict(state, strict=True)
    adapter_path = os.path.join(folder, "adapter.safetensors")
    if os.path.exists(adapter_path):
        for p in model.parameters():
            p.requires_grad_(False)
        trainable, kind = attach_adapters(model, adapter_path)
        kind = f"{kind} on the {meta.get('base', 'float')} base"
    else:
        trainable, kind = dict(model.named_parameters()), "full fine-tuning"

    bmeta, batch = ref.load_safetensors(os.path.join(folder, "batch.safetensors"))
    tokens = torch.tensor(batch["tokens"].astype(np.int64))
    targets = torch.tensor(batch["targets"].astype(np.int64))
    lengths = torch.tensor(batch["lengths"].astype(np.int64))
    mask = torch.tensor(batch["loss_mask"].astype(np.float32))
    _, expected = ref.load_safetensors(os.path.join(folder, "expected.safetensors"))

    logits = model(tokens, lengths)
    B, T, V = logits.shape
    real = (torch.arange(T)[None, :] < lengths[:, None]).reshape(-1).numpy()
    logits_diff = ref.relative_difference(expected["logits"].reshape(B * T, V)[real], logits.detach().reshape(B * T, V).numpy()[real])
    loss = ref.masked_token_loss(logits, targets, mask)
    loss_diff = ref.relative_difference(expected["loss"], loss.detach().numpy())

    names = sorted(trainable)
    params = [trainable[n] for n in names]
    optimizer = torch.optim.AdamW(params, lr=float(bmeta["lr"]), betas=(float(bmeta["beta1"]), float(bmeta["beta2"])),
                                  eps=float(bmeta["eps"]), weight_decay=float(bmeta["weight_decay"]))
    optimizer.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, float(bmeta["clip"]))
    norm_diff = ref.relative_difference(expected["grad_norm"], norm.detach().numpy())
    grad_name, grad_worst = None, 0.0
    for name in names:
        diff = ref.relative_difference(expected[f"grad.{name}"].reshape(trainable[name].shape), trainable[name].grad.numpy())
        if diff > grad_worst:
            grad_name, grad_worst = name, diff
    optimizer.step()
    step_name, step_worst = None, 0.0
    for name in names:
        diff = ref.relative_difference(expected[f"after.{name}"].reshape(trainable[name].shape), trainable[name].detach().numpy())
        if diff > step_worst:
            step_name, step_worst = name, diff
    print(f"{folder}: {kind}, {len(names)} trainable tensors")
    print(f"  logits      max relative difference {logits_diff:.3g}")
    print(f"  loss        relative difference {loss_diff:.3g} (PyTorch {loss.item():.6f})")
    print(f"  grad norm   relative difference {norm_diff:.3g} (PyTorch {norm.item():.6f})")
    print(f"  gradients   max relative difference {grad_worst:.3g} ({grad_name}), after clipping")
    print(f"  after AdamW max relative difference {step_worst:.3g} ({step_name})")
    ok = max(logits_diff, loss_diff, norm_diff, grad_worst, step_worst) <= tolerance
    print("match: within %.0e" % tolerance if ok else "MISMATCH: above %.0e" % tolerance)
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(max(check(folder) for folder in sys.argv[1:]))
