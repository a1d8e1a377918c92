"""End-to-end `polyslot run` on the embedded sample: wall time per stage, CPU and peak memory.

Usage: .venv/bin/python bench/bench_run.py [--polyclinics 6] [--days 365] [--workers 2]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from polyslot.config import load_config
from polyslot.runners.local import run_local


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--polyclinics", type=int, default=6)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    cfg = load_config(
        overrides={
            "workers": args.workers,
            "sample": {"polyclinics": args.polyclinics, "days": args.days},
        }
    )
    stages: dict[str, float] = {}
    t_start = time.perf_counter()
    last = [t_start, None]

    def progress(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if last[1] is not None and step != last[1]:
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
            last[0] = now
        if step != last[1]:
            last[0], last[1] = now, step

    with tempfile.TemporaryDirectory() as tmp:
        out = run_local(None, cfg, Path(tmp) / "out", progress)
        end = time.perf_counter()
        if last[1] is not None:
            stages[last[1]] = stages.get(last[1], 0.0) + end - last[0]
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"polyslot run: {args.polyclinics} polyclinics x {args.days} days, {args.workers} workers"
    )
    for name, secs in stages.items():
        print(f"  {name:<18} {secs:7.1f} s")
    print(f"  total wall         {end - t_start:7.1f} s")
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    print(f"  CPU (all processes) {cpu:6.1f} s")
    print(
        f"  peak RSS: main {own.ru_maxrss / 1024:.0f} MiB, "
        f"largest worker {kids.ru_maxrss / 1024:.0f} MiB"
    )
    print(f"  skipped polyclinics: {out.skipped or 'none'}")
    net = out.summary["network"]
    print(
        f"  network wait {net['wait_mean_current']:.2f} -> {net['wait_mean_recommended']:.2f} min,"
        f" utilisation {net['utilization_current']:.3f} -> {net['utilization_recommended']:.3f}"
    )


if __name__ == "__main__":
    main()
