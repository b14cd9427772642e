#!/usr/bin/env bash
# Re-renders the README's gallery: one small PNG per lesson in plots/gallery/lessonNN.png, drawn
# from that lesson's own figure (its default run, seed 1, synthetic digits) at 70% of its size.
#
#   Lessons/gallery.sh                  # every lesson in the list below (a few minutes)
#   Lessons/gallery.sh lesson04 lesson06
#
# Run it when a lesson's figure changes or a lesson is added, look at the images, and commit
# plots/gallery/ (the one folder of plots/ that git keeps). A new lesson adds a line to `figures`
# and a row to the README's gallery; the tests check that every lesson has its image.
set -euo pipefail
cd "$(dirname "$0")/.."

# lesson:figure — the figure the README shows for each lesson.
figures=(
    lesson01:normal_histogram
    lesson02:gflops
    lesson03:digits
    lesson04:accuracy_vs_parameters
    lesson05:loss_vs_coefficients
    lesson06:accuracy_vs_parameters
    lesson07:coverage
    lesson08:loss_vs_epoch
    lesson09:rank_at_fixed_budget
    lesson10:accuracy_vs_bits
    lesson11:attention_heads
    lesson12:bleu_vs_parameters
    lesson13:adapters_per_gpu
    lesson14:accuracy_vs_parameters_letters_5shot
    lesson16:validation_loss
)
scale=0.7

command -v gnuplot >/dev/null 2>&1 || { echo "error: gnuplot is needed (apt install gnuplot-nox)" >&2; exit 1; }
swift build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p plots/gallery
for entry in "${figures[@]}"; do
    lesson=${entry%%:*}
    figure=${entry#*:}
    if [ $# -gt 0 ] && [[ " $* " != *" $lesson "* ]]; then continue; fi
    echo "== $lesson: $figure"
    swift run --skip-build "$lesson" --plots "$work" >/dev/null
    script="$work/$lesson/$figure.gp"
    [ -f "$script" ] || { echo "error: $lesson wrote no $figure.gp; update the list in $0" >&2; exit 1; }
    # The same script, PNG only, with everything scaled by `scale`: the canvas, every font, the
    # lines and the points, so the small image has exactly the layout of the full one. The file
    # keeps its name: the script finds its data through its own name.
    awk -v f="$scale" '
        # Multiplies by f the number between `prefix` and `suffix` in every match of `pattern`.
        function rescale(line, pattern, prefix, suffix,    out, piece, n) {
            out = ""
            while (match(line, pattern)) {
                piece = substr(line, RSTART, RLENGTH)
                n = substr(piece, length(prefix) + 1, RLENGTH - length(prefix) - length(suffix)) + 0
                out = out substr(line, 1, RSTART - 1) prefix sprintf("%.3g", n * f) suffix
                line = substr(line, RSTART + RLENGTH)
            }
            return out line
        }
        /pngcairo size [0-9]+,[0-9]+/ {
            match($0, /size [0-9]+,[0-9]+/)
            split(substr($0, RSTART + 5, RLENGTH - 5), wh, ",")
            sub(/size [0-9]+,[0-9]+/, "size " int(wh[1] * f) "," int(wh[2] * f))
            $0 = rescale($0, "linewidth [0-9.]+", "linewidth ", "")
            $0 = $0 " pointscale " f
        }
        {
            sub(/in .png svg./, "in '\''png'\''")
            $0 = rescale($0, ",[0-9.]+'\''", ",", "'\''")   # every font size
            print
        }
    ' "$script" > "$script.small" && mv "$script.small" "$script"
    # The lesson's own full-size PNG goes first: a gnuplot that exits 0 without writing must not
    # leave it behind to be copied as the small one.
    rm -f "$work/$lesson/$figure.png"
    gnuplot "$script"
    png="$work/$lesson/$figure.png"
    if [ ! -s "$png" ] || [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
        echo "error: gnuplot wrote no PNG for $lesson's $figure ($png); check gnuplot's messages above" >&2
        exit 1
    fi
    cp "$png" "plots/gallery/$lesson.png"
done
ls -l plots/gallery
