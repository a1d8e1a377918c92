"""Benchmark of the one clinic model's fast evaluator (prints figures for docs/performance.md).

* **Speed and precision**: the largest clinic day of the sample (PC01 Monday, today's template:
  9 doctors a session, about 250 patients) evaluated to 1% relative standard error of the mean
  wait: replications needed, wall and CPU milliseconds (median of repeats), on one thread and on
  two.
* **Common random numbers**: the paired difference of two templates of the same day (today's
  and the same with every slot after 10:00 five minutes later) against the unpaired one:
  the ratio of standard errors (goal: at least 5).
* **Agreement with SimPy** on every sample polyclinic and weekday (today's template): the
  standardised differences ``z`` of mean wait, utilisation, patients served and overtime
  between the fast evaluator and the SimPy simulator of the same ClinicDay.
* **Agreement with the exact recursion** at one doctor (a tractable day, punctual, no
  walk-ins): the simulated means within their standard errors of the exact ones.

Run: ``.venv/bin/python bench/bench_clinic_day.py [--out out/] [--simpy 200]``. With ``--out`` the
models of that run are used; without, the embedded sample network is generated, ingested and
estimated into a temporary folder first (about a minute).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.config import load_config
from polyslot.day import ClinicDay, build_day
from polyslot.evaluation import clinic_day
from polyslot.evaluation.clinic_day import evaluate_clinic_day, paired_difference
from polyslot.simulate.clinic_runs import simulate_clinic_day
from polyslot.template import WEEKDAYS, SlotTemplate


def _models(out: Path | None) -> dict[str, ClinicModel]:
    if out is not None:
        return {
            p.stem: ClinicModel.from_json(p)
            for p in sorted((out / "model").glob("*.json"))
            if p.stem != "fit_summary"
        }
    from polyslot.runners.local import estimate_models, prepare_data

    tmp = Path(tempfile.mkdtemp(prefix="polyslot-bench-day-"))
    cfg = load_config(overrides={"workers": 1})
    models, _ = estimate_models(prepare_data(None, cfg, tmp), cfg, tmp)
    return models


def _timed(day: ClinicDay, repeats: int = 9) -> tuple[float, float, int, float]:
    walls, cpus = [], []
    m = evaluate_clinic_day(day, seed=1)
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        m = evaluate_clinic_day(day, seed=1)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    est = m["wait_mean"]
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3, m.replications, (
        est.se / est.mean
    )


def speed(model: ClinicModel) -> None:
    day = build_day(model, model.current_template, 0)
    print(
        f"{model.polyclinic_id} Mon (today's template): {len(day.slots)} slots, "
        f"{len(day.sessions)} doctor sessions ({day.doctors_at_once} at once), "
        f"{sum(w.rate for w in day.walk_ins):.1f} walk-ins expected"
    )
    saved = clinic_day.THREADS
    for threads in sorted({1, max(2, saved)}):
        clinic_day.THREADS = threads
        wall, cpu, reps, rel = _timed(day)
        print(
            f"  {threads} thread(s): {reps} replications to {100 * rel:.2f}% relative SE of "
            f"the mean wait; median {wall:.1f} ms wall, {cpu:.1f} ms CPU"
        )
    clinic_day.THREADS = saved


def crn(model: ClinicModel, reps: int = 2048) -> None:
    cur = model.current_template
    moved = SlotTemplate(
        cur.polyclinic_id,
        tuple(
            dataclasses.replace(
                s, start_minute=s.start_minute + (5 if s.weekday == 0 and s.start_minute >= 600
                                                  else 0)
            )
            for s in cur.slots
        ),
    )
    a = evaluate_clinic_day(build_day(model, cur, 0), seed=3, replications=reps)
    b = evaluate_clinic_day(build_day(model, moved, 0), seed=3, replications=reps)
    paired = paired_difference(a, b, "wait_total")
    sd = [float(np.std(m.per_rep["wait_total"], ddof=1)) for m in (a, b)]
    apart = math.hypot(*sd) / math.sqrt(reps)
    print(
        f"paired difference of total wait (min a day), {reps} replications: "
        f"{paired.mean:+.1f} +/- {paired.se:.2f} (paired) vs +/- {apart:.2f} (unpaired): "
        f"{apart / paired.se:.1f} times tighter"
    )


_PAIRS = {
    "wait_mean": "wait_mean",
    "utilization": "utilization",
    "patients_served": "patients_seen",
    "overtime": "doctor_overtime",
}


def agreement(models: dict[str, ClinicModel], simpy_reps: int) -> None:
    print(f"fast evaluator vs SimPy ({simpy_reps} replications) on every polyclinic x weekday:")
    zs = []
    for k, (pid, m) in enumerate(sorted(models.items())):
        row = []
        for d in m.current_template.weekdays:
            day = build_day(m, m.current_template, d)
            # a seed of its own per day in each engine: the comparisons are independent draws
            fast = evaluate_clinic_day(day, seed=11 + 10 * k + d)
            sim = simulate_clinic_day(day, replications=simpy_reps, seed=500 + 10 * k + d)
            worst = 0.0
            for key, name in _PAIRS.items():
                se = sim[f"{name}_ci"] / 1.96
                z = (fast.value(key) - sim[name]) / math.hypot(fast[key].se, se)
                zs.append(z)
                worst = max(worst, abs(z))
            row.append(f"{WEEKDAYS[d]} {worst:.1f}")
        print(f"  {pid}: largest |z| per weekday: " + ", ".join(row))
    z = np.asarray(zs)
    print(
        f"  {z.size} comparisons: mean z {z.mean():+.2f}, sd {z.std(ddof=1):.2f}, "
        f"|z| > 2: {np.mean(np.abs(z) > 2):.1%}, largest |z| {np.abs(z).max():.2f}"
    )


def exact_check(model: ClinicModel) -> None:
    one = dataclasses.replace(
        model,
        sessions=tuple(s for s in model.sessions if s.session_id.endswith("D01")),
        walk_ins=(),
    )
    tpl = SlotTemplate(
        model.polyclinic_id,
        tuple(s for s in model.current_template.slots if s.doctor_session.endswith("D01")),
    )
    day = build_day(one, tpl, 0, punctual=True)
    exact = evaluate_clinic_day(day)
    sim = evaluate_clinic_day(day, method="simulation", replications=32_768, seed=2)
    parts = []
    for key in ("wait_mean", "overtime", "idle", "utilization", "patients_served"):
        z = (sim.value(key) - exact.value(key)) / max(sim[key].se, 1e-12)
        parts.append(f"{key} {exact.value(key):.3f} vs {sim.value(key):.3f} (z {z:+.1f})")
    print(f"one doctor ({exact.method}) vs simulation, {model.polyclinic_id} Mon doctor 1: "
          + "; ".join(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--simpy", type=int, default=200)
    args = ap.parse_args()
    models = _models(args.out)
    big = max(models.values(), key=lambda m: sum(1 for s in m.current_template.slots
                                                 if s.weekday == 0))
    speed(big)
    crn(big)
    exact_check(big)
    agreement(models, args.simpy)


if __name__ == "__main__":
    main()
