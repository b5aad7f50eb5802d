#!/usr/bin/python3
"""Plots the occupancy-abandon frontier from `omnivox bench-pacing` results.

Usage: /usr/bin/python3 benchmarks/plot_frontier.py OUT.png SUMMARY.json [SUMMARY.json ...]

Each SUMMARY.json is the summary written by one bench run (typically the same scenario at
several abandon caps, see benchmarks/frontier.sh). Every policy becomes one line through its
(abandon rate, occupancy) points with 95 % confidence bars; the stylised model's exact optimum,
when the scenario has one, is drawn as the frontier no policy can beat on average.
Needs Debian's python3-matplotlib (apt-get install python3-matplotlib).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    out, paths = sys.argv[1], sys.argv[2:]
    summaries = sorted((json.load(open(p)) for p in paths), key=lambda s: s["abandon_cap"])
    fig, ax = plt.subplots(figsize=(8, 5.5))
    policies = {}
    optimum = []
    for s in summaries:
        for p in s["policies"]:
            policies.setdefault(p["policy"], []).append(p)
        if "optimum" in s:
            optimum.append((s["optimum"]["abandon_rate"], s["optimum"]["occupancy"]))
    if optimum:
        xs, ys = zip(*optimum)
        ax.plot([100 * x for x in xs], ys, "k--", linewidth=2, label="optimum (exact CMDP)")
    for name, points in policies.items():
        xs = [100 * p["abandon_rate"] for p in points]
        ys = [p["occupancy"] for p in points]
        xerr = [100 * p["abandon_rate_ci95"] for p in points]
        yerr = [p["occupancy_ci95"] for p in points]
        ax.errorbar(xs, ys, xerr=xerr, yerr=yerr, marker="o", capsize=3, label=name)
    title = summaries[0]["scenario"]
    ax.set_title(f"Occupancy vs abandon rate — {title} ({summaries[0]['agents']} agents)")
    ax.set_xlabel("abandon rate (% of live answers)")
    ax.set_ylabel("agent occupancy")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
