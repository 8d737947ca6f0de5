#!/usr/bin/env bash
# The main job, from a fresh Debian bookworm machine (as root): install what
# Cairn needs, build it, and run the example study (a PyTorch MLP on digits).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
cd examples/digits
# The store is the default, .cairn/cairn.db in this folder (created on first use).
../../build/cairn run study.yaml
../../build/cairn status digits
