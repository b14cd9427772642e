#!/usr/bin/env bash
# Installs what is missing, builds, and runs every lesson in order on the embedded synthetic digits.
#
#   Lessons/run-all.sh                 # the default (classroom) run of every lesson
#   Lessons/run-all.sh --quick         # any flags are passed to every lesson
#   Lessons/run-all.sh --install-only  # only install the system packages (used by .ci/run)
#
# System packages (Debian/Ubuntu): libopenblas-dev (BLAS/LAPACK), gnuplot-nox (figures),
# zlib1g-dev (reading MNIST's .gz files), pkg-config (how SwiftPM finds them), and
# libgnuplot-iostream-dev (the C++ header, with Boost's iostreams and filesystem, that feeds one
# running gnuplot for --live and --show; Boost has no pkg-config file, so the header is checked).
set -euo pipefail
cd "$(dirname "$0")/.."

install_missing() {
    local missing=()
    pkg-config --version >/dev/null 2>&1 || missing+=(pkg-config)
    pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
    pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
    command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
    # gnuplot-nox is named first: it provides the "gnuplot" that libgnuplot-iostream-dev depends on
    # (else apt would choose the X11/Qt one).
    [ -f /usr/include/gnuplot-iostream.h ] || missing+=(libgnuplot-iostream-dev)
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing missing packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: apt-get not found; install ${missing[*]} with your system's package manager." >&2
        exit 1
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

if [ "${1:-}" = "--install-only" ]; then
    install_missing
    exit 0
fi

install_missing
swift build
for dir in Lessons/lesson*/; do
    lesson=$(basename "$dir")
    echo
    echo "################ $lesson ################"
    swift run --skip-build "$lesson" "$@"
done
