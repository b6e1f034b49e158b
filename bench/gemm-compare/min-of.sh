#!/usr/bin/env bash
# The fastest of N runs of each GEMM alone, interleaved run by run, per product:
#   bench/gemm-compare/min-of.sh 6 nn gemm mm -- W2 W3 W4
# (build first: cargo build --release in this folder). On a shared machine the fastest run
# is the one least disturbed; interleaving gives each GEMM the same chances.
set -euo pipefail
cd "$(dirname "$0")"
n=$1; shift
gemms=()
while [ "$1" != "--" ]; do gemms+=("$1"); shift; done
shift
bin=${CARGO_TARGET_DIR:-target}/release/gemm-compare
for _ in $(seq "$n"); do
  for g in "${gemms[@]}"; do ONLY=$g taskset -c 0 "$bin" "$@"; done
done | awk '{ key = $1 " " $2 " " $3 " " $4; t = $5
              if (!(key in best) || t < best[key]) best[key] = t }
            END { for (k in best) print k, best[k], "ns" }' | sort
