"""Validation: single doctor, punctual, appointment order -> the exact evaluator's numbers.

Both the session model (``simulate_session``) and the clinic day with one doctor and the
``appointment`` discipline are checked against ``polyslot.evaluation.evaluate``.
"""

from __future__ import annotations

import numpy as np
import pytest

from polyslot.distributions import discretize, lognormal
from polyslot.schedule import PatientSpec, Schedule
from polyslot.simulate.clinic import ClinicConfig, simulate_day
from polyslot.simulate.dayplan import DayPlan, Server
from polyslot.simulate.kpis import mean_ci
from polyslot.simulate.session import simulate_session

evaluation = pytest.importorskip("polyslot.evaluation")
if not hasattr(evaluation, "evaluate"):  # the evaluator package is still being written
    pytest.skip("polyslot.evaluation.evaluate not available yet", allow_module_level=True)


def schedules() -> list[Schedule]:
    rng = np.random.default_rng(2)
    out = []
    for k, gap, ns in ((6, 10, 0.0), (10, 8, 0.15), (8, 12, 0.3)):
        pmfs = [tuple(discretize(lognormal(float(m), 0.5), 1.0)) for m in rng.uniform(6, 14, k)]
        appts = [gap * i for i in range(k)]
        appts[1] = 0  # a double booking at the start
        pats = tuple(PatientSpec(a, p, ns) for a, p in zip(appts, pmfs, strict=True))
        out.append(Schedule(session_end=gap * k, patients=pats, doctor_start=2 if ns else 0))
    return out


@pytest.mark.parametrize("case", range(3))
def test_sim_session_agrees_with_exact_evaluator(case: int) -> None:
    s = schedules()[case]
    exact = evaluation.evaluate(s)
    sim = simulate_session(s, replications=3000, seed=case)
    np.testing.assert_array_less(np.abs(sim.wait_mean - exact.wait_mean), 2 * sim.wait_ci + 1e-9)
    assert abs(sim.overtime_mean - exact.overtime_mean) <= 2 * sim.overtime_ci + 1e-9
    assert abs(sim.total_wait_mean - exact.total_wait_mean) <= 2 * sim.total_wait_ci + 1e-9


def test_sim_clinic_day_one_doctor_agrees_with_exact_evaluator() -> None:
    s = schedules()[1]
    exact = evaluation.evaluate(s)
    rng = np.random.default_rng(8)
    appt = s.appointments.astype(float)
    cdfs = [np.cumsum(p.service) for p in s.patients]
    waits, overtime = [], []
    for _ in range(2000):
        came = rng.random(appt.size) >= np.array([p.no_show for p in s.patients])
        svc = np.array(
            [
                np.searchsorted(c, u, side="right")
                for c, u in zip(cdfs, rng.random(appt.size), strict=True)
            ],
            dtype=float,
        )
        plan = DayPlan(
            (Server("d", s.doctor_start, s.session_end),),
            appt,
            np.where(came, appt, np.nan),
            svc,
            ("x",) * appt.size,
            np.zeros(appt.size, dtype=np.int64),
        )
        res = simulate_day(plan, ClinicConfig("appointment", late_threshold=None))
        waits.append(np.nansum(res.records["wait"]))
        overtime.append(res.kpis["overtime_mean"])
    m, h = mean_ci(waits)
    assert abs(m - exact.total_wait_mean) <= 2 * h
    m, h = mean_ci(overtime)
    assert abs(m - exact.overtime_mean) <= 2 * h


def test_sim_session_unpunctual_agrees_with_exact_evaluator() -> None:
    from polyslot.schedule import parse_schedule

    rng = np.random.default_rng(4)
    pats = []
    for k in range(8):
        pmf = discretize(lognormal(float(rng.uniform(5, 12)), 0.6), 1.0)
        pats.append(
            {
                "appointment": 9 * k,
                "service": {"pmf": [float(x) for x in pmf]},
                "no_show": 0.1,
                "punctuality": {"offsets": [-6, -2, 0, 3, 8], "pmf": [0.2, 0.3, 0.3, 0.15, 0.05]},
            }
        )
    s = parse_schedule({"session_end": 72, "doctor_start": 3, "patients": pats})
    exact = evaluation.evaluate(s)
    sim = simulate_session(s, replications=3000, seed=21)
    np.testing.assert_array_less(np.abs(sim.wait_mean - exact.wait_mean), 2 * sim.wait_ci + 1e-9)
    assert abs(sim.overtime_mean - exact.overtime_mean) <= 2 * sim.overtime_ci + 1e-9
    assert abs(sim.total_wait_mean - exact.total_wait_mean) <= 2 * sim.total_wait_ci + 1e-9
