"""polyslot's headline per polyclinic next to a simulator written only from truth.json.

Usage: .venv/bin/python bench/bench_independent_check.py [OUT] [--days 60] [--seed 5]

``OUT`` (default ``out``, where ``make run`` writes) is the output directory of ``polyslot
run`` on the embedded sample (it holds
``sample/truth.json``, ``sample/slot_template.parquet``, ``templates/<id>.csv`` and
``summary.json``). For every polyclinic the current and the recommended templates are simulated
by ``tests/synthetic/truth_sim.py`` (no polyslot import; common random numbers, ``--days`` days
of each weekday Mon-Sat at the annual-average season) and printed beside polyslot's claim, as a
Markdown table (docs/performance.md). Prints the CPU seconds used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "synthetic"))
from truth_sim import WEEKDAYS, TruthClinic, paired_wait_difference, summarise  # noqa: E402


def _row(out: Path, truth: dict, pc: str, entry: dict, days: int, seed: int) -> str:
    kind = truth["polyclinics"][pc]["kind"]
    claim = "skipped"
    if entry:
        claim = (
            f"{entry['wait_mean_current']:.1f} -> {entry['wait_mean_recommended']:.1f} "
            f"({-entry['wait_reduction_pct']:+.0f}%), {entry['patients_served_current']:.0f} -> "
            f"{entry['patients_served_recommended']:.0f}"
        )
        if entry.get("verdict"):
            claim += f", {entry['verdict']}"
    rec_file = out / "templates" / f"{pc}.csv"
    st = pd.read_parquet(out / "sample" / "slot_template.parquet")
    cur = st[st["polyclinic_id"] == pc].assign(
        weekday=lambda f: f["weekday"].map(dict(enumerate(WEEKDAYS)))
    )
    clinic = TruthClinic(truth, pc)
    now = [
        d
        for w, name in enumerate(WEEKDAYS[:6])
        for d in clinic.simulate(cur[cur["weekday"] == name].to_dict("records"), w, days, seed)
    ]
    s_now = summarise(now)
    if not rec_file.exists() or not entry:
        indep = f"{s_now['wait_mean']:.1f} now, {6 * s_now['seen_per_day']:.0f} seen/wk"
        return f"| {pc} | {kind} | {claim} | {indep} | | |"
    rec = pd.read_csv(rec_file, dtype={"start_time": str})
    new = [
        d
        for w, name in enumerate(WEEKDAYS[:6])
        for d in clinic.simulate(rec[rec["weekday"] == name].to_dict("records"), w, days, seed)
    ]
    s_new = summarise(new)
    diff, lo, hi = paired_wait_difference(now, new)
    pct = 100 * diff / s_now["wait_mean"] if s_now["wait_mean"] else 0.0
    indep = (
        f"{s_now['wait_mean']:.1f} -> {s_new['wait_mean']:.1f} ({-pct:+.0f}%), "
        f"{6 * s_now['seen_per_day']:.0f} -> {6 * s_new['seen_per_day']:.0f}"
    )
    ci = f"{lo:.1f} .. {hi:.1f}"
    ot = f"{s_now['overtime']:.0f} -> {s_new['overtime']:.0f}"
    return f"| {pc} | {kind} | {claim} | {indep} | {ci} | {ot} |"


def _fidelity(out: Path, truth: dict, days: int, seed: int) -> None:
    """History's mean wait per polyclinic vs the truth simulation of today's template."""
    import numpy as np

    a = pd.read_parquet(
        out / "sample" / "attendances.parquet",
        columns=["polyclinic_id", "status", "arrival_ts", "consult_start_ts"],
    )
    a = a[a["status"].isin(["attended", "walk_in"])]
    wait = (a["consult_start_ts"] - a["arrival_ts"]).dt.total_seconds() / 60
    a = a.assign(wait=wait)[wait.between(0, 600)]
    st = pd.read_parquet(out / "sample" / "slot_template.parquet")
    season = truth["demand"]["seasonality"]
    print(
        "\n| polyclinic | kind | history mean wait (min) | truth simulation of today's template |"
    )
    print("|---|---|---|---|")
    for pc in sorted(truth["polyclinics"]):
        h = a[a["polyclinic_id"] == pc]
        dates = pd.Series(h["arrival_ts"].dt.date.unique())
        doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
        s = 1 + season["amplitude"] * np.cos(2 * np.pi * (doy - season["peak_day"]) / 365.25)
        per_wd = pd.Series([d.weekday() for d in dates]).value_counts()
        cur = st[st["polyclinic_id"] == pc]
        clinic = TruthClinic(truth, pc)
        waits = []
        for w in range(6):
            sim = clinic.simulate(
                cur[cur["weekday"] == w].to_dict("records"), w, days, seed, float(s.mean())
            )
            waits.append(np.concatenate([d.waits for d in sim]).repeat(int(per_wd.get(w, 0))))
        kind = truth["polyclinics"][pc]["kind"]
        sim_wait = float(np.concatenate(waits).mean())
        print(f"| {pc} | {kind} | {h['wait'].mean():.1f} | {sim_wait:.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path, nargs="?", default=Path("out"))
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    t0 = time.process_time()
    if not (args.out / "sample" / "truth.json").is_file():
        print(f"{args.out}/sample/truth.json not found: run `make run` (polyslot run) first")
        return
    truth = json.loads((args.out / "sample" / "truth.json").read_text())
    summary = json.loads((args.out / "summary.json").read_text())
    entries = {p["polyclinic_id"]: p for p in summary["polyclinics"]}
    print(
        "| polyclinic | kind | polyslot: wait now -> new (min), patients/week | "
        "independent: wait now -> new (min), seen/week | independent reduction 95% CI (min) "
        "| independent overtime min/day |"
    )
    print("|---|---|---|---|---|---|")
    for pc in sorted(truth["polyclinics"]):
        print(_row(args.out, truth, pc, entries.get(pc, {}), args.days, args.seed), flush=True)
    _fidelity(args.out, truth, args.days, args.seed)
    print(f"\n{time.process_time() - t0:.1f} CPU-s")


if __name__ == "__main__":
    main()
