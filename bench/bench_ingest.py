"""Benchmark: ingest and validate N synthetic-looking attendance rows from Parquet.

Usage: ``python bench/bench_ingest.py [--rows 5000000] [--batch-rows 500000] [--format parquet|csv]
[--repeat 1] [--no-validate-only] [--keep DIR]``

The rows are fabricated with numpy (fast, plausible, about 1% deliberately broken) and written
to Parquet; then :func:`polyslot.data.ingest` validates them into a DuckDB store. Each ingest
runs in a fresh process; printed per run: rows/s (wall), CPU seconds (all threads), peak RSS of
that process and the load average of the machine just before. Wall-clock figures depend on the
machine's load, CPU seconds much less so.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def fabricate(n: int, seed: int = 0) -> pa.Table:
    """``n`` attendance rows in the contract's columns; ~1% break one rule each."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2025-01-01T08:00", "s")
    day = rng.integers(0, 365, n).astype("timedelta64[D]").astype("timedelta64[s]")
    minute = (rng.integers(0, 8 * 60 // 5, n) * 5 * 60).astype("timedelta64[s]")
    appt = base + day + minute
    lead = (rng.exponential(7 * 86400, n)).astype("int64").astype("timedelta64[s]")
    booking = appt - lead - np.timedelta64(60, "s")
    u = rng.random(n)
    status = np.where(
        u < 0.80,
        "attended",
        np.where(u < 0.92, "no_show", np.where(u < 0.96, "cancelled", "walk_in")),
    )
    walk = status == "walk_in"
    seen = (status == "attended") | walk
    arrival = appt + (rng.normal(-8, 6, n) * 60).astype("int64").astype("timedelta64[s]")
    arrival = np.where(walk, booking + np.timedelta64(60, "s"), arrival)
    start = np.maximum(arrival, appt) + (rng.exponential(6, n) * 60).astype("int64").astype(
        "timedelta64[s]"
    )
    dur = np.round(rng.lognormal(np.log(12), 0.5, n), 1)
    end = start + (dur * 60).astype("int64").astype("timedelta64[s]")
    nat = np.datetime64("NaT", "s")
    appt = np.where(walk, nat, appt)
    arrival = np.where(seen, arrival, nat)
    start = np.where(seen, start, nat)
    end = np.where(seen, end, nat)
    dur = np.where(seen, dur, np.nan)
    # about 1% broken rows of several kinds
    k = rng.random(n)
    dur = np.where(k < 0.002, -dur, dur)
    dur = np.where((k >= 0.002) & (k < 0.004), 400.0, dur)
    status = np.where((k >= 0.004) & (k < 0.006), "unknown", status)
    appt = np.where((k >= 0.006) & (k < 0.008) & ~walk, nat, appt)
    ids = np.char.add("A", np.arange(n).astype("U9"))
    dup = (k >= 0.008) & (k < 0.010)
    ids[dup] = ids[np.maximum(np.nonzero(dup)[0] - 1, 0)]
    pcs = np.char.add("PC", rng.integers(1, 7, n).astype("U2"))
    vt = np.array(["acute", "chronic", "screening", "vaccination", "procedure"])[
        rng.integers(0, 5, n)
    ]
    ts = pa.timestamp("s")
    return pa.table(
        {
            "attendance_id": pa.array(ids),
            "polyclinic_id": pa.array(pcs),
            "patient_id": pa.array(np.char.add("p", rng.integers(0, n // 4 + 1, n).astype("U9"))),
            "visit_type": pa.array(vt),
            "booking_ts": pa.array(booking, ts),
            "appointment_ts": pa.array(appt, ts),
            "arrival_ts": pa.array(arrival, ts),
            "consult_start_ts": pa.array(start, ts),
            "consult_end_ts": pa.array(end, ts),
            "consultation_duration_minutes": pa.array(dur, from_pandas=True),
            "doctor_id": pa.array(np.char.add("D", rng.integers(0, 15, n).astype("U2"))),
            "status": pa.array(status),
            "age_group": pa.array(
                np.array(["0-17", "18-39", "40-64", "65+"])[rng.integers(0, 4, n)]
            ),
        }
    )


def write_parquet(path: Path, rows: int) -> None:
    """Fabricate ``rows`` rows into one Parquet file, 1M rows at a time."""
    with pq.ParquetWriter(path, fabricate(1).schema) as w:
        for i, lo in enumerate(range(0, rows, 1_000_000)):
            part = fabricate(min(1_000_000, rows - lo), seed=i)
            # keep ids unique across parts (duplicates only where planted)
            ids = np.char.add(f"P{i}-", np.asarray(part["attendance_id"]).astype(str))
            part = part.set_column(0, "attendance_id", pa.array(ids))
            w.write_table(part, row_group_size=250_000)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def validate_only(path: Path, batch_rows: int) -> tuple[int, float, float]:
    """Read + coerce + check every chunk without storing: (rows, wall s, CPU s)."""
    from polyslot.data.readers import open_source
    from polyslot.data.rules.validate import validate_chunk
    from polyslot.data.schema import get_spec

    spec = get_spec("attendances")
    src = open_source(path, spec)
    t, c, n = time.perf_counter(), _cpu(), 0
    for raw in src.iter_batches(batch_rows):
        validate_chunk(spec, raw, first_row=n + 1)
        n += len(raw)
    return n, time.perf_counter() - t, _cpu() - c


def _ingest_child(path: Path, out: Path, batch_rows: int, queue) -> None:
    """Run one ingest in this (fresh) process and report its figures through ``queue``."""
    from polyslot.data import ingest

    t, c = time.perf_counter(), _cpu()
    summary = ingest(path, out, batch_rows=batch_rows)
    t, c = time.perf_counter() - t, _cpu() - c
    att = summary.tables["attendances"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = summary.store_path.stat().st_size
    queue.put((t, c, rss, att.accepted, att.quarantined, att.reasons, size))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--batch-rows", type=int, default=500_000)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--repeat", type=int, default=1, help="Full ingests to run (best is shown).")
    ap.add_argument(
        "--no-validate-only",
        dest="validate_only",
        action="store_false",
        help="Skip the read + validate pass without the store.",
    )
    ap.add_argument(
        "--keep", type=Path, default=None, help="Keep (and reuse) the files in this folder."
    )
    args = ap.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "attendances.parquet"
    try:
        t0 = time.perf_counter()
        # fabricate in a child process so this process's peak RSS is the ingest's alone
        if not (path.exists() and pq.ParquetFile(path).metadata.num_rows == args.rows):
            child = mp.get_context("spawn").Process(target=write_parquet, args=(path, args.rows))
            child.start()
            child.join()
            if child.exitcode != 0:
                raise SystemExit("fabrication failed")
        if args.format == "csv":
            import pyarrow.csv as pacsv

            csv_path = work / "attendances.csv"
            if not csv_path.exists():
                with pacsv.CSVWriter(csv_path, pq.ParquetFile(path).schema_arrow) as w:
                    for batch in pq.ParquetFile(path).iter_batches(250_000):
                        w.write_batch(batch)
            path = csv_path
        t_fab = time.perf_counter() - t0
        n = pq.ParquetFile(work / "attendances.parquet").metadata.num_rows
        print(f"rows: {n:,} from {args.format} (fabricated in {t_fab:.1f} s)")
        if args.validate_only:
            _, t_val, c_val = validate_only(path, args.batch_rows)
            rss_val = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"read + validate only: {t_val:.2f} s wall ({n / t_val:,.0f} rows/s), "
                f"{c_val:.2f} s CPU ({n / c_val:,.0f} rows per CPU-second), "
                f"peak RSS {rss_val:,.0f} MiB"
            )
        best = None
        for i in range(args.repeat):
            load = os.getloadavg()[0]
            shutil.rmtree(work / "out", ignore_errors=True)
            ctx = mp.get_context("spawn")
            queue = ctx.Queue()
            child = ctx.Process(
                target=_ingest_child, args=(path, work / "out", args.batch_rows, queue)
            )
            child.start()
            res = queue.get()
            child.join()
            t_ing, c_ing, rss, accepted, quarantined, reasons, size = res
            print(
                f"full ingest #{i + 1} (read, validate, DuckDB store, dedupe, quarantine, "
                f"summary; load average before {load:.1f}): {t_ing:.2f} s wall "
                f"({n / t_ing:,.0f} rows/s), {c_ing:.2f} s CPU "
                f"({n / c_ing:,.0f} rows per CPU-second), peak RSS {rss:,.0f} MiB"
            )
            best = t_ing if best is None else min(best, t_ing)
        print(f"accepted {accepted:,}  quarantined {quarantined:,}  reasons {reasons}")
        print(f"store size: {size / 2**20:,.0f} MiB")
        if args.repeat > 1:
            print(f"best of {args.repeat}: {best:.2f} s wall ({n / best:,.0f} rows/s)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
