#!/usr/bin/env bash
# nn beside its peers in one invocation: runs the peers' run_all.sh (bench/peers) and
# nn-bench one after the other on the same machine, writes one merged results.tsv and prints,
# per (workload, metric), nn's median beside each peer's and the ratio nn/peer.
#
# Usage: bench/compare.sh [options]
#   --skip-install        never install the peers (PEERS_DIR's venv/ and rust/target/ must exist)
#   --quick               BENCH_REPS=3, BENCH_TARGET_S=0.1 for every side (smoke test)
#   --only LIST           the peers to run, passed to run_all.sh (default all: peak,plain,
#                         nalgebra,dfdx,candle,jax,jax-unpinned,torch,torch-compile)
#   --peers-results FILE  merge these peer rows instead of running the peers
#   --nn-results FILE     merge these nn rows instead of building and running nn-bench
#   --out FILE            the merged file (default PEERS_DIR/results-nn.tsv, or
#                         /tmp/nn-compare-results.tsv with --peers-results)
#   --ratios-args "ARGS"  extra arguments for bench/ratios.py (e.g. "--long")
#   --force               run even if other processes have their working directory in
#                         PEERS_DIR (by default that stops the script: an install or a run)
# Env: PEERS_DIR   writable copy of the peers (default /tmp/nn-peers): made from BENCH_SHARED
#                  if missing, reused if present (its scripts and sources brought up to date
#                  from BENCH_SHARED first; its venv/, builds, logs and results kept); the peers
#                  are installed there (~6 GB, several minutes) only if its venv/ or Rust
#                  binaries are missing
#      BENCH_SHARED the peers' folder (default bench/peers: the shared harness of
#                  ../shared/bench with W5, a recurrent workload, added to its Python peers)
#      BENCH_CPU (0), BENCH_REPS (7), BENCH_TARGET_S (0.25), BENCH_WARMUP_S (0.3),
#      CARGO_TARGET_DIR (where nn-bench is built)
# nn runs single-thread as the peers do (pinned with taskset to BENCH_CPU, every thread pool
# sized 1), then W2 and W3 with --threads 2 unpinned (rows nn-<version>-2t).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS_DIR=${PEERS_DIR:-/tmp/nn-peers}
SHARED=${BENCH_SHARED:-$ROOT/bench/peers}
[ -d "$SHARED" ] && SHARED=$(cd "$SHARED" && pwd)
CPU=${BENCH_CPU:-0}

SKIP_INSTALL=0
FORCE=0
QUICK=0
ONLY=""
PEERS_RESULTS=""
NN_RESULTS=""
OUT=""
RATIOS_ARGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-install) SKIP_INSTALL=1 ;;
    --quick) QUICK=1 ;;
    --force) FORCE=1 ;;
    --only) ONLY="$2"; shift ;;
    --peers-results) PEERS_RESULTS="$2"; shift ;;
    --nn-results) NN_RESULTS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --ratios-args) RATIOS_ARGS="$2"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { print }' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then
  export BENCH_REPS=3 BENCH_TARGET_S=0.1
fi
export BENCH_REPS=${BENCH_REPS:-7} BENCH_TARGET_S=${BENCH_TARGET_S:-0.25}
export BENCH_WARMUP_S=${BENCH_WARMUP_S:-0.3}

if [ -n "$PEERS_RESULTS" ]; then
  OUT=${OUT:-/tmp/nn-compare-results.tsv}
else
  OUT=${OUT:-$PEERS_DIR/results-nn.tsv}
fi
HEADER=$'workload\tmetric\tpeer\tmedian\tmin\tmax\tunit'

