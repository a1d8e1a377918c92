"""Who borrows and lends (from the history), doctor-sessions by half-day (adding copies the
half-day's hours, lending takes the last session), the staffing response's file round trip, the
hiring answer, and the [network] settings."""

from __future__ import annotations

import dataclasses

import pytest

from polyslot.analysis.observed import ObservedHistory
from polyslot.clinic_model import DoctorSession
from polyslot.config import NetworkSettings, config_from_dict, load_config
from polyslot.errors import ConfigError, InputError
from polyslot.examples import example_clinic_model
from polyslot.network.halves import changed_model, changed_sessions, roster_rows, session_counts
from polyslot.network.hiring import hire, patient_shortfall
from polyslot.network.roles import network_roles
from polyslot.staffing import StaffingPoint, StaffingResponse, WeekdayStaffing

OVER = {"utilization": 1.05, "overtime_share": 0.7}


def _ok(u: float) -> dict:
    return {"utilization": u, "overtime_share": 0.0}


def _network(doctors=(3, 3, 3, 3)):
    ids = ["A", "B", "C", "D"]
    return {pid: example_clinic_model(doctors=n, polyclinic_id=pid) for pid, n in zip(ids, doctors,
                                                                                  strict=True)}


def test_borrowers_and_the_least_used_lenders():
    models = _network()
    hist = {
        "A": ObservedHistory("A", {0: OVER, 1: OVER, 2: _ok(0.9)}),
        "B": ObservedHistory("B", {0: _ok(0.5), 1: _ok(0.8), 2: OVER}),
        "C": ObservedHistory("C", {0: _ok(0.6), 1: _ok(0.5), 2: _ok(0.7)}),
        "D": ObservedHistory("D", {0: _ok(0.4), 1: _ok(0.9), 2: _ok(0.6)}),
    }
    roles = network_roles(models, hist, NetworkSettings(max_borrow=1, max_lend=1))
    assert roles["A"].borrow == (0, 1) and roles["B"].borrow == (2,)
    # Monday: A may take 1 AM + 1 PM; D (the least used, 0.4) alone gives 1 + 1
    assert 0 in roles["D"].lend
    assert 0 not in roles["B"].lend and 0 not in roles["C"].lend
    # Tuesday: C (0.5) is the least used; Wednesday (B overloaded): D (0.6) before C (0.7)
    assert roles["C"].lend == (1,) and roles["D"].lend == (0, 2)
    # two borrowers' worth: both lenders asked
    roles2 = network_roles(models, hist, NetworkSettings(max_borrow=2, max_lend=1))
    assert 0 in roles2["D"].lend and 0 in roles2["B"].lend and 0 not in roles2["C"].lend


def test_groups_and_zero_limits():
    models = _network()
    hist = {"A": ObservedHistory("A", {0: OVER}), "B": ObservedHistory("B", {0: _ok(0.3)}),
            "C": ObservedHistory("C", {0: _ok(0.5)}), "D": ObservedHistory("D", {0: _ok(0.6)})}
    roles = network_roles(models, hist, NetworkSettings(groups=(("A", "C"), ("B", "D"))))
    assert roles["A"].borrow == (0,) and roles["C"].lend == (0,)
    assert "B" not in roles and "D" not in roles  # B is the least used, but not A's groupmate
    alone = network_roles(models, hist, NetworkSettings(groups=(("A",), ("B", "C", "D"))))
    assert alone == {}  # nobody may share with A
    assert network_roles(models, hist, NetworkSettings(max_borrow=0)) == {}
    lend0 = network_roles(models, hist, NetworkSettings(max_lend=0))
    assert set(lend0) == {"A"} and lend0["A"].lend == ()


def test_sessions_added_and_taken_by_half_day():
    m = example_clinic_model(doctors=3)
    assert session_counts(m, 0) == {"AM": 3, "PM": 3}
    changed, added, removed = changed_model(m, 0, am=2, pm=-1)
    assert session_counts(changed, 0) == {"AM": 5, "PM": 2} and session_counts(changed, 1) == {
        "AM": 3, "PM": 3}
    assert [(s.session_id, s.start_minute, s.end_minute) for s in added] == [
        ("Mon-AM-net1", 480, 720), ("Mon-AM-net2", 480, 720)]
    assert removed == ("0-PM-3",)
    # the typical hours of the half-day, not the first session's
    odd = (DoctorSession(0, "a", 500, 700), DoctorSession(0, "b", 480, 720),
           DoctorSession(0, "c", 480, 720))  # fmt: skip
    _, add, _ = changed_sessions(odd, 0, {"AM": 1})
    assert (add[0].start_minute, add[0].end_minute) == (480, 720)
    with pytest.raises(InputError, match="at least one"):
        changed_model(m, 0, am=-3)
    with pytest.raises(InputError, match="no doctor-session"):
        changed_sessions(odd, 0, {"PM": 1})
    rows = roster_rows("EX01", changed.sessions)
    mon = [r for r in rows if r["weekday"] == 0]
    assert mon == [
        {"polyclinic_id": "EX01", "weekday": 0, "start_time": "08:00", "end_time": "12:00",
         "doctors": 5},
        {"polyclinic_id": "EX01", "weekday": 0, "start_time": "13:00", "end_time": "17:00",
         "doctors": 2},
    ]  # fmt: skip


