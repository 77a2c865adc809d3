"""Chart of a benchmark run: throughput and p99 latency per workload, three systems side by side.

Usage: chart.py results.csv chart.png   (needs matplotlib; make bench installs it in bench/.venv)
Reads the CSV written by `loadgen suite`; draws nothing but what it finds there.
"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SYSTEMS = [("raw", "raw gfapi", "#7f7f7f"), ("gateway", "glusters3 gateway", "#1f77b4"), ("peer", "s3s-fs on FUSE", "#ff7f0e")]


def main(src: str, dst: str) -> None:
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    workloads = []
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    by = {(r["system"], r["workload"]): r for r in rows}
    present = [s for s in SYSTEMS if any(r["system"] == s[0] for r in rows)]
    width = 0.8 / max(len(present), 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(min(22, max(12, 0.3 * len(workloads) * len(present))), 9), sharex=True)
    xs = range(len(workloads))
    for i, (key, label, color) in enumerate(present):
        off = [x - 0.4 + width * (i + 0.5) for x in xs]
        thr = [float(by[(key, w)]["ops_s"]) if (key, w) in by else 0 for w in workloads]
        p99 = [float(by[(key, w)]["p99_ms"]) if (key, w) in by else 0 for w in workloads]
        top.bar(off, thr, width, label=label, color=color)
        bottom.bar(off, p99, width, label=label, color=color)
    top.set_yscale("log")
    top.set_ylabel("operations / s (log)")
    top.set_title("Throughput per workload (higher is better); data workloads move size x ops/s")
    top.legend(loc="upper right")
    top.grid(axis="y", alpha=0.3)
    bottom.set_yscale("log")
    bottom.set_ylabel("p99 latency, ms (log)")
    bottom.set_title("p99 latency per workload (lower is better)")
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_xticks(list(xs))
    bottom.set_xticklabels(workloads, rotation=60, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"chart: {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py results.csv chart.png")
    main(sys.argv[1], sys.argv[2])
