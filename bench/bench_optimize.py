"""Benchmark of the optimizer: MIP times (HiGHS vs CBC side by side), sequencing a 20-patient
session, and the example sample (6 polyclinics x 5 weekdays) end to end with 2 processes.

Run: ``.venv/bin/python bench/bench_optimize.py`` (prints figures; no assertions).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from polyslot.cli.requests import optimize_directory
from polyslot.examples import example_clinic_model
from polyslot.optimize.allocation import build_allocation
from polyslot.optimize.clinic import _curve, optimize_clinic
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.sequencing import (
    bailey_welch,
    equal_spacing,
    grid_size,
    local_search,
    objective_of,
    pad_services,
)
from polyslot.optimize.solver import available, solve
from polyslot.optimize.weekday_inputs import weekday_inputs
from polyslot.template import WEEKDAYS


def bench_mip() -> None:
    print("== allocation MIP per polyclinic x weekday (seconds, objective) ==")
    print(f"{'case':<28}{'HiGHS s':>9}{'CBC s':>9}{'HiGHS obj':>12}{'CBC obj':>12}")
    model = example_clinic_model()
    for bucket in (60, 30):
        cfg = OptimizeConfig(bucket_minutes=bucket)
        for d in range(5):
            inp = weekday_inputs(model, d, cfg)
            curve = _curve(model, inp)
            row = {}
            for solver in ("highs", "cbc"):
                if not available(solver):
                    row[solver] = (float("nan"), float("nan"))
                    continue
                am = build_allocation(inp, cfg, curve, 1.5)
                rec = solve(am.problem, solver, time_limit=cfg.time_limit, gap_rel=cfg.gap_rel)
                row[solver] = (rec.time, rec.objective or float("nan"))
            case = f"{WEEKDAYS[d]} {bucket}-min buckets"
            print(
                f"{case:<28}{row['highs'][0]:>9.3f}{row['cbc'][0]:>9.3f}"
                f"{row['highs'][1]:>12.2f}{row['cbc'][1]:>12.2f}"
            )


def bench_sequencing() -> None:
    print("== sequencing one 20-patient session (240 min) to a local optimum ==")
    model = example_clinic_model()
    pmfs = pad_services([s.pmf for s in model.service])
    k = 20
    types = np.arange(k) % 3
    service, no_show = pmfs[types], np.array([0.08, 0.15, 0.25])[types]
    w = {"wait": 0.5, "idle": 0.0, "overtime": 0.5}
    for interval in (10, 5):
        t0, c0 = time.perf_counter(), time.process_time()
        res = local_search(service, no_show, 240, interval, w)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        g = grid_size(240, interval)
        es = objective_of(equal_spacing(k, g) * interval, service, no_show, 240, w)
        bw = objective_of(bailey_welch(k, g) * interval, service, no_show, 240, w)
        print(
            f"interval {interval:>2}: {dt:.3f} s wall ({cpu:.3f} s CPU), {res.iterations} moves, "
            f"{res.evaluations} "
            f"evaluations; objective {res.objective:.3f} (equal spacing {es:.3f}, "
            f"Bailey-Welch {bw:.3f})"
        )


def bench_clinic() -> None:
    print("== optimize_clinic(example_clinic_model()), one process ==")
    t0, c0 = time.perf_counter(), time.process_time()
    optimize_clinic(example_clinic_model())
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{dt:.2f} s wall ({cpu:.2f} s CPU)")


def bench_sample() -> None:
    print("== example sample: 6 polyclinics x 5 weekdays, 2 processes ==")
    with tempfile.TemporaryDirectory() as tmp:
        mdir = Path(tmp) / "model"
        for i, doctors in enumerate((3, 3, 4, 3, 4, 3)):
            example_clinic_model(doctors=doctors, polyclinic_id=f"PC{i + 1:02d}").to_json(
                mdir / f"PC{i + 1:02d}.json"
            )
        t0 = time.perf_counter()
        summary = optimize_directory(mdir, Path(tmp) / "out", OptimizeConfig(), workers=2)
        dt = time.perf_counter() - t0
        cpu = sum(c["cpu_seconds"] for c in summary["polyclinics"])
        mip = [d["time"] for c in summary["polyclinics"] for d in c["weekdays"]]
        err = [
            d["calibration"][-1]["rel_error"] for c in summary["polyclinics"] for d in c["weekdays"]
        ]
        print(
            f"total {dt:.1f} s wall, {cpu:.1f} s "
            f"CPU in the workers; MIP solve max {max(mip):.2f} s, mean {np.mean(mip):.2f} s; "
            f"calibration error max {max(err):.3f}"
        )
        for c in summary["polyclinics"]:
            days = c["weekdays"]
            wn = sum(d["recommended"]["total_wait"] for d in days)
            wc = sum(d["current"]["total_wait"] for d in days)
            tn = sum(d["throughput_recommended"] for d in days)
            tc = sum(d["throughput_current"] for d in days)
            print(
                f"  {c['polyclinic_id']}: {c['seconds']:.1f} s ({c['cpu_seconds']:.1f} s CPU), "
                f"waiting {wc:.0f} -> {wn:.0f} "
                f"min/week, throughput {tc:.1f} -> {tn:.1f}"
            )


if __name__ == "__main__":
    bench_mip()
    bench_sequencing()
    bench_clinic()
    bench_sample()
