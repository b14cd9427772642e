#!/usr/bin/env python3
"""Where a GPT training step's instructions go, from a callgrind profile, by kind of work.

Instruction counts are steady on a busy machine (wall times are not), so they show where the
time goes even while other programs run. Profile one setting's steps on one thread:

    cd Benchmarks && swift build -c release --product gpt-speed
    cp .build/release/gpt-speed /tmp/gpt-speed && strip --strip-debug /tmp/gpt-speed   # valgrind 3.19 cannot read Swift's DWARF 5
    valgrind --tool=callgrind --callgrind-out-file=/tmp/one.cg --toggle-collect='*GPTStepTiming*measure*' \\
        /tmp/gpt-speed --child full --size 4x128 --threads 1 --warmup 1 --steps 1
    valgrind --tool=callgrind --callgrind-out-file=/tmp/two.cg --toggle-collect='*GPTStepTiming*measure*' \\
        /tmp/gpt-speed --child full --size 4x128 --threads 1 --warmup 1 --steps 2
    python3 profile/callgrind_breakdown.py /tmp/two.cg --minus /tmp/one.cg --steps 1

(`LanguageModelTrainer.step` is inlined into `GPTStepTiming.measure`, so collect there.) Each
profile also holds the setup (building the model, the warm-up step); subtracting the profile of
one step fewer, function by function, leaves the extra step alone.

Each function's own instructions (callgrind's exclusive cost) are summed into the groups below;
the first matching pattern wins. Under valgrind the CPU reports no AVX-512, so OpenBLAS runs its
AVX2 (Haswell) kernels there: the matrix products' share is that of an AVX2 machine.
"""
import argparse
import re
import subprocess
import sys

GROUPS = [
    ("matrix products (OpenBLAS)", r"sgemm|gemm_|_oncopy|_otcopy|_incopy|_itcopy|_beta_|cblas_s"),
    ("thin products (our kernel, adapters)", r"rowwise_linear"),
    ("attention (around its products)", r"MultiHeadAttention|cached_attention"),
    ("softmax, exp, loss", r"exp_shifted|nola_maximum|TokenCrossEntropy|TiedUnembedding|VectorMath|__logf|expf"),
    ("LayerNorm", r"LayerNorm"),
    ("GELU", r"gelu|GELU"),
    ("optimizer, clipping", r"Adam|nola_adam|GradientClipping|sscal|saxpy|snrm2|sdot"),
    ("residual adds, embeddings, bias rows", r"TransformerBlock|Embedding|broadcastRows|addColumnSums|Linear"),
    ("copies (memcpy, memmove)", r"memcpy|memmove"),
    ("allocation, zeroing, reference counts", r"malloc|free|memset|swift_alloc|swift_release|swift_retain|swift_bridge|Matrix|ContiguousArray|Array|_int_"),
    ("threads (dispatch, OpenBLAS workers, locks)", r"dispatch|pthread|blas_thread|exec_blas|sched_yield|futex|Parallel|_dispatch|lll_"),
]


def own_instructions(profile):
    """{function: its own instructions} from callgrind_annotate (every function, no threshold)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", profile],
                          capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            function = m.group(2)
            counts[function] = counts.get(function, 0) + int(m.group(1).replace(",", ""))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", help="a callgrind.out file")
    parser.add_argument("--steps", type=int, default=1, help="steps the profile covers (counts are divided by it)")
    parser.add_argument("--minus", metavar="PROFILE", help="subtract this profile's counts, function by function "
                        "(the same command with fewer steps: what remains is the extra steps alone)")
    parser.add_argument("--top", type=int, default=0, help="also list the N most expensive functions")
    args = parser.parse_args()
    counts = own_instructions(args.profile)
    if args.minus:
        for function, n in own_instructions(args.minus).items():
            counts[function] = counts.get(function, 0) - n
    rows = [(n, function) for function, n in counts.items() if n > 0]
    total = sum(n for n, _ in rows)
    if total == 0:
        sys.exit(f"{args.profile}: no instructions recorded (was --toggle-collect's function called?)")
    sums = {name: 0 for name, _ in GROUPS}
    other = 0
    for n, function in rows:
        for name, pattern in GROUPS:
            if re.search(pattern, function):
                sums[name] += n
                break
        else:
            other += n
    source = f"{args.profile} minus {args.minus}" if args.minus else args.profile
    print(f"{total / args.steps / 1e6:,.1f} M instructions per step ({args.steps} step(s) in {source})")
    for name, _ in GROUPS:
        print(f"  {name:48s} {sums[name] / args.steps / 1e6:10,.1f} M  {100 * sums[name] / total:5.1f} %")
    print(f"  {'other':48s} {other / args.steps / 1e6:10,.1f} M  {100 * other / total:5.1f} %")
    if args.top:
        print(f"\nThe {args.top} most expensive functions (own instructions):")
        for n, function in sorted(rows, reverse=True)[: args.top]:
            print(f"  {n / args.steps / 1e6:10,.1f} M  {function[:110]}")


if __name__ == "__main__":
    main()
