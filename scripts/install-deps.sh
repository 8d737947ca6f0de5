#!/usr/bin/env bash
# Installs what Cairn needs to build and run on Debian bookworm (as root).
#   scripts/install-deps.sh           build deps + the example workload (torch, sklearn)
#   scripts/install-deps.sh --test    also the peers and servers the tests start
set -euo pipefail
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev libre2-dev
  libceres-dev libeigen3-dev libfmt-dev libspdlog-dev libssl-dev zlib1g-dev
  libpqxx-dev libboost-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-torch python3-sklearn
)
test_pkgs=(
  python3-optuna postgresql slurmctld slurmd munge
)

pkgs=("${build_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The RO-Crate validator the export tests run through node (they skip without it).
if [ "$want_test" = 1 ] && command -v npm >/dev/null 2>&1; then
  npm ls -g ro-crate >/dev/null 2>&1 || npm install -g --no-fund --no-audit ro-crate@3.7.2 >/dev/null 2>&1 ||
    echo "warning: could not install the ro-crate validator from npm; its test will skip" >&2
fi
