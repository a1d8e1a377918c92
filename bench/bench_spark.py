"""Benchmark: local engine vs Spark local[2] as the network grows (6, 24, 96 polyclinics).

Each measurement runs in a fresh child process so that peak memory is its own: the figure is
the peak resident memory of the whole process tree (the Python driver, the JVM and Spark's
Python workers), sampled every 0.2 s from /proc, next to ``ru_maxrss`` of the process and of
its finished children (``resource.getrusage(RUSAGE_CHILDREN)``).

Stages
------
``ingest``  read -> validate -> quarantine -> reconcile -> DuckDB store (the row-heavy part);
``run``     the whole pipeline (``run_local`` vs ``run_spark``): ingest, hold-out split,
            estimation (aggregates in DuckDB vs Spark SQL), ``plan_polyclinic`` for every
            polyclinic (local process pool with ``--workers`` vs ``applyInPandas`` on
            local[2]) and the deliverables, with a cheap optimizer setting, a short simulation
            and no sensitivity analysis; the time of each step is printed too
            (``plan`` is accepted as an older name of ``run``).

Usage::

    python bench/bench_spark.py --polyclinics 6 24 96 --days 365 --stage ingest
    python bench/bench_spark.py --polyclinics 6 24 96 --days 365 --stage run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CHEAP_OPTIMIZE = {
    "epsilon": 0.4,
    "gap_rel": 0.5,
    "max_calibration_rounds": 1,
    "sequencing_max_iter": 0,
    "time_limit": 60.0,
}


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            parent[int(d)] = int(parts[1])
            rss[int(d)] = int(parts[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    keep, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        for c, pp in parent.items():
            if pp == p and c not in keep:
                keep.add(c)
                frontier.append(c)
    return sum(rss.get(p, 0) for p in keep)


class _Peak(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self.stop.wait(0.2)


def _one(engine: str, stage: str, data: Path, n: int, workers: int) -> dict:
    from polyslot.config import RunConfig, SensitivitySettings, SimulateSettings

    cfg = RunConfig(
        seed=1,
        workers=workers,
        holdout_days=7,
        slot_minutes=5,
        simulate=SimulateSettings(min_replications=2, max_replications=3),
        sensitivity=SensitivitySettings(enabled=False),
        optimize=CHEAP_OPTIMIZE,
    )
    mon = _Peak()
    mon.start()
    out = Path(tempfile.mkdtemp(prefix=f"bench_{engine}_"))
    t0 = time.perf_counter()
    startup = 0.0
    marks: dict[str, float] = {}

    def progress(step: str, done: int, total: int) -> None:
        marks.setdefault(step, time.perf_counter() - t0)

    if engine == "local":
        if stage == "ingest":
            from polyslot.data import ingest

            ingest(data, out / "store")
        else:
            from polyslot.runners.local import run_local

            run_local(data, cfg, out, progress)
    else:
        from polyslot.runners.spark import get_spark, ingest_spark, run_spark

        spark = get_spark("local[2]")
        spark.sparkContext.setLogLevel("ERROR")
        startup = time.perf_counter() - t0
        if stage == "ingest":
            ingest_spark(str(data), cfg, out, spark)
        else:
            run_spark(str(data), cfg, out, progress, spark=spark)
        spark.stop()
    wall = time.perf_counter() - t0
    marks["end"] = wall
    order = sorted(marks.items(), key=lambda kv: kv[1])
    steps = {a: round(tb - ta, 2) for (a, ta), (_, tb) in zip(order, order[1:], strict=False)}
    mon.stop.set()
    mon.join()
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "engine": engine,
        "stage": stage,
        "polyclinics": n,
        "wall_s": round(wall, 2),
        "spark_startup_s": round(startup, 2),
        "per_polyclinic_s": round((wall - startup) / n, 3),
        "peak_tree_mb": round(mon.peak / 2**20),
        "maxrss_self_mb": round(self_kb / 1024),
        "maxrss_children_mb": round(child_kb / 1024),
        "steps_s": steps,
    }


def _data(n: int, days: int, root: Path) -> tuple[Path, int]:
    from polyslot.synthetic import generate_network, write_network

    folder = root / f"net_{n}_{days}"
    if not (folder / "attendances.parquet").exists():
        net = generate_network(n, days, 1, start=dt.date(2025, 1, 1))
        write_network(net, folder)
    import pyarrow.parquet as pq

    return folder, pq.ParquetFile(folder / "attendances.parquet").metadata.num_rows


def main() -> None:
    """Run the benchmark and print one line of figures per measurement."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--polyclinics", type=int, nargs="+", default=[6, 24, 96])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--stage", choices=["ingest", "run", "plan"], default="ingest")
    ap.add_argument("--engines", nargs="+", default=["local", "spark"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "polyslot_bench")
    ap.add_argument("--one", nargs=3, metavar=("ENGINE", "N", "DATA"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        engine, n, data = args.one
        print(json.dumps(_one(engine, args.stage, Path(data), int(n), args.workers)))
        return
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    args.root.mkdir(parents=True, exist_ok=True)
    print(f"stage={args.stage} days={args.days} workers={args.workers} cpus={os.cpu_count()}")
    for n in args.polyclinics:
        t = time.perf_counter()
        data, rows = _data(n, args.days, args.root)
        gen = time.perf_counter() - t
        print(f"# {n} polyclinics: {rows:,} attendances (generated in {gen:.0f} s)")
        for engine in args.engines:
            cmd = [sys.executable, __file__, "--stage", args.stage, "--workers", str(args.workers)]
            cmd += ["--one", engine, str(n), str(data)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
            if res.returncode or not lines:
                print(f"{engine}: FAILED {res.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(lines[-1])
            r["rows"] = rows
            r["us_per_row"] = round(1e6 * (r["wall_s"] - r["spark_startup_s"]) / rows, 2)
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
