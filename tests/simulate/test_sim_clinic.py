"""The SimPy clinic day: hand-checked cases, the late policy, overtime, breaks, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.day import build_day
from polyslot.errors import InputError
from polyslot.examples import example_clinic_model
from polyslot.simulate.clinic import ClinicConfig, simulate_day
from polyslot.simulate.clinic_runs import simulate_clinic_day
from polyslot.simulate.dayplan import DayPlan, Server, sample_day

NAN = np.nan


def plan(servers, appt, arr, svc, booked, vts=None) -> DayPlan:
    n = len(appt)
    return DayPlan(
        servers=tuple(Server(*s) for s in servers),
        appointment=np.asarray(appt, dtype=float),
        arrival=np.asarray(arr, dtype=float),
        service=np.asarray(svc, dtype=float),
        visit_type=tuple(vts or ["a"] * n),
        booked_server=np.asarray(booked, dtype=np.int64),
    )


def test_sim_clinic_pooled_fcfs_two_doctors_by_hand() -> None:
    p = plan(
        [("d1", 0, 60), ("d2", 0, 60)],
        [0, 0, 5, 5, NAN],
        [0, 1, 4, 6, 2],
        [10, 10, 10, 10, 10],
        [0, 0, 1, 1, -1],
    )
    r = simulate_day(p, ClinicConfig("fcfs")).records
    # arrival order 0,1,4(walk-in at 2),2,3; two doctors
    np.testing.assert_allclose(r["start"], [0, 1, 11, 20, 10])
    np.testing.assert_allclose(r["wait"], [0, 0, 7, 14, 8])
    assert list(r["doctor"]) == ["d1", "d2", "d2", "d1", "d1"]


def test_sim_clinic_single_doctor_appointment_order_is_lindley() -> None:
    rng = np.random.default_rng(3)
    appt = np.sort(rng.integers(0, 100, 30)).astype(float)
    svc = rng.integers(0, 9, 30).astype(float)
    came = rng.random(30) > 0.2
    arr = np.where(came, appt, np.nan)
    p = plan([("d", 0, 100)], appt, arr, svc, np.zeros(30))
    r = simulate_day(p, ClinicConfig("appointment")).records
    w, d = [], 0.0
    for a, b, c in zip(appt, svc, came, strict=True):
        s = max(a, d)
        w.append(s - a if c else np.nan)
        d = s + b if c else d
    np.testing.assert_allclose(r["wait"], w)


def test_sim_clinic_late_policy_turns_late_patient_into_walk_in() -> None:
    # d1 books patients 0 and 1; patient 0 arrives 20 minutes late
    servers = [("d1", 0, 120), ("d2", 0, 120)]
    p = plan(servers, [0, 10, 0], [20, 10, 0], [30, 30, 15], [0, 0, 1])
    strict = simulate_day(p, ClinicConfig("appointment", late_threshold=None)).records
    lenient = simulate_day(p, ClinicConfig("appointment", late_threshold=15)).records
    # no policy: d1 serves patient 1 at 10, then the late patient 0 at 40
    np.testing.assert_allclose(strict["start"], [40, 10, 0])
    # policy: patient 0 is a walk-in and joins the shortest queue (d2, free since 15)
    assert bool(lenient["seen_as_walk_in"][0]) and not bool(lenient["walk_in"][0])
    np.testing.assert_allclose(lenient["start"], [20, 10, 0])
    assert lenient["doctor"][0] == "d2"
    kp = simulate_day(p, ClinicConfig("appointment", late_threshold=15)).kpis
    assert kp["late_as_walk_in"] == 1


def test_sim_clinic_runs_on_until_everyone_present_is_seen() -> None:
    p = plan([("d", 0, 30)], [0, 10, 20], [0, 10, 20], [25, 25, 25], [0, 0, 0])
    res = simulate_day(p, ClinicConfig("fcfs"))
    np.testing.assert_allclose(res.records["end"], [25, 50, 75])
    assert res.kpis["overtime_mean"] == 45.0
    assert res.kpis["utilization"] == pytest.approx(75 / 30)
    assert res.kpis["idle_mean"] == pytest.approx(0.0)
    assert res.kpis["doctor_overtime"] == pytest.approx(45.0)


def test_sim_clinic_break_between_sessions() -> None:
    # AM 0-60, PM 120-180: a patient arriving at 70 waits for the PM session
    p = plan([("am", 0, 60), ("pm", 120, 180)], [NAN], [70], [10], [-1])
    r = simulate_day(p, ClinicConfig("fcfs")).records
    assert r["start"][0] == 120 and r["doctor"][0] == "pm"
    # after closing with nobody later on duty: unseen
    p2 = plan([("am", 0, 60)], [NAN], [70], [10], [-1])
    k = simulate_day(p2, ClinicConfig("dedicated")).kpis
    assert k["unseen"] == 1 and k["patients_seen"] == 0


def test_sim_clinic_pooled_doctor_hands_over_at_session_end() -> None:
    # d1 ends at 30 while d2 works on: d1 leaves, d2 takes the queue
    p = plan([("d1", 0, 30), ("d2", 0, 120)], [NAN] * 4, [0, 0, 1, 2], [29, 40, 10, 10], [-1] * 4)
    r = simulate_day(p, ClinicConfig("fcfs")).records
    np.testing.assert_allclose(r["start"], [0, 0, 29, 40])
    assert list(r["doctor"]) == ["d1", "d2", "d1", "d2"]


def test_sim_clinic_config_validation() -> None:
    with pytest.raises(InputError, match="discipline"):
        ClinicConfig("lifo")
    with pytest.raises(InputError, match="late_threshold"):
        ClinicConfig(late_threshold=-1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), disc=st.sampled_from(["fcfs", "dedicated", "appointment"]))
def test_sim_clinic_invariants(seed: int, disc: str) -> None:
    m = example_clinic_model(doctors=2)
    day = build_day(m, m.current_template, seed % 5, discipline=disc)
    p = sample_day(day, np.random.default_rng(seed))
    res = simulate_day(p, ClinicConfig(disc))
    r = res.records
    seen = r["seen"]
    came = ~r["no_show"]
    assert np.all(seen == came)  # everyone present is seen (sessions run on)
    assert np.all(r["start"][seen] >= r["arrival"][seen] - 1e-9)
    np.testing.assert_allclose(r["end"][seen] - r["start"][seen], p.service[seen])
    for doc in set(r["doctor"][seen]):  # a doctor sees one patient at a time
        idx = np.flatnonzero(r["doctor"] == doc)
        o = idx[np.lexsort((r["end"][idx], r["start"][idx]))]
        assert np.all(r["start"][o][1:] >= r["end"][o][:-1] - 1e-9)
    k = res.kpis
    assert k["busy_minutes"] == pytest.approx(p.service[seen].sum())
    assert k["patients_seen"] == int(seen.sum())


def test_sim_clinic_day_replications_seeded_and_pooling_helps() -> None:
    m = example_clinic_model()
    day = build_day(m, m.current_template, 2, discipline="pooled")
    a = simulate_clinic_day(day, replications=40, seed=9)
    b = simulate_clinic_day(day, replications=40, seed=9)
    assert a == b
    ded = simulate_clinic_day(
        build_day(m, m.current_template, 2, discipline="dedicated"), replications=40, seed=9
    )
    # same days (same seed): the pooled queue never waits longer on average than dedicated ones
    assert a["wait_mean"] < ded["wait_mean"]
    assert a["utilization"] == pytest.approx(ded["utilization"])
    assert a["replications"] == 40 and a["wait_mean_ci"] > 0


def test_sim_clinic_dayplan_validation() -> None:
    with pytest.raises(InputError, match="servers"):
        plan([], [0], [0], [5], [0])
    with pytest.raises(InputError, match="service"):
        plan([("d", 0, 60)], [0, 1], [0, 1], [5], [0, 0])
    with pytest.raises(InputError, match="booked_server"):
        plan([("d", 0, 60)], [0], [0], [5], [3])
    with pytest.raises(InputError, match="end must be after start"):
        plan([("d", 60, 60)], [0], [0], [5], [0])


def test_sim_clinic_sampled_days_share_walk_ins_across_templates() -> None:
    m = example_clinic_model()
    fewer = type(m.current_template)(
        m.polyclinic_id, tuple(s for s in m.current_template.slots if s.start_minute % 30 == 0)
    )
    a = sample_day(build_day(m, m.current_template, 1), np.random.default_rng(4))
    b = sample_day(build_day(m, fewer, 1), np.random.default_rng(4))
    wa, wb = a.booked_server < 0, b.booked_server < 0
    assert wa.sum() > 0
    np.testing.assert_array_equal(a.arrival[wa], b.arrival[wb])
    np.testing.assert_array_equal(a.service[wa], b.service[wb])
