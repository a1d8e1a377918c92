"""Benchmark: mapping + ingest of a foreign-shaped export vs today's ingest of the same rows.

Usage: ``python bench/bench_mapping.py [--rows 5000000] [--excel-rows 1000000] [--repeat 1]
[--skip-excel] [--keep DIR]``

The rows of ``bench_ingest.fabricate`` (about 1% broken) are written twice into a temporary
folder: as a contract CSV (today's ingest, the baseline) and as a foreign export with its own
column names, day-first dates, separate clock-time columns on one date column, another status
vocabulary (``unknown`` is excluded by the mapping); arrival is one day-first date-time
column (walk-ins arrive on another day than they are seen). Both are
ingested in fresh processes; printed per run: wall seconds, CPU seconds, peak RSS, rows/s, and
the mapping's cost over the baseline. The foreign ingest must accept exactly the baseline's rows
(checked). With ``--excel-rows``, the first rows also go into an ``.xlsx`` workbook (openpyxl,
write-only) read with python-calamine, against the same rows as a contract CSV.
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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import fabricate  # noqa: E402

MAPPING = """\
[attendances]
timestamp_formats = ["%d/%m/%Y %H:%M:%S"]
[attendances.columns]
attendance_id = "Ref"
polyclinic_id = "Site"
patient_id = "Patient"
visit_type = "Type"
booking_ts = "Booked"
appointment_ts = ["Date", "Time"]
arrival_ts = "Arrival"
consult_start_ts = ["Date", "Seen"]
consult_end_ts = ["Date", "Finished"]
consultation_duration_minutes = "Minutes"
doctor_id = "Clinician"
status = "Outcome"
[attendances.values.status]
attended = ["Attended"]
no_show = ["DNA"]
cancelled = ["Cancelled"]
walk_in = ["Walk-in"]
exclude = ["unknown"]
"""
_OUTCOME = {
    "attended": "Attended",
    "no_show": "DNA",
    "cancelled": "Cancelled",
    "walk_in": "Walk-in",
    "unknown": "unknown",
}


def foreign(t: pa.Table) -> pa.Table:
    """The contract rows ``t`` in the foreign shape."""
    day = pc.coalesce(t["appointment_ts"], t["consult_start_ts"], t["booking_ts"])

    def clock(c: str) -> pa.Array:
        return pc.strftime(t[c], format="%H:%M:%S")

    status = pa.array([_OUTCOME[s] for s in t["status"].to_pylist()])
    return pa.table(
        {
            "Ref": t["attendance_id"],
            "Site": t["polyclinic_id"],
            "Patient": t["patient_id"],
            "Type": t["visit_type"],
            "Booked": pc.strftime(t["booking_ts"], format="%d/%m/%Y %H:%M:%S"),
            "Date": pc.strftime(day, format="%d/%m/%Y"),
            "Time": clock("appointment_ts"),
            "Arrival": pc.strftime(t["arrival_ts"], format="%d/%m/%Y %H:%M:%S"),
            "Seen": clock("consult_start_ts"),
            "Finished": clock("consult_end_ts"),
            "Minutes": t["consultation_duration_minutes"],
            "Clinician": t["doctor_id"],
            "Outcome": status,
            "Age band": t["age_group"],
        }
    )


def write_inputs(work: Path, rows: int, excel_rows: int) -> None:
    """contract.csv, foreign.csv, mapping.toml (and the Excel pair) in ``work``."""
    w_c = w_f = None
    excel_parts: list[pa.Table] = []
    for i, lo in enumerate(range(0, rows, 1_000_000)):
        part = fabricate(min(1_000_000, rows - lo), seed=i)
        ids = pc.binary_join_element_wise(f"P{i}", part["attendance_id"], "-")
        part = part.set_column(0, "attendance_id", ids)
        f = foreign(part)
        if w_c is None:
            w_c = pacsv.CSVWriter(work / "contract.csv", part.schema)
            w_f = pacsv.CSVWriter(work / "foreign.csv", f.schema)
        w_c.write_table(part)
        w_f.write_table(f)
        if sum(p.num_rows for p in excel_parts) < excel_rows:
            excel_parts.append(part)
    w_c.close()
    w_f.close()
    (work / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    if excel_rows:
        part = pa.concat_tables(excel_parts).slice(0, excel_rows)
        pacsv.write_csv(part, work / "contract_excel.csv")
        _write_xlsx(foreign(part), work / "foreign.xlsx")


def _write_xlsx(t: pa.Table, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("export")
    ws.append(t.column_names)
    cols = [c.to_pylist() for c in t.columns]
    for row in zip(*cols, strict=True):
        ws.append(row)
    wb.save(path)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _child(src: Path, out: Path, mapping: Path | None, queue) -> None:
    from polyslot.data import ingest

    t, c = time.perf_counter(), _cpu()
    s = ingest(src, out, mapping=mapping, max_quarantine_share=None)
    t, c = time.perf_counter() - t, _cpu() - c
    a = s.tables["attendances"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((t, c, rss, a.read, a.accepted, a.quarantined, a.excluded))


def run(src: Path, out: Path, mapping: Path | None) -> tuple:
    """One ingest in a fresh process: (wall, cpu, rss, read, accepted, quarantined, excluded)."""
    shutil.rmtree(out, ignore_errors=True)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(src, out, mapping, queue))
    p.start()
    res = queue.get()
    p.join()
    return res


def compare(label: str, work: Path, base: Path, mapped: Path, repeat: int) -> None:
    """Ingest ``base`` and ``mapped`` (with the mapping) ``repeat`` times each; print figures."""
    best: dict[str, tuple] = {}
    for _ in range(repeat):
        for name, src, m in (("baseline", base, None), ("mapped", mapped, work / "mapping.toml")):
            load = os.getloadavg()[0]
            r = run(src, work / "out", m)
            n = r[3]
            print(
                f"{label} {name:8s}: {r[0]:6.2f} s wall ({n / r[0]:,.0f} rows/s), "
                f"{r[1]:6.2f} s CPU "
                f"({n / r[1]:,.0f} rows per CPU-s), peak RSS {r[2]:,.0f} MiB, load {load:.1f}; "
                f"read {r[3]:,} accepted {r[4]:,} quarantined {r[5]:,} excluded {r[6]:,}"
            )
            if name not in best or r[1] < best[name][1]:
                best[name] = r
    b, m = best["baseline"], best["mapped"]
    assert m[4] == b[4], "the mapped export must accept exactly the baseline's rows"
    assert m[5] + m[6] == b[5], "quarantined + excluded must equal the baseline's quarantine"
    print(
        f"{label}: mapping + ingest costs {m[1] / b[1] - 1:+.1%} CPU and {m[0] / b[0] - 1:+.1%} "
        f"wall over today's ingest of the same rows (best of {repeat})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--excel-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-excel", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="Keep (and reuse) the files here.")
    args = ap.parse_args(argv)
    excel_rows = 0 if args.skip_excel else min(args.excel_rows, args.rows)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_mapping_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not (work / "foreign.csv").exists():
            t = time.perf_counter()
            write_inputs(work, args.rows, excel_rows)
            print(f"inputs written in {time.perf_counter() - t:.1f} s")
        compare(
            f"CSV {args.rows:,} rows",
            work,
            work / "contract.csv",
            work / "foreign.csv",
            args.repeat,
        )
        if excel_rows:
            compare(
                f"Excel {excel_rows:,} rows",
                work,
                work / "contract_excel.csv",
                work / "foreign.xlsx",
                args.repeat,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
