#!/usr/bin/env bash
# The footprint of the LM3S6965 sine firmware (embedded/lm3s6965-sine), measured the same way
# every time: each variant is built with the crate's release profile, then
#
#   flash = text + data     (code, constants and the baked weights, and the initial values
#                            of .data, all stored in flash; from `size`, Berkeley format)
#   RAM   = data + bss + the measured stack peak
#                           (the stack high-water mark the firmware prints after painting
#                            its stack, running under QEMU)
#
# Profile (embedded/lm3s6965-sine/Cargo.toml): opt-level "z", lto = true ("fat"),
# codegen-units = 1, panic = "abort"; target thumbv7m-none-eabi (Cortex-M3); debug symbols
# are in the ELF file only. Variants: the fixed-point printer (default) and floats printed by
# `core::fmt` (`--features fmt-float`).
#
# Usage: bench/footprint.sh [--markdown]
#   --markdown  print the rows of BENCHMARKS.md's footprint table instead of plain text
# Needs: the thumbv7m-none-eabi target (rustup), qemu-system-arm, binutils' `size`.
# Env: CARGO_TARGET_DIR (default embedded/lm3s6965-sine/target)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRATE=$ROOT/embedded/lm3s6965-sine
TARGET_DIR=${CARGO_TARGET_DIR:-$CRATE/target}
ELF=$TARGET_DIR/thumbv7m-none-eabi/release/lm3s6965-sine
MARKDOWN=0
[[ "${1:-}" == "--markdown" ]] && MARKDOWN=1

measure() {
    local name=$1
    shift
    (cd "$CRATE" && CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet "$@")
    local text data bss
    read -r text data bss _ < <(size "$ELF" | tail -n 1)
    local out
    out=$(timeout 60 qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic \
        -semihosting-config enable=on,target=native -kernel "$ELF" 2>/dev/null)
    local stack
    stack=$(sed -n 's/^stack high-water mark: \([0-9]*\) bytes$/\1/p' <<<"$out")
    if [[ -z "$stack" ]]; then
        echo "footprint: no stack high-water mark in the output of $name:" >&2
        echo "$out" >&2
        exit 1
    fi
    local flash=$((text + data)) ram=$((data + bss + stack))
    if ((MARKDOWN)); then
        awk -v n="$name" -v f="$flash" -v r="$ram" \
            'BEGIN { printf "| nn, %s (f32) | LM3S6965 | %.1f kB | %.1f kB |\n", n, f / 1000, r / 1000 }'
    else
        printf '%-28s flash %6d B (text %d + data %d)   RAM %5d B (data %d + bss %d + stack %d)\n' \
            "$name" "$flash" "$text" "$data" "$ram" "$data" "$bss" "$stack"
    fi
}

measure "fixed-point printer"
measure "core::fmt floats" --features fmt-float
