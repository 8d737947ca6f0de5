#!/usr/bin/env bash
# Configures and builds Cairn into build/ (or the folder given as $1, with
# extra CMake arguments after it). The CLI lands at build/cairn.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
jobs="${CAIRN_JOBS:-$(nproc)}"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j "$jobs"
