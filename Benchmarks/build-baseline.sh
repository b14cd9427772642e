#!/usr/bin/env bash
# Builds this gpt-speed and decode-speed against another commit's NOLAKit, for before/after
# tables in one run:
#
#     Benchmarks/build-baseline.sh                      # main before issue 23 (96050c2), in /tmp/nola-baseline
#     Benchmarks/build-baseline.sh COMMIT DIR
#     cd Benchmarks && swift run -c release gpt-speed --baseline /tmp/nola-baseline/Benchmarks/.build/release/gpt-speed
#     /tmp/nola-baseline/Benchmarks/.build/release/decode-speed     # the decoders of that commit, one at a time
#
# The commit's tree is exported (git archive) into DIR, this checkout's Benchmarks/Package.swift,
# Tools/GPTSpeed, Tools/DecodeSpeed and pytorch/gpt_step.py are copied over it, and both tools
# are built in release. gpt-speed's child mode uses only NOLAKit API that 96050c2 already had (its
# output checks of later LessonKit and its --phases mode are left out: NOLA_BASELINE); decode-speed
# leaves its batched decoders out (NOLA_BASELINE).
set -euo pipefail
commit=${1:-96050c2}
dir=${2:-/tmp/nola-baseline}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$dir"
mkdir -p "$dir"
git -C "$here/.." archive "$commit" | tar -x -C "$dir"
rm -rf "$dir/Benchmarks/Tools/GPTSpeed" "$dir/Benchmarks/Tools/DecodeSpeed"
cp -R "$here/Tools/GPTSpeed" "$here/Tools/DecodeSpeed" "$dir/Benchmarks/Tools/"
# Tools that this Package.swift names but the commit lacks (resnet-speed, say): copied so the
# manifest is valid; only gpt-speed and decode-speed are built.
for tool in "$here"/Tools/*/; do
    [ -d "$dir/Benchmarks/Tools/$(basename "$tool")" ] || cp -R "$tool" "$dir/Benchmarks/Tools/"
done
cp "$here/Package.swift" "$dir/Benchmarks/Package.swift"
cp "$here/pytorch/gpt_step.py" "$dir/Benchmarks/pytorch/gpt_step.py"
(cd "$dir/Benchmarks" && swift build -c release --product gpt-speed -Xswiftc -DNOLA_BASELINE >&2 \
    && swift build -c release --product decode-speed -Xswiftc -DNOLA_BASELINE >&2)
echo "$dir/Benchmarks/.build/release/gpt-speed"
