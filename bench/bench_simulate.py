"""Benchmark of the SimPy simulator: simulated patients per second per core, and a year of
historical replay of one sample polyclinic under two templates with both cores.

Run: ``.venv/bin/python bench/bench_simulate.py [--quick]``. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from polyslot.clinic_model import ClinicModel, ServiceTime
from polyslot.distributions import discretize, lognormal
from polyslot.examples import example_clinic_model
from polyslot.schedule import PatientSpec, Schedule
from polyslot.simulate.clinic import ClinicConfig, simulate_day
from polyslot.simulate.dayplan import sample_day
from polyslot.simulate.history import history_days
from polyslot.simulate.replay import replay
from polyslot.simulate.session import simulate_session
from polyslot.template import SlotTemplate


def standard_schedule() -> Schedule:
    """K = 20 patients every 24 slots, L = 480, lognormal(20, 0.5) service, 10% no-shows."""
    pmf = tuple(discretize(lognormal(20.0, 0.5), 1.0))
    pats = tuple(PatientSpec(24 * k, pmf, 0.1) for k in range(20))
    return Schedule(session_end=480, patients=pats)


def bench_session(reps: int) -> None:
    s = standard_schedule()
    t, c = time.perf_counter(), time.process_time()
    res = simulate_session(s, replications=reps, seed=1)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    n = reps * len(s.patients)
    print(
        f"session model (K=20, L=480), {reps} replications: wall {n / dt:,.0f} patients/s; "
        f"{n / dc:,.0f} patients per CPU-second (sampling included); "
        f"total_wait_mean {res.total_wait_mean:.1f} +- {res.total_wait_ci:.1f}"
    )


def bench_clinic(days: int) -> None:
    m = example_clinic_model(doctors=8)
    for disc in ("fcfs", "dedicated", "appointment"):
        rng = np.random.default_rng(0)
        plans = [sample_day(m, m.current_template, d % 5, rng) for d in range(days)]
        cfg = ClinicConfig(disc)
        t, c = time.perf_counter(), time.process_time()
        for p in plans:
            simulate_day(p, cfg)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        n = sum(p.size for p in plans)
        print(
            f"clinic day, 8 doctors x 2 sessions, {disc:11s}: {days} days, {n} patients: "
            f"wall {n / dt:,.0f} patients/s; {n / dc:,.0f} patients per CPU-second (SimPy run)"
        )
    rng = np.random.default_rng(0)
    t, c = time.perf_counter(), time.process_time()
    n = 0
    for d in range(days):
        p = sample_day(m, m.current_template, d % 5, rng)
        simulate_day(p, ClinicConfig("fcfs"))
        n += p.size
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(
        f"clinic day fcfs incl. sampling the day: wall {n / dt:,.0f} patients/s; "
        f"{n / dc:,.0f} patients per CPU-second"
    )


def truth_model(net, pc: str) -> ClinicModel:
    f = net.truth["polyclinics"][pc]["duration_factor"]
    svc = []
    for v, spec in net.truth["visit_types"].items():
        m, cv = spec["duration"]["mean_minutes"] * f, spec["duration"]["cv"]
        svc.append(ServiceTime(v, tuple(discretize(lognormal(m, cv), 1.0)), m, cv))
    st = net.slot_template[net.slot_template["polyclinic_id"] == pc]
    minutes = [int(s[:2]) * 60 + int(s[3:5]) for s in st["start_time"]]
    tpl = SlotTemplate.from_frame(pc, st.assign(start_minute=minutes))
    vts = tuple(net.truth["visit_types"])
    return ClinicModel(pc, 1, vts, tuple(svc), (), (), (), (), (), (), (), tpl)


def bench_replay(n_days: int, workers: int) -> None:
    from polyslot.synthetic import generate_network

    t = time.perf_counter()
    net = generate_network(1, n_days, 11)
    gen = time.perf_counter() - t
    pc = "PC01"
    model = truth_model(net, pc)
    days = history_days(net.attendances, net.roster, pc)
    # the other template: every slot 5 minutes later (a plausible "recommended" variant)
    other = SlotTemplate(
        pc,
        tuple(
            type(s)(
                s.weekday,
                min(s.start_minute + 5, 1439),
                s.duration_minutes,
                s.visit_type,
                s.doctor_session,
                s.overbooked,
            )
            for s in model.current_template.slots
        ),
        label="shifted",
    )
    scen = {"current": model.current_template, "other": other}
    doctors = net.truth["polyclinics"][pc]["doctors"]
    for w in sorted({1, workers}):
        t, c = time.perf_counter(), time.process_time()
        res = replay(days, model, scen, seed=1, workers=w)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        n = int(res.days["patients_seen"].sum())
        cpu = f"; parent CPU {dc:.2f} s = {n / dc:,.0f} patients per CPU-second" if w == 1 else ""
        print(
            f"replay of {len(days)} days ({n_days} calendar days) of {pc} ({doctors} doctors), "
            f"2 templates, {n} patient-visits simulated, {w} process(es): wall {dt:.2f} s"
            f"{cpu}; generation {gen:.1f} s not included"
        )
    print(res.totals[["wait_mean", "utilization", "overtime_mean"]].round(3).to_string())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller runs")
    a = ap.parse_args(argv)
    workers = min(2, len(os.sched_getaffinity(0)))
    print(
        f"python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    bench_session(500 if a.quick else 5000)
    bench_clinic(20 if a.quick else 200)
    bench_replay(60 if a.quick else 365, workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
