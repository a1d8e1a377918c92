"""The fast evaluator of a ClinicDay: closed forms, the exact recursion at one doctor, the SimPy
simulator on the same days, common random numbers, determinism and the stopping rule."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from polyslot.day import ClinicDay, DaySlot, DutySession, VisitTypeSpec, WalkInStream, build_day
from polyslot.evaluation import clinic_day as cd
from polyslot.evaluation.clinic_day import evaluate_clinic_day, paired_difference
from polyslot.examples import example_clinic_model
from polyslot.simulate.clinic_runs import simulate_clinic_day
from polyslot.template import SlotTemplate


def _vt(name: str, pmf, offsets=(0,), opmf=(1.0,)) -> VisitTypeSpec:
    mean = sum(i * p for i, p in enumerate(pmf))
    return VisitTypeSpec(name, tuple(pmf), max(mean, 1e-9), 0.3, offsets, opmf)


def test_closed_form_deterministic_pooled_day() -> None:
    """Two doctors, three punctual patients at 8:00 of exactly 10 minutes: the third waits 10
    minutes for the first free doctor. Mean wait 10/3, the 90th percentile 10, no overtime in
    a 60-minute session, utilisation 30 / 120."""
    ten = [0.0] * 10 + [1.0]
    day = ClinicDay(
        "X", 0, 1, "pooled", (DutySession("a", 480, 540), DutySession("b", 480, 540)),
        tuple(DaySlot(480, "v", k % 2) for k in range(3)), (_vt("v", ten),),
    )  # fmt: skip
    m = evaluate_clinic_day(day, seed=1, replications=64)
    assert m.value("wait_mean") == pytest.approx(10 / 3, abs=1e-12)
    assert m["wait_mean"].se == pytest.approx(0.0, abs=1e-12)
    # the day's waits are {0, 0, 10}: its 90th percentile (linear interpolation) is 8; the
    # pooled percentile of a random patient (the smallest wait with 90% at or below it) is 10
    assert m.value("wait_p90") == pytest.approx(8.0)
    assert m.value("wait_p90_pooled") == pytest.approx(10.0)
    assert m.value("utilization") == pytest.approx(30 / 120)
    assert m.value("overtime") == 0.0 and m.value("patients_served") == 3
    assert m.value("idle") == pytest.approx(120 - 30)
    # per-doctor queues: the second patient of doctor a waits; b's is seen at once
    per = ClinicDay.from_dict({**day.to_dict(), "discipline": "per_doctor"})
    assert evaluate_clinic_day(per, method="simulation", replications=64).value(
        "wait_mean"
    ) == pytest.approx(10 / 3)


def test_one_doctor_agrees_with_the_exact_recursion() -> None:
    """A tractable day (one doctor, punctual, no walk-ins) is evaluated exactly; the compiled
    simulation of the same day agrees within three standard errors."""
    m = example_clinic_model(doctors=1)
    tpl = SlotTemplate(m.polyclinic_id, tuple(s for s in m.current_template.slots))
    day = build_day(m, tpl, 0, punctual=True, discipline="pooled")
    day = ClinicDay.from_dict({**day.to_dict(), "walk_ins": []})
    assert day.exact_tractable
    exact = evaluate_clinic_day(day)
    assert exact.method == "exact" and exact["wait_mean"].se == 0.0
    sim = evaluate_clinic_day(day, method="simulation", replications=16_384, seed=5)
    for key in ("wait_mean", "overtime", "idle", "utilization", "patients_served"):
        a, b = exact.value(key), sim[key]
        assert abs(a - b.mean) <= 3 * b.se + 1e-9 * abs(a), (key, a, b)
    # the pooled percentile of the same day: the exact one and the simulated histogram's
    pooled = sim["wait_p90_pooled"]
    assert abs(exact.value("wait_p90_pooled") - pooled.mean) <= max(3 * pooled.se, 1)


def _rich_day(discipline: str, absence: float = 0.0, lost: float = 0.0) -> ClinicDay:
    """Three doctors (one leaves early), two visit types with unpunctual patients, no-shows,
    late cancellations, half-booked hours and walk-ins (and absences when asked)."""
    a = _vt("a", [0, 0, 0, 0, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05, 0.05], (-3, 0, 4, 20),
            (0.3, 0.5, 0.15, 0.05))  # fmt: skip
    b = _vt("b", [0] * 12 + [0.25, 0.5, 0.25])
    slots = []
    for k in range(36):
        minute = 480 + (k // 3) * 10
        slots.append(DaySlot(minute, "a" if k % 2 else "b", k % 3,
                             booked=0.8 if minute >= 540 else 1.0, kept=0.95, no_show=0.1))
    return ClinicDay(
        "X", 0, 1, discipline,
        (DutySession("d0", 480, 600), DutySession("d1", 480, 600), DutySession("d2", 480, 560)),
        tuple(slots), (a, b), (WalkInStream(8, 4.0, "a"), WalkInStream(9, 3.0, "b")), 15.0,
        absence=absence, absence_lost=lost,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("discipline", "absence", "lost"),
    [("pooled", 0.0, 0.0), ("per_doctor", 0.0, 0.0), ("dedicated", 0.0, 0.0),
     ("pooled", 0.3, 0.4), ("per_doctor", 0.3, 0.0)],
)
def test_agrees_with_the_simpy_simulator_within_its_confidence_intervals(
    discipline, absence, lost
) -> None:
    """The same ClinicDay in the compiled engine and in SimPy (independent sampling code and
    queue code): every KPI within three standard errors of the difference."""
    day = _rich_day(discipline, absence, lost)
    fast = evaluate_clinic_day(day, seed=11, replications=8192)
    sim = simulate_clinic_day(day, replications=600, seed=4)
    pairs = {
        "wait_mean": ("wait_mean", "wait_mean_ci"),
        "utilization": ("utilization", "utilization_ci"),
        "patients_served": ("patients_seen", "patients_seen_ci"),
        "overtime": ("doctor_overtime", "doctor_overtime_ci"),
        "idle": ("idle_mean", "idle_mean_ci"),
        "walk_ins_seen": ("walk_ins_seen", "walk_ins_seen_ci"),
    }
    for key, (mean, ci) in pairs.items():
        f, s, s_se = fast[key], sim[mean], sim[ci] / 1.96
        z = (f.mean - s) / math.hypot(f.se, s_se)
        assert abs(z) < 3.5, (discipline, key, f, s, s_se, z)


def test_common_random_numbers_make_the_paired_difference_five_times_tighter() -> None:
    m = example_clinic_model(doctors=3)
    cur = m.current_template
    # the same template with every Monday slot after 10:00 moved five minutes later
    moved = SlotTemplate(cur.polyclinic_id, tuple(
        type(s)(s.weekday, s.start_minute + (5 if s.weekday == 0 and s.start_minute >= 600 else 0),
                s.duration_minutes, s.visit_type, s.doctor_session, s.overbooked)
        for s in cur.slots))  # fmt: skip
    a = evaluate_clinic_day(build_day(m, cur, 0), seed=3, replications=2048)
    b = evaluate_clinic_day(build_day(m, moved, 0), seed=3, replications=2048)
    paired = paired_difference(a, b, "wait_total")
    sd_a = float(np.std(a.per_rep["wait_total"], ddof=1))
    sd_b = float(np.std(b.per_rep["wait_total"], ddof=1))
    apart = math.hypot(sd_a, sd_b) / math.sqrt(2048)
    assert paired.se > 0 and apart >= 5 * paired.se, (apart, paired.se)


def _in_child(day_dict) -> list[float]:
    m = evaluate_clinic_day(ClinicDay.from_dict(day_dict), seed=9, replications=512)
    return m.per_rep["wait_total"].tolist()


def test_same_seed_same_numbers_whatever_the_threads(monkeypatch) -> None:
    day = _rich_day("pooled")
    monkeypatch.setattr(cd, "THREADS", 1)
    one = evaluate_clinic_day(day, seed=9, replications=512)
    monkeypatch.setattr(cd, "THREADS", 3)
    two = evaluate_clinic_day(day, seed=9, replications=512)
    for key in one.per_rep:
        np.testing.assert_array_equal(one.per_rep[key], two.per_rep[key])
    assert one.kpis == two.kpis
    other = evaluate_clinic_day(day, seed=10, replications=512)
    assert other.value("wait_mean") != one.value("wait_mean")
    # a process forked after the threads ran evaluates the same (no native threading layer,
    # so forking is safe: the pipeline's workers and the tests' do it)
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        got = pool.submit(_in_child, day.to_dict()).result(timeout=120)
    assert got == two.per_rep["wait_total"].tolist()


def test_the_stopping_rule_reaches_the_precision() -> None:
    day = _rich_day("pooled")
    m = evaluate_clinic_day(day, seed=2, rel_se=0.02, abs_se=1e-6)
    est = m["wait_mean"]
    assert est.se <= 0.02 * est.mean + 1e-12
    assert m.replications % 64 == 0 and m.replications >= 128
    loose = evaluate_clinic_day(day, seed=2, rel_se=0.2)
    assert loose.replications == 128  # the first two batches suffice


def test_absent_doctors_closed_form() -> None:
    """Three doctors, each absent with probability a, the first session kept when nobody covers
    its time: rostered minutes E = 120 (2(1-a) + (1 - a + a^3)) - 40 (1-a) for the d2 session
    of 80 minutes... computed exactly by enumeration; patients of an absent doctor are lost with
    probability l: E[booked] = 36 x 0.95 x (slots booked) x (1 - l P(absent, not kept))."""
    a, lost = 0.3, 0.4
    day = _rich_day("pooled", a, lost)
    fast = evaluate_clinic_day(day, seed=5, replications=16384)
    # enumerate the 8 absence patterns of d0, d1, d2 (the kept rule: a session nobody covers)
    duty = 0.0
    p_gone = [0.0, 0.0, 0.0]
    for mask in range(8):
        gone = [(mask >> i) & 1 == 1 for i in range(3)]
        p = 1.0
        for g in gone:
            p *= a if g else 1 - a
        present = [not g for g in gone]
        for i in range(3):
            if not present[i] and not any(present[o] for o in range(3)):
                present[i] = True
        duty += p * sum(m for m, on in zip((120, 120, 80), present, strict=True) if on)
        for i in range(3):
            p_gone[i] += p * (not present[i])
    per = fast.per_rep["duty"]
    assert per.mean() == pytest.approx(duty, abs=4 * per.std() / math.sqrt(per.size))
    slots = day.slots
    expected = sum(s.booked * s.kept * (1 - lost * p_gone[s.session]) for s in slots)
    got = fast["booked"]
    assert abs(got.mean - expected) < 4 * got.se, (got, expected)
    # nobody absent: every rostered minute on duty
    none = evaluate_clinic_day(_rich_day("pooled"), seed=5, replications=256)
    assert set(none.per_rep["duty"].tolist()) == {320.0}
