"""Benchmark of ``polyslot estimate``: the default sample and a scaled-up store.

Usage::

    .venv/bin/python bench/bench_estimate.py [--polyclinics 6] [--days 365] [--copies 1]

Generates the synthetic network, writes attendances, roster and slot template to a DuckDB
store (``--copies K`` replicates every polyclinic K times under new ids inside DuckDB, to
reach large row counts), then times :func:`polyslot.estimate.estimate_network` with the
built-in models (no supplied forecast or prediction tables) in a child process and prints
wall time, rows/s and the child's peak memory (so generation and store writing are not counted).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--polyclinics", type=int, default=6)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--estimate-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.estimate_only is not None:
        _estimate(args.estimate_only)
        return

    from polyslot.synthetic import generate_network

    t0 = time.perf_counter()
    net = generate_network(args.polyclinics, args.days, args.seed)
    t_gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "polyslot.duckdb"
        con = duckdb.connect(str(path))
        for name in ("attendances", "roster", "slot_template"):
            con.register("f", getattr(net, name))
            if args.copies == 1:
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM f")
            else:
                extra = (
                    ", attendance_id || '-' || CAST(k AS VARCHAR) AS attendance_id, "
                    "patient_id || '-' || CAST(k AS VARCHAR) AS patient_id"
                    if name == "attendances"
                    else ""
                )
                excl = "polyclinic_id, attendance_id, patient_id" if extra else "polyclinic_id"
                con.execute(
                    f"CREATE TABLE {name} AS SELECT * EXCLUDE ({excl}), "
                    f"polyclinic_id || '-' || CAST(k AS VARCHAR) AS polyclinic_id {extra} "
                    f"FROM f CROSS JOIN range({args.copies}) t(k)"
                )
            con.unregister("f")
        rows = con.execute("SELECT count(*) FROM attendances").fetchone()[0]
        con.close()
        del net
        subprocess.run([sys.executable, __file__, "--estimate-only", str(path)], check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"generate: {t_gen:.1f} s; attendance_rows={rows:,}")
    print(f"peak RSS of the estimation process: {peak:,.0f} MiB")


def _estimate(path: Path) -> None:
    from polyslot.estimate import estimate_network

    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT count(*) FROM attendances").fetchone()[0]
    con.close()
    t0 = time.perf_counter()
    c0 = time.process_time()
    result = estimate_network(path)
    t_est = time.perf_counter() - t0
    cpu = time.process_time() - c0
    mase = [r for r in result.summary["demand"]["backtest"] if r.get("mase") is not None]
    beats = sum(r["mase"] < r["mase_seasonal_naive"] for r in mase)
    print(f"polyclinics={len(result.models)} attendance_rows={rows:,}")
    print(f"estimate: {t_est:.1f} s wall, {cpu:.1f} s CPU ({rows / t_est:,.0f} rows/s)")
    print(
        f"no-show test AUC {result.summary['no_show']['test']['auc']}, "
        f"Brier {result.summary['no_show']['test']['brier']}"
    )
    if mase:
        m = sum(r["mase"] for r in mase) / len(mase)
        n = sum(r["mase_seasonal_naive"] for r in mase) / len(mase)
        print(
            f"demand backtest: mean MASE {m:.3f} vs seasonal-naive {n:.3f}; "
            f"model better in {beats}/{len(mase)} series"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
