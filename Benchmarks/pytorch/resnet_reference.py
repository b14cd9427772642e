#!/usr/bin/env python3
"""The Swift residual block and ResNet (Sources/NOLAKit/Convolution) defined again in PyTorch,
and checked against them.

The definitions are the ResNet paper's CIFAR models (He et al. 2016, section 4.2): a basic block
is conv3x3(stride s) -> BatchNorm -> ReLU -> conv3x3 -> BatchNorm, plus the shortcut, then ReLU;
the shortcut is the identity, or (option A, no parameters) x[:, :, ::s, ::s] with zero channels
padded on both sides. ResNet-20: conv3x3 16 -> BN -> ReLU, three stages of three blocks (16, 32,
64 channels, stride 2 at the start of stages 2 and 3), global average pooling, Linear(64, classes).
Convolutions have no bias; BatchNorm is nn.BatchNorm2d in training mode (batch statistics, running
averages with momentum 0.1).

Parameter names are the Swift names (conv1.weight, layer2.0.bn1.bias, fc.weight, ...). A Swift
convolution stores its kernel (out, in, k, k) as the matrix (out*k, in*k) that adapters act on
(KernelReshape): the same numbers row-major, so `.view(out, in, k, k)` recovers PyTorch's kernel.
Adapters (LoRA or NOLA, from a Swift adapter file) add (c/r) B A to that matrix, viewed back as a
kernel; NOLA's random bases are regenerated from the file's seed by Sources/Python/nola_adapter.py.

    python3 resnet_reference.py CASE_FOLDER...     # check cases written by the Swift test

A case folder (written by Tests/NOLAKitTests/ConvolutionPyTorchTests.swift) holds:
    model.safetensors     every parameter under its Swift name; metadata: kind ("block" or
                          "resnet"), the shapes (channels, height, width, widths, blocks, classes,
                          or for a block: name, out_channels, stride)
    adapter.safetensors   optional: a Swift adapter file, attached before the step (BatchNorm's
                          gamma and beta train too)
    batch.safetensors     x (B, C*H*W) batch-major; a block case: r (B, C'*H'*W'), the loss is
                          sum(y * r); a ResNet case: labels (B) I32, the loss is the mean
                          cross-entropy
    expected.safetensors  Swift's output (y or logits), loss, dx (block), grad.<name> of every
                          trainable tensor, running_mean.<bn> and running_var.<bn> after the forward
The script rebuilds the network, runs the forward pass in training mode and the backward pass,
and prints the largest relative difference per tensor (max |Swift - PyTorch| / max |PyTorch|);
exit status 1 when any exceeds 1e-4.

Needs torch, numpy, safetensors.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Sources", "Python"))
import nola_adapter  # noqa: E402  (Philox, the seed rule, adapter files)

TOLERANCE = 1e-4


# --- the network -------------------------------------------------------------------------------

class Conv(nn.Module):
    """nn.Conv2d(cin, cout, k, stride, padding, bias=False) whose kernel is stored as the Swift
    matrix (cout*k, cin*k); an optional adapter adds its dW to that matrix."""

    def __init__(self, name, cin, cout, k, stride, padding):
        super().__init__()
        self.name, self.shape = name, (cout, cin, k, k)
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.zeros(cout * k, cin * k))
        self.adapter = None

    def kernel(self):
        m = self.weight if self.adapter is None else self.weight + self.adapter()
        return m.reshape(self.shape)

    def forward(self, x):
        return F.conv2d(x, self.kernel(), stride=self.stride, padding=self.padding)


class Linear(nn.Module):
    def __init__(self, name, n, m):
        super().__init__()
        self.name = name
        self.weight = nn.Parameter(torch.zeros(m, n))
        self.bias = nn.Parameter(torch.zeros(m))
        self.adapter = None

    def forward(self, x):
        w = self.weight if self.adapter is None else self.weight + self.adapter()
        return F.linear(x, w, self.bias)


class Block(nn.Module):
    def __init__(self, name, cin, cout, stride):
        super().__init__()
        self.conv1 = Conv(f"{name}.conv1", cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = Conv(f"{name}.conv2", cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, (cout - cin) // 2
        self.identity = stride == 1 and cin == cout

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.identity else F.pad(x[:, :, ::self.stride, ::self.stride],
                                                 (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, channels, widths, blocks, classes):
        super().__init__()
        self.conv1 = Conv("conv1", channels, widths[0], 3, 1, 1)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, c = [], widths[0]
        for stage, w in enumerate(widths):
            for b in range(blocks):
                layers.append((f"layer{stage + 1}.{b}", Block(f"layer{stage + 1}.{b}", c, w, 2 if stage > 0 and b == 0 else 1)))
                c = w
        self.blocks = nn.ModuleDict({name.replace(".", "_"): block for name, block in layers})
        self.fc = Linear("fc", c, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for block in self.blocks.values():
            x = block(x)
        return self.fc(x.mean(dim=(2, 3)))


def named_tensors(module, prefix=""):
    """{Swift name: tensor} of parameters and BatchNorm running averages."""
    out = {}
    for name, sub in module.named_modules():
        swift = prefix + name.replace("blocks.", "").replace("_", ".")
        if isinstance(sub, (Conv, Linear)):
            out[f"{sub.name}.weight"] = sub.weight
            if isinstance(sub, Linear):
                out[f"{sub.name}.bias"] = sub.bias
        elif isinstance(sub, nn.BatchNorm2d):
            out[f"{swift}.weight"] = sub.weight
            out[f"{swift}.bias"] = sub.bias
            out[f"running_mean.{swift}"] = sub.running_mean
            out[f"running_var.{swift}"] = sub.running_var
    return out


# --- adapters ----------------------------------------------------------------------------------

class Adapter(nn.Module):
    """dW = (c/r) B A for one site: LoRA's A, B trained; NOLA's A = A0 + sum alpha_i A_i,
    B = sum beta_j B_j with the bases regenerated from the file's seed."""

    def __init__(self, meta, tensors, name, m, n):
        super().__init__()
        root, r, c = int(meta["root_seed"]), int(meta["rank"]), float(meta["c"])
        self.method, self.scale, self.site = meta["method"], c / r, name
        if self.method == "lora":
            self.lora_A = nn.Parameter(torch.tensor(tensors[f"{name}.lora_A"].reshape(r, n)))
            self.lora_B = nn.Parameter(torch.tensor(tensors[f"{name}.lora_B"].reshape(m, r)))
        elif self.method == "nola":
            k, l = int(meta["k"]), int(meta["l"])
            seed = nola_adapter.layer_seed(root, name)
            basis_seed = nola_adapter.layer_seed(root, f"basis:{m}x{n}")
            self.register_buffer("a0", torch.tensor(nola_adapter.kaiming_uniform(seed, nola_adapter.STREAM_A0, r, n)))
            self.register_buffer("basis_a", torch.tensor(nola_adapter.basis(basis_seed, nola_adapter.STREAM_NOLA_A, k, r, n)))
            self.register_buffer("basis_b", torch.tensor(nola_adapter.basis(basis_seed, nola_adapter.STREAM_NOLA_B, l, m, r)))
            self.nola_alpha = nn.Parameter(torch.tensor(tensors[f"{name}.nola_alpha"].reshape(k)))
            self.nola_beta = nn.Parameter(torch.tensor(tensors[f"{name}.nola_beta"].reshape(l)))
        else:
            raise ValueError(f"method {self.method} is not supported by this check")

    def forward(self):
        if self.method == "lora":
            return self.scale * (self.lora_B @ self.lora_A)
        a = self.a0 + torch.tensordot(self.nola_alpha, self.basis_a, 1)
        b = torch.tensordot(self.nola_beta, self.basis_b, 1)
        return self.scale * (b @ a)