# The processes (other than this script) whose working directory is inside $1: an install or
# a run of the peers there. Benchmarks beside a compiler or pip are noise, and two installs
# into one venv break it.
busy_in() {
  local dir cwd p
  dir=$(cd "$1" && pwd -P)
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    case "$cwd" in
      "$dir" | "$dir"/*) [ "${p#/proc/}" != $$ ] && echo "${p#/proc/}" ;;
    esac
  done
  return 0
}

# Copies into $2 every file of $1 that $2 lacks or holds with other contents, leaving alone
# what a run or an install made (venv/, rust/target/, logs/, results*.tsv, caches). A file
# copied again is one that changed, so cargo rebuilds only what a change touched.
sync_sources() {
  local src=$1 dst=$2 rel
  (cd "$src" && find . -type f \
    -not -path './venv/*' -not -path './rust/target/*' -not -path './logs/*' \
    -not -name 'results*.tsv' -not -path '*/__pycache__/*') |
    while IFS= read -r rel; do
      if ! cmp -s "$src/$rel" "$dst/$rel"; then
        mkdir -p "$(dirname "$dst/$rel")"
        cp -f "$src/$rel" "$dst/$rel"
        echo "   updated ${rel#./}" >&2
      fi
    done
}

# ---------------------------------------------------------------- the peers' copy
RUN_PEERS=0
if [ -z "$PEERS_RESULTS" ]; then
  RUN_PEERS=1
  if [ ! -e "$PEERS_DIR" ]; then
    [ -x "$SHARED/run_all.sh" ] || { echo "compare.sh: no peers at $SHARED (set BENCH_SHARED)" >&2; exit 1; }
    echo "== copying $SHARED to $PEERS_DIR" >&2
    mkdir -p "$PEERS_DIR"
    sync_sources "$SHARED" "$PEERS_DIR" 2> /dev/null
  fi
  [ -x "$PEERS_DIR/run_all.sh" ] || { echo "compare.sh: $PEERS_DIR has no run_all.sh" >&2; exit 1; }
  busy=$(busy_in "$PEERS_DIR" | tr '\n' ' ')
  if [ -n "$busy" ] && [ "$FORCE" = 0 ]; then
    echo "compare.sh: processes $busy are working in $PEERS_DIR (an install or a run);" \
      "wait for them to finish, use another PEERS_DIR, or --force" >&2
    exit 1
  fi
  echo "== bringing $PEERS_DIR up to date with $SHARED" >&2
  sync_sources "$SHARED" "$PEERS_DIR"
  missing=""
  [ -x "$PEERS_DIR/venv/bin/python" ] || missing=" venv/"
  for b in peak plain-baseline nalgebra-baseline dfdx-peer candle-peer; do
    for dir in rust/target/release rust/target/native/release; do
      [ -x "$PEERS_DIR/$dir/$b" ] || missing="$missing $dir/$b"
    done
  done
  PEER_ARGS=(--out results-peers.tsv)
  [ "$QUICK" = 1 ] && PEER_ARGS+=(--quick)
  [ -n "$ONLY" ] && PEER_ARGS+=(--only "$ONLY")
  if [ -z "$missing" ]; then
    PEER_ARGS+=(--skip-install)
  elif [ "$SKIP_INSTALL" = 1 ]; then
    PEER_ARGS+=(--skip-install)
    echo "compare.sh: warning: --skip-install, but $PEERS_DIR lacks$missing;" \
      "the peers needing them will fail (run without --skip-install to install:" \
      "~6 GB, several minutes)" >&2
  else
    echo "== the peers are not installed in $PEERS_DIR (missing:$missing):" \
      "run_all.sh installs them first" >&2
  fi
  PEERS_RESULTS=$PEERS_DIR/results-peers.tsv
fi

mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
NN_LOG=${OUT%.tsv}.nn.log

# ---------------------------------------------------------------- nn-bench, built first
RUN_NN=0
if [ -z "$NN_RESULTS" ]; then
  RUN_NN=1
  echo "== cargo build --release -p nn-bench" >&2
  (cd "$ROOT" && cargo build --release -p nn-bench >&2)
  TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  NN_BIN=$TARGET/release/nn-bench
  NN_RESULTS=${OUT%.tsv}.nn-rows.tsv
fi

# ---------------------------------------------------------------- runs, one after the other
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nn: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
  echo "rustc: $(rustc --version)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "BENCH_REPS=$BENCH_REPS BENCH_TARGET_S=$BENCH_TARGET_S BENCH_WARMUP_S=$BENCH_WARMUP_S pinned core=$CPU"
} > "${OUT%.tsv}.env.txt"

if [ "$RUN_PEERS" = 1 ]; then
  echo "== peers: (cd $PEERS_DIR && ./run_all.sh ${PEER_ARGS[*]})" >&2
  (cd "$PEERS_DIR" && ./run_all.sh "${PEER_ARGS[@]}")
fi

if [ "$RUN_NN" = 1 ]; then
  # The single-thread environment of run_all.sh: pinned to one core, every pool sized 1; the
  # two-thread one: not pinned, pools sized 2.
  ST=(env RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c "$CPU")
  MT=(env RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2)
  : > "$NN_LOG"
  echo "== nn: ${ST[*]} $NN_BIN (log: $NN_LOG)" >&2
  "${ST[@]}" "$NN_BIN" > "$NN_RESULTS" 2> >(tee -a "$NN_LOG" >&2)
  # The same rows with the kernels forced to the baseline level (peer nn-0.1-baseline).
  echo "== nn: NN_SIMD=baseline ${ST[*]} $NN_BIN" >&2
  NN_SIMD=baseline "${ST[@]}" "$NN_BIN" >> "$NN_RESULTS" 2> >(tee -a "$NN_LOG" >&2)
  echo "== nn: ${MT[*]} $NN_BIN --threads 2 --workloads W2,W3" >&2
  "${MT[@]}" "$NN_BIN" --threads 2 --workloads W2,W3 >> "$NN_RESULTS" 2> >(tee -a "$NN_LOG" >&2)
  wait # for the tee processes
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "${OUT%.tsv}.env.txt"

# ---------------------------------------------------------------- one results.tsv
{
  echo "$HEADER"
  for f in "$PEERS_RESULTS" "$NN_RESULTS"; do
    grep -v -x -F "$HEADER" "$f" || true
  done
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "== wrote $OUT ($(($(wc -l < "$OUT") - 1)) rows; environment in ${OUT%.tsv}.env.txt)" >&2
TABLE=$SHARED/tools/table.py
[ "$RUN_PEERS" = 1 ] && TABLE=$PEERS_DIR/tools/table.py
echo "   all medians as tables: python3 $TABLE $OUT" >&2
echo
# shellcheck disable=SC2086 # RATIOS_ARGS is a list of words on purpose
python3 "$ROOT/bench/ratios.py" "$OUT" $RATIOS_ARGS
