#!/usr/bin/python3
"""Drives the bank campaign (examples/campaigns/bank.json, the UCI Bank Marketing data replayed)
in simulation and plots its first day -- agent occupancy, abandon rate and dial level every
15 minutes -- to a PNG with matplotlib.

    PYTHONPATH=build/bindings/python /usr/bin/python3 examples/python/bank_timeline.py \
        [--policy predictive] [--out bank_timeline.png] [--quick]

The setup is the Simulation rig as the C API and bank_dump.py use it: memory storage, a virtual
clock at the file's start, the replay world, every agent logged in (no agent shift), contacts in
list "main". --policy replaces the campaign's PROGRESSIVE pacing (e.g. "predictive", "power:2",
"threshold:k=1.5": the names of omnivox.bench). --quick uses the first 3000 contacts and 6 hours.
"""

import argparse
import datetime as dt
import os
import pathlib
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import omnivox  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
BANK = HERE.parent / "campaigns" / "bank.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--campaign", default=str(BANK))
    ap.add_argument("--policy", default="", help="pacing policy (default: the dial mode's)")
    ap.add_argument("--out", default="bank_timeline.png")
    ap.add_argument("--hours", type=float, default=13.0, help="virtual hours to plot")
    ap.add_argument("--quick", action="store_true", help="3000 contacts, 6 hours")
    args = ap.parse_args()

    f = omnivox.load_campaign_file(args.campaign)
    hours = args.hours
    if args.quick:
        hours = min(hours, 6.0)
        lines = pathlib.Path(f.contacts_path).read_text(encoding="utf-8").splitlines(True)
        tmp = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
        tmp.writelines(lines[:3001])
        tmp.close()
        f.contacts_path = f.replay_path = tmp.name

    sim = omnivox.simulation_for(f)
    engine, cid = sim.engine, f.campaign.id
    report = engine.import_contacts(cid, "main", f.contacts_path, f.import_options)
    print(f"import: {report.summary()}", file=sys.stderr)
    if args.policy:
        engine.set_pacing_policy(cid, omnivox.bench.make_policy(args.policy, sim, f.campaign))
    engine.start_campaign(cid)

    times, occupancy, abandon, dial_level = [], [], [], []
    last_handle = last_logged = 0.0
    step = dt.timedelta(minutes=15)
    assert f.start is not None  # a campaign file always has a start
    end = f.start + dt.timedelta(hours=hours)
    while (now := engine.now()) is not None and now < end:
        engine.run_for(step)
        s = engine.statistics(cid)
        handle = s.talk_seconds + s.wrap_seconds
        d_logged = s.logged_in_seconds - last_logged
        # occupancy over the last 15 minutes, as `omnivox run`'s metrics.json
        occupancy.append((handle - last_handle) / d_logged if d_logged > 0 else 0.0)
        last_handle, last_logged = handle, s.logged_in_seconds
        abandon.append(100.0 * s.abandon_rate)
        dial_level.append(s.dial_level)
        times.append(s.at)

    s = engine.statistics(cid)
    print(f"{cid}: {s.attempts} attempts, {s.live_answers} live answers, {s.connects} connects, "
          f"abandon rate {100 * s.abandon_rate:.2f} %, occupancy {100 * s.occupancy:.1f} %, "
          f"{s.contacts_final}/{s.contacts_total} contacts final")

    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
    policy = args.policy or f.campaign.dial_mode.name.lower()
    fig.suptitle(f"{f.campaign.name or cid} -- {policy}, {f.agents} agents, simulated")
    axes[0].plot(times, [100 * x for x in occupancy], color="tab:blue")
    axes[0].set_ylabel("occupancy (%)\nlast 15 min")
    axes[0].set_ylim(0, 100)
    axes[1].plot(times, abandon, color="tab:red")
    axes[1].axhline(100 * f.campaign.compliance.abandon_cap, color="gray", linestyle="--",
                    label="cap")
    axes[1].set_ylabel("abandon rate (%)\ncumulative")
    axes[1].legend(loc="upper right")
    axes[2].plot(times, dial_level, color="tab:green")
    axes[2].set_ylabel("dial level\n(lines per agent)")
    axes[2].set_xlabel("time (UTC)")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {os.path.abspath(args.out)}")
    if args.quick:
        os.unlink(f.contacts_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