def attach(model, path):
    """Attaches the adapters of a Swift adapter file and freezes everything else but BatchNorm."""
    meta, tensors = nola_adapter.read_adapter(path)
    sites = {sub.name: sub for sub in model.modules() if isinstance(sub, (Conv, Linear))}
    for p in model.parameters():
        p.requires_grad_(False)
    for sub in model.modules():
        if isinstance(sub, nn.BatchNorm2d):
            sub.weight.requires_grad_(True)
            sub.bias.requires_grad_(True)
    trained = {}
    for entry in json.loads(meta["layers"]):
        name, m, n = entry["name"], entry["outputs"], entry["inputs"]
        adapter = Adapter(meta, tensors, name, m, n)
        sites[name].adapter = adapter
        for pname, p in adapter.named_parameters():
            trained[f"{name}.{pname}"] = p
    return trained


# --- one case ----------------------------------------------------------------------------------

def load(path):
    from safetensors import safe_open
    with safe_open(path, framework="numpy") as f:
        return (f.metadata() or {}), {k: f.get_tensor(k) for k in f.keys()}


def relative(ours, theirs):
    theirs = theirs.detach().double().numpy().reshape(-1)
    ours = np.asarray(ours, dtype=np.float64).reshape(-1)
    scale = max(np.abs(theirs).max(initial=0.0), 1e-12)
    return float(np.abs(ours - theirs).max(initial=0.0) / scale)


