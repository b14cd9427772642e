#!/usr/bin/env bash
# Builds this gpt-speed against another commit's NOLAKit, for before/after tables in one run:
#
#     Benchmarks/build-baseline.sh                      # main before issue 23 (96050c2), in /tmp/nola-baseline
#     Benchmarks/build-baseline.sh COMMIT DIR
#     cd Benchmarks && swift run -c release gpt-speed --baseline /tmp/nola-baseline/Benchmarks/.build/release/gpt-speed
#
# The commit's tree is exported (git archive) into DIR, this checkout's Tools/GPTSpeed and
# pytorch/gpt_step.py are copied over it, and its gpt-speed is built in release. The tool's
# child mode uses only NOLAKit API that 96050c2 already had, so it builds there unchanged.
set -euo pipefail
commit=${1:-96050c2}
dir=${2:-/tmp/nola-baseline}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$dir"
mkdir -p "$dir"
git -C "$here/.." archive "$commit" | tar -x -C "$dir"
rm -rf "$dir/Benchmarks/Tools/GPTSpeed"
cp -R "$here/Tools/GPTSpeed" "$dir/Benchmarks/Tools/GPTSpeed"
cp "$here/pytorch/gpt_step.py" "$dir/Benchmarks/pytorch/gpt_step.py"
(cd "$dir/Benchmarks" && swift build -c release --product gpt-speed >&2)
echo "$dir/Benchmarks/.build/release/gpt-speed"
