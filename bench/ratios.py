#!/usr/bin/env python3
"""nn beside every peer, from one merged results.tsv (standard library only).

Usage: python3 bench/ratios.py RESULTS.tsv [--nn PREFIX] [--long] [--peers A,B,...]

For each nn configuration in the file (peer names starting with PREFIX, default "nn-";
e.g. nn-0.1 and nn-0.1-2t) and each (workload, metric) it has a ns/sample row for, prints
nn's median beside each peer's median and the ratio nn/peer of the medians: below 1, nn
is faster; above 1, the peer is. The last row is the geometric mean of each column's
ratios over the metrics both sides have (a summary across very different workloads; read
the rows).

  --long     one line per (workload, metric, peer) instead of one wide table per nn
  --peers    only these peers (comma list of exact names), in that order

The GFLOP/s rows are not repeated: for the same FLOP count their ratio is the inverse.
"""
import argparse
import csv
import math
import signal
import sys

FAMILIES = ["plain-rust", "nalgebra", "dfdx", "candle", "jax", "torch"]


def peer_key(p):
    """The order of the peers' tools/table.py: family, 1 thread before -2t, variants."""
    fam = next((i for i, f in enumerate(FAMILIES) if p.startswith(f)), len(FAMILIES))
    variant = ("+native" in p) + 2 * ("unpinned" in p) + 4 * ("compile" in p)
    return (fam, "-2t" in p, variant, p)


def fmt(v):
    """Three significant figures at most, thousands separated (as tools/table.py)."""
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_ratio(r):
    """Three significant figures."""
    return f"{r:,.0f}" if r >= 1000 else f"{r:.3g}"


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--nn", default="nn-", help="prefix of nn's peer names (default nn-)")
    ap.add_argument("--long", action="store_true", help="one line per (workload, metric, peer)")
    ap.add_argument("--peers", help="comma list of peers to show, in order")
    args = ap.parse_args()

    with open(args.results, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["unit"] == "ns/sample"]
    median = {}
    for r in rows:
        if r["workload"] == "peak":
            continue
        median[(r["workload"], r["metric"], r["peer"])] = float(r["median"])

    nns = sorted({p for (_, _, p) in median if p.startswith(args.nn)}, key=lambda p: ("-2t" in p, p))
    if not nns:
        sys.exit(f"ratios.py: no peer named {args.nn}* with ns/sample rows in {args.results}")
    others = sorted({p for (_, _, p) in median if not p.startswith(args.nn)}, key=peer_key)
    if args.peers:
        wanted = [p.strip() for p in args.peers.split(",") if p.strip()]
        missing = [p for p in wanted if p not in others]
        if missing:
            sys.exit(f"ratios.py: no rows for {', '.join(missing)} (known: {', '.join(others)})")
        others = wanted

    print(f"nn/peer = nn's median time per sample / the peer's (from {args.results});")
    print("below 1: nn is faster. Cells: the peer's median ns/sample (nn/peer).")
    print()
    for nn in nns:
        keys = sorted({(w, m) for (w, m, p) in median if p == nn})
        peers = [p for p in others if any((w, m, p) in median for (w, m) in keys)]
        logs = {p: [] for p in peers}
        if args.long:
            print(f"| workload | metric | {nn} ns/sample | peer | peer ns/sample | nn/peer |")
            print("|---|---|---:|---|---:|---:|")
        else:
            print(f"| workload | metric | {nn} | " + " | ".join(peers) + " |")
            print("|---|---|---:|" + "---:|" * len(peers))
        for w, m in keys:
            mine = median[(w, m, nn)]
            cells = []
            for p in peers:
                theirs = median.get((w, m, p))
                if theirs is None or theirs <= 0:
                    cells.append("–")
                    continue
                ratio = mine / theirs
                logs[p].append(math.log(ratio))
                cells.append(f"{fmt(theirs)} ({fmt_ratio(ratio)})")
                if args.long:
                    print(f"| {w} | {m} | {fmt(mine)} | {p} | {fmt(theirs)} | {fmt_ratio(ratio)} |")
            if not args.long:
                print(f"| {w} | {m} | {fmt(mine)} | " + " | ".join(cells) + " |")
        geo = [
            f"{fmt_ratio(math.exp(sum(v) / len(v)))} over {len(v)}" if v else "–"
            for v in (logs[p] for p in peers)
        ]
        if args.long:
            print()
            for p, g in zip(peers, geo):
                print(f"geometric mean of nn/peer, {nn} vs {p}: {g}")
        else:
            print(f"| geomean | nn/peer | | " + " | ".join(geo) + " |")
        print()


if __name__ == "__main__":
    main()