def check(folder):
    meta, weights = load(os.path.join(folder, "model.safetensors"))
    _, batch = load(os.path.join(folder, "batch.safetensors"))
    _, expected = load(os.path.join(folder, "expected.safetensors"))
    torch.manual_seed(0)
    c, h, w = int(meta["channels"]), int(meta["height"]), int(meta["width"])
    if meta["kind"] == "block":
        model = Block(meta["name"], c, int(meta["out_channels"]), int(meta["stride"]))
        prefix = meta["name"] + "."
    else:
        model = ResNet(c, json.loads(meta["widths"]), int(meta["blocks"]), int(meta["classes"]))
        prefix = ""
    tensors = named_tensors(model, prefix)
    with torch.no_grad():
        for name, t in tensors.items():
            if not name.startswith("running_"):
                t.copy_(torch.tensor(weights[name]).reshape(t.shape))
    adapter_path = os.path.join(folder, "adapter.safetensors")
    trained = {name: t for name, t in tensors.items() if not name.startswith("running_")}
    if os.path.exists(adapter_path):
        adapted = attach(model, adapter_path)
        trained = {name: t for name, t in trained.items() if t.requires_grad}
        trained.update(adapted)
    model.train()
    x = torch.tensor(batch["x"]).reshape(-1, c, h, w).requires_grad_(meta["kind"] == "block")
    out = model(x)
    if meta["kind"] == "block":
        loss = (out.reshape(out.shape[0], -1) * torch.tensor(batch["r"])).sum()
    else:
        loss = F.cross_entropy(out, torch.tensor(batch["labels"]).long())
    loss.backward()
    report = [("output", relative(expected["output"], out)), ("loss", relative(expected["loss"], loss.reshape(1)))]
    if meta["kind"] == "block":
        report.append(("dx", relative(expected["dx"], x.grad)))
    for name, t in sorted(trained.items()):
        report.append((f"grad {name}", relative(expected[f"grad.{name}"], t.grad)))
    for name, t in sorted(tensors.items()):
        if name.startswith("running_"):
            report.append((name, relative(expected[name], t)))
    missing = [k[5:] for k in expected if k.startswith("grad.") and k[5:] not in trained]
    if missing:
        print(f"{folder}: Swift trained tensors PyTorch does not: {missing}")
        return False
    worst = max(report, key=lambda item: item[1])
    kind = "adapter " + nola_adapter.read_adapter(adapter_path)[0]["method"] if os.path.exists(adapter_path) else "dense"
    grads = [v for n, v in report if n.startswith("grad ")]
    print(f"{os.path.basename(folder)} ({meta['kind']}, {kind}): output {report[0][1]:.1e}, loss {report[1][1]:.1e}"
          + (f", dx {report[2][1]:.1e}" if meta["kind"] == "block" else "")
          + f", gradients <= {max(grads):.1e} ({len(grads)} tensors), running averages <= "
          + f"{max(v for n, v in report if n.startswith('running_')):.1e}")
    if worst[1] > TOLERANCE:
        print(f"  MISMATCH: {worst[0]} differs by {worst[1]:.2e} (tolerance {TOLERANCE:.0e})")
        return False
    print(f"  match: within {TOLERANCE:.0e}")
    return True


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    torch.set_num_threads(2)
    results = [check(folder) for folder in argv]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
