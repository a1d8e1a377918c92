"""Figures of docs/data.md "Three foreign shapes" and "Roster inferred": issue 22.

Writes the three foreign shapes of ``tests/foreign_shapes.py`` (the sample generator's history
exported as a national polyclinic table, one physician's consultation log, an export without
booking time), ingests each with its hand-written mapping and prints, per shape: rows read /
accepted / quarantined / excluded, walk-ins in the truth and as read, and the error of the
doctors per session (weekday x AM/PM: inferred minus the generator's roster mean), max and
mean. Then the roster inferred without doctor ids on the sample network (per date: share exact,
mean absolute error; per session: max and mean error).

    python bench/bench_foreign_shapes.py [--polyclinics 4 --days 182 --seed 22]
    python bench/bench_foreign_shapes.py --sample     # the bundled sample: 6 x 365, its seed
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import foreign_shapes as fs  # noqa: E402
from polyslot.data import Store, ingest  # noqa: E402
from polyslot.synthetic import generate_network  # noqa: E402

SAMPLE = (6, 365, 20261123)


def shapes_table(net, folder: Path) -> None:
    print(
        "| shape | read | accepted | quarantined | excluded | walk-ins truth | walk-ins read "
        "| doctors/session error max | mean | ingest s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in fs.SHAPES:
        sh = fs.build(folder / name, name, net)
        t0 = time.perf_counter()
        s = ingest(sh.source, folder / name / "store", mapping=sh.mapping)
        secs = time.perf_counter() - t0
        t = s.tables["attendances"]
        stored = Store(folder / name / "store").table("attendances")
        read_walk = int((stored["status"] == "walk_in").sum())
        truth_walk = sum(sh.walk_ins.values())
        err = fs.session_errors(sh, folder / name / "store")["error"].abs()
        walk = f"{read_walk:,}" if name != "consultation_log" else "0 (no walk-in column)"
        print(
            f"| {name} | {t.read:,} | {t.accepted:,} | {t.quarantined:,} | {t.excluded:,} "
            f"| {truth_walk:,} | {walk} | {err.max():.2f} | {err.mean():.2f} | {secs:.1f} |"
        )


def roster_without_ids(net, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    net.attendances.assign(doctor_id=None).to_parquet(folder / "attendances.parquet")
    ingest(folder, folder / "store")
    with duckdb.connect(str(folder / "store" / "polyslot.duckdb"), read_only=True) as con:
        got = con.execute("SELECT polyclinic_id, date, start_time, doctors FROM roster").df()
    truth = net.roster.copy()
    for f in (got, truth):
        f["date"] = pd.to_datetime(f["date"])
        f["half"] = (f["start_time"].astype(str) >= "12:00").astype(int)
    m = truth.merge(got, on=["polyclinic_id", "date", "half"], suffixes=("_true", "_inf"))
    diff = m["doctors_inf"] - m["doctors_true"]
    m["wd"] = m["date"].dt.weekday
    per = m.groupby(["polyclinic_id", "wd", "half"])[["doctors_true", "doctors_inf"]].mean()
    err = (per["doctors_inf"] - per["doctors_true"]).abs()
    print(
        f"without doctor ids: {len(m):,} of {len(truth):,} true half-days found "
        f"({len(got) - len(m)} extra); per date exact {(diff == 0).mean():.1%}, mean |error| "
        f"{diff.abs().mean():.2f}; per session ({len(per)}) max |error| {err.max():.2f}, mean "
        f"{err.mean():.2f}; inferred minus true, mean over sessions "
        f"{(per['doctors_inf'] - per['doctors_true']).mean():+.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polyclinics", type=int, default=4)
    ap.add_argument("--days", type=int, default=182)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--sample", action="store_true", help="the bundled sample (6 x 365)")
    args = ap.parse_args()
    n, days, seed = SAMPLE if args.sample else (args.polyclinics, args.days, args.seed)
    if args.sample:  # as `make run` generates it (without its injected defects)
        net = generate_network(n, days, seed, start=pd.Timestamp("2025-01-01").date())
    else:  # as the tests do
        net = fs.network(n, days, seed)
    print(f"network: {n} polyclinics x {days} days, seed {seed}, {len(net.attendances):,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        shapes_table(net, Path(tmp) / "shapes")
        roster_without_ids(net, Path(tmp) / "no_ids")


if __name__ == "__main__":
    main()