def _kpis(wait, patients, overtime, se=0.1):
    return {
        "wait_mean": (wait, se), "wait_p90": (2 * wait, se), "utilization": (0.8, 0.01),
        "overtime": (overtime, 1.0), "idle": (100.0, 1.0), "patients_served": (patients, se),
        "unmet_demand": (5.0, 0.0), "capacity_minutes": (1000.0, 0.0),
    }  # fmt: skip


def _weekday():
    today = _kpis(20.0, 100.0, 200.0)
    pts = (
        StaffingPoint(0, 0, _kpis(6.0, 90.0, 80.0)),
        StaffingPoint(1, 0, _kpis(5.0, 98.0, 90.0)),
        StaffingPoint(0, 1, _kpis(4.0, 100.0, 150.0)),
        StaffingPoint(1, 1, _kpis(3.0, 99.5, 70.0)),
        StaffingPoint(1, 1, _kpis(4.5, 100.0, 60.0), template="today"),
    )
    return WeekdayStaffing(1, "borrow", {"AM": 3, "PM": 2}, today, pts)


def test_hiring_answer_is_the_fewest_added_sessions():
    w = _weekday()
    weights = {"wait": 1.0, "idle": 0.5, "overtime": 1.5, "unmet": 60.0}
    # (0, 1) serves today's 100 patients with 150 < 200 overtime and a 4 min wait
    h = hire("A", w, 5.0, weights)
    assert (h.am, h.pm, h.reachable, h.template) == (0, 1, True, "optimised")
    # a 3.5 min target: (1, 1) optimised serves 99.5 (within the interval of 100: se 0.1 each
    # gives 0.28) but waits 3.0; it is reachable
    assert patient_shortfall((99.5, 0.1), (100.0, 0.1)) > 0  # 0.5 > 0.28: fewer than today
    h2 = hire("A", w, 3.5, weights)
    assert not h2.reachable and "more than 2" in h2.reason and "serves 99.5" in h2.reason
    # on top of the moves already there: one more PM session than (1, 0)
    h3 = hire("A", w, 5.0, weights, base=(1, 0))
    assert (h3.am, h3.pm, h3.template) == (0, 1, "today")


def test_staffing_response_file_round_trip():
    w = _weekday()
    resp = StaffingResponse("A", (w,))
    back = StaffingResponse.from_dict(resp.to_dict())
    assert back == resp.canonical() and back.to_dict() == resp.to_dict()
    assert resp.points == 4 and resp.weekday(1).role == "borrow" and resp.weekday(0) is None
    with pytest.raises(InputError, match="points\\[0\\]"):
        dataclasses.replace(w, points=w.points[1:])
    with pytest.raises(InputError, match="one point per"):
        dataclasses.replace(w, points=(*w.points, w.points[1]))
    with pytest.raises(InputError, match="borrows or lends"):
        StaffingPoint(1, -1, _kpis(1, 1, 1))


def test_network_settings(tmp_path):
    cfg = load_config(overrides={"network": {"groups": [["PC01", "PC02"]], "max_borrow": 2,
                                             "target_wait_minutes": 4}})
    assert cfg.network.groups == (("PC01", "PC02"),) and cfg.network.max_borrow == 2
    assert config_from_dict(cfg.to_dict()).network == cfg.network
    assert RunConfig_defaults() == NetworkSettings(True, (), 24, 1, 1, 2.0, None)
    for bad, field in (({"max_lend": 5}, "network.max_lend"), ({"groups": ["PC01"]},
                       "network.groups"), ({"lender_tolerance": -1}, "network.lender_tolerance"),
                       ({"target_wait_minutes": 0}, "network.target_wait_minutes"),
                       ({"enabled": "yes"}, "network.enabled"), ({"moves": 3}, "network.moves")):
        path = tmp_path / "p.toml"
        key, value = next(iter(bad.items()))
        path.write_text(f"[network]\n{key} = {value!r}\n".replace("'", '"'))
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert f"field '{field}'" in str(err.value) and str(path) in str(err.value)


def RunConfig_defaults() -> NetworkSettings:  # noqa: N802 - reads as the thing it returns
    return load_config().network
