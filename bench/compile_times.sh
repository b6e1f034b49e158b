#!/usr/bin/env bash
# Release-mode compile times of code written by network!, measured on a snapshot of this
# working tree (tracked and untracked, not ignored files) in a temporary directory, with a
# fresh target directory:
#
#   (a) W4's network alone: a one-file crate holding only the deep-narrow network of the
#       benchmarks (32 inputs, 16 dense(32) tanh layers, dense(1) sigmoid, BCE) and a main
#       that calls forward, loss_and_grad and loss_and_grad_batch::<32> and Sgd::step, with
#       its dependencies (nn, nalgebra, ...) already built: the time of the macro and of
#       rustc on that network. The same crate with W1's 2-8-1 network is the floor (a crate
#       using nn at all); the difference is what the 16 layers cost.
#   (b) `cargo build --release --examples` from clean, dependencies included.
#   (c) the rebuild after editing one network: examples/xor.rs's hidden width changed
#       8 -> 9, rebuilt, changed back, rebuilt (each rebuild is one sample).
#
# Usage: bench/compile_times.sh [--reps N] [--keep]
#   --reps N   samples of (a) and rebuild pairs of (c) (default 3); (b) runs once
#   --keep     keep the temporary directory (its path is printed)
# Prints the three times (medians) last; cargo's output goes to a log in the temporary
# directory. Figures depend on the machine's load: run it on an otherwise idle machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPS=3
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { print }' "$0"; exit 0 ;;
    *) echo "compile_times.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nn-compile-times.XXXXXX")
if [ "$KEEP" = 1 ]; then
  echo "keeping $WORK" >&2
else
  trap 'rm -rf "$WORK"' EXIT
fi
LOG=$WORK/cargo.log
export CARGO_TARGET_DIR=$WORK/target # fresh, and shared by (a), (b) and (c)
unset RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_INCREMENTAL

# Runs a command, appending its output to the log; prints its wall time in seconds.
timed() {
  local start=$EPOCHREALTIME
  if ! "$@" >> "$LOG" 2>&1; then
    echo "compile_times.sh: failed: $* (last lines of $LOG:)" >&2
    tail -20 "$LOG" >&2
    exit 1
  fi
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'
}

# The median of the arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "== snapshot of $ROOT in $WORK/nn" >&2
mkdir -p "$WORK/nn"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -C "$WORK/nn" -xf -
{
  echo "nn: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "rustc: $(rustc --version)"
  echo "cpus: $(nproc), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$LOG" >&2

# ---------------------------------------------------------------- (b)
echo "== (b) cargo build --release --examples, from clean" >&2
B=$(cd "$WORK/nn" && timed cargo build --release --examples)
echo "   $B s" >&2

# ---------------------------------------------------------------- (c)
XOR=$WORK/nn/examples/xor.rs
grep -q 'hidden: dense(8) -> tanh' "$XOR" \
  || { echo "compile_times.sh: examples/xor.rs no longer has 'hidden: dense(8) -> tanh'" >&2; exit 1; }
C=()
for _ in $(seq "$REPS"); do
  for widths in '8/9' '9/8'; do
    sed -i "s|hidden: dense(${widths%/*}) -> tanh|hidden: dense(${widths#*/}) -> tanh|" "$XOR"
    t=$(cd "$WORK/nn" && timed cargo build --release --examples)
    echo "== (c) rebuild after xor.rs's hidden width ${widths%/*} -> ${widths#*/}: $t s" >&2
    C+=("$t")
  done
done

# ---------------------------------------------------------------- (a)
PROBE=$WORK/probe
mkdir -p "$PROBE/src"
cp "$WORK/nn/Cargo.lock" "$PROBE/Cargo.lock"
cat > "$PROBE/Cargo.toml" <<EOF
[package]
name = "compile-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
nn = { path = "$WORK/nn" }

[workspace]
EOF

# main.rs for a network: $1 is its input width, $2 its definition's lines.
probe_main() {
  cat <<EOF
use nn::nalgebra::{SMatrix, SVector};

nn::network! {
    pub struct Probe {
$2
    }
}

const IN: usize = $1;

fn main() {
    let mut net = Probe::<f32>::seeded(1);
    let sgd = nn::Sgd::new(0.01);
    let xs = SMatrix::<f32, IN, 32>::from_fn(|i, j| ((i * 7 + j) % 5) as f32 - 2.0);
    let ys = SMatrix::<f32, 1, 32>::from_fn(|_, j| (j % 2) as f32);
    let (loss, grad) = net.loss_and_grad_batch::<32>(&xs, &ys);
    sgd.step(&mut net, &grad);
    let x: SVector<f32, IN> = xs.column(0).into_owned();
    let y: SVector<f32, 1> = ys.column(0).into_owned();
    let (loss1, grad1) = net.loss_and_grad(&x, &y);
    sgd.step(&mut net, &grad1);
    println!("{loss} {loss1} {}", net.forward(&x)[0]);
}
EOF
}
W1_NET='        input: 2,
        hidden: dense(8) -> tanh,
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,'
W4_NET="        input: 32,
$(for i in $(seq 16); do echo "        h$i: dense(32) -> tanh,"; done)
        output: dense(1) -> sigmoid,
        loss: binary_cross_entropy,"

echo "== (a) one-file crates, dependencies built first (not timed)" >&2
probe_main 2 "$W1_NET" > "$PROBE/src/main.rs"
(cd "$PROBE" && timed cargo build --release > /dev/null)
A4=()
A1=()
for _ in $(seq "$REPS"); do
  probe_main 32 "$W4_NET" > "$PROBE/src/main.rs"
  t=$(cd "$PROBE" && timed cargo build --release)
  echo "   W4 (16 x dense(32)): $t s" >&2
  A4+=("$t")
  probe_main 2 "$W1_NET" > "$PROBE/src/main.rs"
  t=$(cd "$PROBE" && timed cargo build --release)
  echo "   W1 (2-8-1): $t s" >&2
  A1+=("$t")
done

a4=$(median "${A4[@]}")
a1=$(median "${A1[@]}")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG" >&2
echo
echo "(a) W4 network alone (one-file crate, 16 x dense(32) tanh, deps built): $a4 s" \
  "(median of $REPS; the same crate with W1's 2-8-1: $a1 s; difference" \
  "$(awk -v a="$a4" -v b="$a1" 'BEGIN { printf "%.2f", a - b }') s)"
echo "(b) cargo build --release --examples from clean (fresh target dir, deps included): $B s"
echo "(c) release rebuild after editing examples/xor.rs's network: $(median "${C[@]}") s" \
  "(median of ${#C[@]}: ${C[*]})"
