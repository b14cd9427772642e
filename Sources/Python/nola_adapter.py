#!/usr/bin/env python3
"""Read a NOLA Lessons adapter file without Swift, and rebuild every layer's weight change.

A NOLA adapter file holds a root seed and a few coefficients per layer; everything else (the
random bases A_i, B_j and the frozen A0) is regenerated here with our own Philox4x32-10,
following the stream layout documented in Sources/NOLAKit/Random/RandomStream.swift and the
seed rule of Sources/NOLAKit/Adapters/BasisSeeds.swift. LoRA and PRANC files work too.

    python3 nola_adapter.py ADAPTER.safetensors                 # describe, rebuild dW
    python3 nola_adapter.py ADAPTER.safetensors --compare D.safetensors
    python3 nola_adapter.py ADAPTER.safetensors --export dW.safetensors
    python3 nola_adapter.py --self-test                         # Philox known answers

With PyTorch, `W += dW` per layer (W: (out, in), the nn.Linear layout) applies the adapter.
Needs numpy and the `safetensors` package (pip install numpy safetensors).
"""
import argparse
import json
import os
import sys

import numpy as np

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF


# --- Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11) -------------------------------------

def philox4x32_10(counters, key):
    """Blocks of Philox4x32-10. counters: uint32 array (n, 4); key: (k0, k1). Returns (n, 4)."""
    c = [counters[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    m0, m1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
    w0, w1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
    mask, shift = np.uint64(MASK32), np.uint64(32)
    for r in range(10):
        p0 = m0 * c[0]  # 32 x 32 -> 64 bits, exact in uint64
        p1 = m1 * c[2]
        hi0, lo0 = p0 >> shift, p0 & mask
        hi1, lo1 = p1 >> shift, p1 & mask
        c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0]
        if r < 9:
            k0, k1 = (k0 + w0) & mask, (k1 + w1) & mask
    return np.stack(c, axis=1).astype(np.uint32)


def stream_words(seed, stream, start, count):
    """Words [start, start + count) of stream `stream` of `seed` (see RandomStream.swift)."""
    if count == 0:
        return np.zeros(0, dtype=np.uint32)
    first, last = start // 4, (start + count - 1) // 4
    blocks = np.arange(first, last + 1, dtype=np.uint64)
    counters = np.stack([
        blocks & np.uint64(MASK32), blocks >> np.uint64(32),
        np.full_like(blocks, stream & MASK32), np.full_like(blocks, stream >> 32),
    ], axis=1).astype(np.uint32)
    words = philox4x32_10(counters, (seed & MASK32, seed >> 32)).reshape(-1)
    offset = start - 4 * first
    return words[offset:offset + count]


def symmetric(seed, stream, start, count):
    """Uniform floats in [-1, 1): Float(w >> 8) * 2^-23 - 1, exactly as the Swift side."""
    w = stream_words(seed, stream, start, count)
    return ((w >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -23) - np.float32(1)).astype(np.float32)


# --- the seed rule (BasisSeeds.swift) -------------------------------------------------------

def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & MASK64
    return h


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def layer_seed(root, name):
    return splitmix64(root ^ fnv1a64(name))


STREAM_A0, STREAM_NOLA_A, STREAM_NOLA_B, STREAM_PRANC = 1, 2, 3, 4


def basis(seed, stream, count, rows, cols):
    """`count` row-major (rows, cols) Uniform(-1, 1) matrices, matrix i at [i*rows*cols, ...)."""
    return symmetric(seed, stream, 0, count * rows * cols).reshape(count, rows, cols)


def kaiming_uniform(seed, stream, rows, cols):
    bound = np.float32(1.0 / np.sqrt(np.float64(cols)))
    return (symmetric(seed, stream, 0, rows * cols) * bound).astype(np.float32).reshape(rows, cols)


# --- reading an adapter file ----------------------------------------------------------------

FORMAT = "nola-lessons-adapter"
GENERATOR = "philox4x32-10"
SEED_RULE = "splitmix64(root ^ fnv1a64(name)); NOLA basis name basis:<out>x<in>; streams 1 A0, 2 A_i, 3 B_j, 4 W_i"


class AdapterError(Exception):
    pass


def unpack_codes(packed, bits, count):
    """Codes packed by BitPacking.swift: field i = code + L in bits [i*q, (i+1)*q), LSB first."""
    levels = (1 << (bits - 1)) - 1
    stream = np.unpackbits(packed.astype(np.uint8), bitorder="little")[:count * bits]
    fields = stream.reshape(count, bits).astype(np.int64) @ (np.int64(1) << np.arange(bits, dtype=np.int64))
    if np.any(fields > 2 * levels):
        raise AdapterError("a packed code is out of range (the all-ones field is never written)")
    return (fields - levels).astype(np.int64)


SCALE_RULES = ("absmax", "mean-abs", "mse")  # how the writer chose the scales (SymmetricQuantizer.swift)


def quantization_of(meta, path):
    """(bits, scale rule, group size or None for one scale per tensor) of a packed file.
    Files written before the scale_rule and group_size keys existed are absmax per tensor."""
    bits = int(meta["precision"][1:])
    rule = meta.get("scale_rule", "absmax")
    if rule not in SCALE_RULES:
        raise AdapterError(f"{path}: metadata 'scale_rule' must be {', '.join(SCALE_RULES)}, found {rule!r}")
    group = meta.get("group_size", "tensor")
    if group != "tensor" and not (group.isdigit() and int(group) > 0):
        raise AdapterError(f"{path}: metadata 'group_size' must be 'tensor' or a positive integer, found {group!r}")
    return bits, rule, None if group == "tensor" else int(group)


def dequantize(codes, scales, group, name):
    """Values code_i * scale[i // g] (float32, as Swift computes them); g = all values when None."""
    count = codes.size
    expected = 1 if group is None else -(-count // group)
    if scales.size != expected:
        groups = "the whole tensor" if group is None else f"groups of {group}"
        raise AdapterError(f"{name}.scale holds {scales.size} scales, but {count} values in {groups} need {expected}")
    if not np.all(np.isfinite(scales)) or np.any(scales < 0):
        raise AdapterError(f"{name}.scale holds a scale that is negative or not finite")
    g = max(count, 1) if group is None else group
    return (codes.astype(np.float32) * scales.astype(np.float32)[np.arange(count) // g]).astype(np.float32)


def read_adapter(path):
    """(metadata, tensors as float32 numpy arrays) of an adapter file, checked; quantized
    tensors (precision q<bits>: t.codes + t.scale, one scale per group of group_size values)
    come back as their values code * scale.
    Anything wrong raises AdapterError with one line naming the file and the problem."""
    from safetensors import safe_open
    try:
        with safe_open(path, framework="numpy") as f:
            meta = f.metadata() or {}
            raw = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as e:  # the safetensors package's own message names the problem
        raise AdapterError(f"{path}: cannot read as safetensors ({one_line(e)})")
    check_metadata(meta, path)
    check_tensors(meta, raw, path)
    precision = meta.get("precision", "")
    if precision.startswith("q"):
        bits, _, group = quantization_of(meta, path)
        tensors = {}
        for name in raw:
            if name.endswith(".codes"):
                base = name[:-len(".codes")]
                count = expected_count(meta, base)
                codes = unpack_codes(raw[name], bits, count)
                tensors[base] = dequantize(codes, raw[base + ".scale"].reshape(-1), group, f"{path}: {base}")
    else:
        tensors = {name: t.astype(np.float32) for name, t in raw.items()}
    for name, values in sorted(tensors.items()):
        if not np.all(np.isfinite(values)):
            raise AdapterError(f"{path}: tensor '{name}' holds NaN or infinite values")
    return meta, tensors


# --- checks of a file before it is used (the Swift reader, AdapterFile.describe, makes the same) ---

def one_line(error):
    return " ".join(str(error).split())


def check_metadata(meta, path):
    """Every metadata key this reader uses, present and well formed; else AdapterError."""
    def value(key):
        if key not in meta:
            raise AdapterError(f"{path}: metadata has no '{key}'")
        return meta[key]

    def whole(key, low, high, what):
        text = value(key)
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            raise AdapterError(f"{path}: metadata '{key}' must be {what}, found {text!r}")
        return int(text)

    def finite(key):
        text = value(key)
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not np.isfinite(number):
            raise AdapterError(f"{path}: metadata '{key}' must be a finite number, found {text!r}")

    if meta.get("format") != FORMAT:
        raise AdapterError(f"{path}: not a NOLA Lessons adapter file (metadata 'format' is {meta.get('format')!r}, "
                           f"expected {FORMAT!r})")
    if value("format_version") != "1":
        raise AdapterError(f"{path}: format version {meta['format_version']!r} is not supported (this reader "
                           f"reads version 1)")
    if value("generator") != GENERATOR:
        raise AdapterError(f"{path}: generator {meta['generator']!r} is unknown (expected {GENERATOR!r})")
    if value("seed_rule") != SEED_RULE:
        raise AdapterError(f"{path}: seed rule {meta['seed_rule']!r} is unknown (expected {SEED_RULE!r})")
    whole("root_seed", 0, MASK64, "a decimal integer from 0 to 2^64-1")
    precision = value("precision")
    if precision not in ("f32", "f16") and not (precision[:1] == "q" and precision[1:].isdigit()
                                                 and 2 <= int(precision[1:]) <= 16):
        raise AdapterError(f"{path}: precision {precision!r} is unknown (expected f32, f16 or q2...q16)")
    method = value("method")
    positive = "a positive decimal integer"
    if method in ("lora", "nola"):
        whole("rank", 1, 1 << 31, positive)
        finite("c")
        if method == "nola":
            whole("k", 1, 1 << 31, positive)
            whole("l", 1, 1 << 31, positive)
    elif method == "pranc":
        whole("n", 1, 1 << 31, positive)
        finite("s")
    else:
        raise AdapterError(f"{path}: method {method!r} is unknown (expected lora, nola or pranc)")
    bad = AdapterError(f"{path}: metadata 'layers' must be a JSON array of "
                       '{"name": text, "outputs": positive integer, "inputs": positive integer}')
    try:
        layers = json.loads(value("layers"))
    except ValueError:
        raise bad
    if not isinstance(layers, list) or not layers:
        raise bad
    for entry in layers:
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and all(type(entry.get(key)) is int and 0 < entry[key] < 1 << 31 for key in ("outputs", "inputs"))):
            raise bad
    names = [entry["name"] for entry in layers]
    if len(set(names)) != len(names):
        raise AdapterError(f"{path}: metadata 'layers' names a layer twice")


def stored_layout(meta, group=None):
    """{tensor name: (numpy dtype, shape)} of every tensor the file must hold, and nothing else;
    `group` is the packed files' group size (None: one scale per tensor)."""
    precision = meta["precision"]
    layout = {}
    for layer in json.loads(meta["layers"]):
        for kind in {"lora": ("lora_A", "lora_B"), "nola": ("nola_alpha", "nola_beta"),
                     "pranc": ("pranc_alpha",)}[meta["method"]]:
            name = f"{layer['name']}.{kind}"
            count = expected_count(meta, name)
            if precision in ("f32", "f16"):
                if kind == "lora_A":
                    shape = (int(meta["rank"]), layer["inputs"])
                elif kind == "lora_B":
                    shape = (layer["outputs"], int(meta["rank"]))
                else:
                    shape = (count,)
                layout[name] = (np.float32 if precision == "f32" else np.float16, shape)
            else:  # q<bits>: packed codes and one F32 scale per group (AdapterFile.swift)
                bits = int(precision[1:])
                layout[name + ".codes"] = (np.uint8, ((count * bits + 7) // 8,))
                layout[name + ".scale"] = (np.float32, (1 if group is None else -(-count // group),))
    return layout


def check_tensors(meta, raw, path):
    """Exactly the tensors of stored_layout, each of its dtype and shape; else AdapterError."""
    group = quantization_of(meta, path)[2] if meta["precision"].startswith("q") else None
    layout = stored_layout(meta, group)
    for name in sorted(raw):
        if name not in layout:
            raise AdapterError(f"{path}: has an unexpected tensor '{name}' for a {meta['method']} adapter of "
                               f"precision {meta['precision']}")
        dtype, shape = layout[name]
        if raw[name].dtype != dtype:
            raise AdapterError(f"{path}: tensor '{name}' is {raw[name].dtype} but the file says precision "
                               f"{meta['precision']} (expected {np.dtype(dtype)})")
        if tuple(raw[name].shape) != shape:
            raise AdapterError(f"{path}: tensor '{name}' has shape {list(raw[name].shape)}, expected {list(shape)}")
        bad_scales = raw[name][~(np.isfinite(raw[name]) & (raw[name] >= 0))] if name.endswith(".scale") else []
        if len(bad_scales):
            raise AdapterError(f"{path}: tensor '{name}' holds {bad_scales[0]}, but a scale must be finite and >= 0")
    for name in sorted(layout):
        if name not in raw:
            raise AdapterError(f"{path}: has no tensor '{name}'")


def expected_count(meta, tensor_name):
    """Number of values of a stored tensor, from the metadata (layer shapes and settings)."""
    layer, kind = tensor_name.rsplit(".", 1)
    shapes = {entry["name"]: (entry["outputs"], entry["inputs"]) for entry in json.loads(meta["layers"])}
    m, n = shapes[layer]
    return {"lora_A": lambda: int(meta["rank"]) * n, "lora_B": lambda: m * int(meta["rank"]),
            "nola_alpha": lambda: int(meta["k"]), "nola_beta": lambda: int(meta["l"]),
            "pranc_alpha": lambda: int(meta["n"])}[kind]()


def delta_weights(meta, tensors):
    """{layer name: dW (out, in) float32} rebuilt from the file alone."""
    root = int(meta["root_seed"])
    method = meta["method"]
    out = {}
    for layer in json.loads(meta["layers"]):
        name, m, n = layer["name"], layer["outputs"], layer["inputs"]
        seed = layer_seed(root, name)
        if method == "lora":
            r = int(meta["rank"])
            scale = np.float32(float(meta["c"]) / r)
            a = tensors[f"{name}.lora_A"].reshape(r, n)
            b = tensors[f"{name}.lora_B"].reshape(m, r)
            out[name] = (scale * (b @ a)).astype(np.float32)
        elif method == "nola":
            r, k, l = int(meta["rank"]), int(meta["k"]), int(meta["l"])
            scale = np.float32(float(meta["c"]) / r)
            basis_seed = layer_seed(root, f"basis:{m}x{n}")  # NOLA's basis depends on the shape only
            alpha, beta = tensors[f"{name}.nola_alpha"].reshape(k), tensors[f"{name}.nola_beta"].reshape(l)
            a = kaiming_uniform(seed, STREAM_A0, r, n) + np.tensordot(alpha, basis(basis_seed, STREAM_NOLA_A, k, r, n), 1)
            b = np.tensordot(beta, basis(basis_seed, STREAM_NOLA_B, l, m, r), 1)
            out[name] = (scale * (b @ a)).astype(np.float32)
        else:  # pranc
            count, s = int(meta["n"]), np.float32(float(meta["s"]))
            alpha = tensors[f"{name}.pranc_alpha"] * s
            out[name] = np.tensordot(alpha, basis(seed, STREAM_PRANC, count, m, n), 1).astype(np.float32)
    return out


def check_deltas(deltas, meta, path):
    """Finite coefficients can still give an infinite or NaN dW in float32 (a huge c, say): such
    a dW is not a result. AdapterError naming the layer."""
    for name, d in deltas.items():
        if not np.all(np.isfinite(d)):
            raise AdapterError(f"{path}: layer '{name}': dW is not finite in float32 (c = {meta.get('c', meta.get('s'))!r} "
                               f"and the coefficients overflow it): not a usable adapter")


# --- checks ----------------------------------------------------------------------------------

KNOWN_ANSWERS = [  # (counter, key, output) from the Random123 distribution's kat_vectors
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([MASK32] * 4, [MASK32] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


def self_test():
    for counter, key, expected in KNOWN_ANSWERS:
        got = philox4x32_10(np.array([counter], dtype=np.uint32), key)[0].tolist()
        if got != expected:
            print(f"Philox known answer failed: {counter} {key} gave {[hex(x) for x in got]}")
            return 1
    # Random access: a range equals the slice of a longer fill.
    whole = stream_words(7, 3, 0, 64)
    if not np.array_equal(stream_words(7, 3, 13, 30), whole[13:43]):
        print("random access failed")
        return 1
    print("self-test passed: 3 Philox4x32-10 known answers, random access")
    return 0


# --- the command line --------------------------------------------------------------------------

USAGE_EXIT = 64  # a bad argument, as in every program of the project (sysexits.h's EX_USAGE)


class OneLineParser(argparse.ArgumentParser):
    """argparse, answering a bad argument as every program of the project does: one line naming
    it, exit status 64 (instead of a usage block and status 2)."""

    def error(self, message):
        sys.stderr.write(f"error: {one_line(message)} (`{self.prog} --help` lists the options)\n")
        sys.exit(USAGE_EXIT)

    def _print_message(self, message, file=None):
        # argparse's own swallows write errors, so a --help lost to a full disk would exit 0.
        if message:
            (file or sys.stderr).write(message)


def run(main, argv):
    """Runs main(argv) and returns its exit status, or 1 with one line when standard output could
    not be written (> /dev/full, a closed pipe): a lost result must not look like success, and
    must not end in a traceback. main reports every other failure itself, so an OSError that
    reaches here is standard output's."""
    try:
        try:
            status = main(argv)
        except SystemExit as done:  # --help, a bad argument: what was printed is checked all the same
            status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        sys.stdout.flush()
        return status
    except OSError as e:
        # Point the descriptor at /dev/null, so that Python's own flush at exit has nowhere to fail.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        print(f"error: cannot write the output to standard output ({e.strerror or one_line(e)}); "
              "check the disk or the file it goes to", file=sys.stderr)
        return 1


def same_file(a, b):
    """Whether paths a and b name one existing file (through links, ., .., another spelling)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_atomically(data, path):
    """Writes bytes to path whole or not at all: a temporary file beside it, renamed into place."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.partial-{os.getpid()}")
    try:
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def main(argv):
    parser = OneLineParser(prog="nola_adapter.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("adapter", nargs="?", help="an adapter .safetensors file written by the lessons")
    parser.add_argument("--compare", metavar="DELTA", help="ΔW file exported by Swift (<layer>.delta_W)")
    parser.add_argument("--export", metavar="OUT", help="write the rebuilt ΔW as <layer>.delta_W")
    parser.add_argument("--tolerance", type=float, default=1e-5,
                        help="max |difference| / max(1, max|ΔW|) allowed by --compare (default 1e-5)")
    parser.add_argument("--self-test", action="store_true", help="check Philox against known answers")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.adapter:
        parser.error("give an adapter file, or --self-test")
    if not (args.tolerance >= 0 and np.isfinite(args.tolerance)):
        parser.error(f"--tolerance must be a finite number >= 0, got {args.tolerance}")
    if args.export:
        # The output must not be one of the inputs: writing dW there would destroy it (and a
        # --compare against the file just written would always "match").
        for flag, path in (("the adapter file", args.adapter), ("the --compare file", args.compare)):
            if path and same_file(args.export, path):
                parser.error(f"--export {args.export} is {flag} itself: writing dW there would destroy it; "
                             "give --export another name")
    try:
        meta, tensors = read_adapter(args.adapter)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is check_deltas' to report, in one line
            deltas = delta_weights(meta, tensors)
        check_deltas(deltas, meta, args.adapter)
    except AdapterError as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        return 1
    except Exception as e:  # a check this reader lacks: still one line, never a traceback
        print(f"error: {args.adapter}: cannot be used ({type(e).__name__}: {one_line(e)})", file=sys.stderr)
        return 1
    stored = sum(t.size for t in tensors.values())
    print(f"{args.adapter}: {meta['method']} adapter, root seed {meta['root_seed']}, "
          f"{stored} stored numbers for {len(deltas)} layers")
    if meta.get("precision", "").startswith("q"):
        bits, rule, group = quantization_of(meta, args.adapter)
        print(f"  {bits}-bit codes, scale rule {rule}, group size {group or 'tensor'}")
    for name, d in deltas.items():
        print(f"  {name}: dW {d.shape[0]}x{d.shape[1]}, |dW|max {np.abs(d).max():.6g}")
    if args.export:
        from safetensors.numpy import save
        try:
            write_atomically(save({f"{k}.delta_W": v for k, v in deltas.items()}), args.export)
        except Exception as e:
            print(f"error: {args.export}: cannot be written ({one_line(e)})", file=sys.stderr)
            return 1
        print(f"wrote {args.export}")
    if args.compare:
        from safetensors.numpy import load_file
        try:
            reference = load_file(args.compare)
        except Exception as e:
            print(f"error: {args.compare}: cannot read as safetensors ({one_line(e)})", file=sys.stderr)
            return 1
        worst = 0.0
        for name, d in deltas.items():
            key = f"{name}.delta_W"
            if key not in reference or reference[key].shape != d.shape:
                print(f"error: {args.compare} has no {key} of shape {d.shape}", file=sys.stderr)
                return 1
            if not np.all(np.isfinite(reference[key])):
                print(f"error: {args.compare}: {key} holds NaN or infinite values", file=sys.stderr)
                return 1
            err = float(np.abs(reference[key].astype(np.float64) - d).max()) / max(1.0, float(np.abs(reference[key]).max()))
            worst = max(worst, err)
            print(f"  {name}: max relative difference to Swift {err:.3g}")
        if not worst <= args.tolerance:  # written so that a NaN fails
            print(f"MISMATCH: {worst:.3g} > tolerance {args.tolerance:g}", file=sys.stderr)
            return 1
        print(f"match: every layer's dW agrees with Swift's to {worst:.3g} (tolerance {args.tolerance:g})")
    return 0


if __name__ == "__main__":
    sys.exit(run(main, sys.argv[1:]))
