"""Planning from what the history has (issue 22): a consultation log without appointment,
arrival or booking times; the same log with those times fabricated from the consultation
start; a weekday seen too rarely to plan; histories without booking times."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _consult_log import MEANS, SESSIONS, consult_log, fabricated  # noqa: E402
from _estimate_fixtures import write_store  # noqa: E402

from polyslot.data.completion.roster import infer_roster  # noqa: E402
from polyslot.estimate import EstimateConfig, estimate_network  # noqa: E402
from polyslot.estimate.current_template import EVEN_SOURCE  # noqa: E402
from polyslot.estimate.history import history_sessions, unplanned_weekdays  # noqa: E402
from polyslot.estimate.noshow_rates import NO_LEAD_TIME  # noqa: E402
from polyslot.synthetic import generate_network  # noqa: E402
from polyslot.template import ANY_VISIT_TYPE  # noqa: E402

CFG = EstimateConfig(max_train_rows=5_000, backtest_origins=2)
SATURDAY = dt.date(2025, 12, 13)  # seen once, 23 patients (issue 22)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return consult_log(extra={SATURDAY: 23})


def _store(tmp_path_factory, name: str, frame: pd.DataFrame, roster: bool) -> Path:
    d = tmp_path_factory.mktemp(name)
    path = write_store(d / "polyslot.duckdb", {"attendances": frame})
    if roster:  # what ingest adds to a store without a roster
        with duckdb.connect(str(path)) as con:
            infer_roster(con)
    return d


@pytest.fixture(scope="module")
def plain(log, tmp_path_factory):
    """The log as exported: no appointment, arrival or booking time, no roster."""
    return estimate_network(_store(tmp_path_factory, "plain", log, roster=False), CFG)


@pytest.fixture(scope="module")
def faked(log, tmp_path_factory):
    """The log with appointment = arrival = booking = consultation start, roster inferred."""
    return estimate_network(_store(tmp_path_factory, "faked", fabricated(log), roster=True), CFG)


def _true_typical(log: pd.DataFrame) -> dict[tuple[int, str], int]:
    """The 90th percentile of the patients per (weekday, AM/PM session) over the dates with that
    session (the slots an evenly spaced template offers)."""
    start = log["consult_start_ts"]
    day = start.dt.normalize()
    # a patient belongs to the session of the day that started before him (AM: before 13:00)
    part = np.where(start.dt.hour < 13, "AM", "PM")
    per = log.assign(day=day, part=part).groupby(["day", "part"]).size().reset_index(name="n")
    per["wd"] = per["day"].dt.weekday
    med = per.groupby(["wd", "part"])["n"].quantile(0.9)
    return {(int(w), p): int(np.floor(v + 0.5)) for (w, p), v in med.items()}


def test_consultation_log_is_planned_from_what_it_has(plain, log):
    m = plain.models["DR1"]
    assert m.meta["history_fields"] == {
        "booking_ts": False,
        "appointment_ts": False,
        "arrival_ts": False,
        "consult_start_ts": True,
        "consult_end_ts": True,
        "consultation_duration_minutes": True,
        "doctor_id": False,
    }
    # consultation times from the log: the generator's means (lognormal, cv 0.5)
    for vt in m.visit_types:
        assert m.service_for(vt).mean_minutes == pytest.approx(MEANS[vt], rel=0.05)
    # the unreserved slots' mix is in the model (optimize and simulate read the file alone)
    assert m.service_for(ANY_VISIT_TYPE).family == "mixture"
    # punctuality unknown: punctual; no-shows from the statuses (all attended: 0)
    assert m.meta["punctuality_source"].startswith("unknown")
    assert {(p.offsets, p.pmf) for p in m.punctuality} <= {((0,), (1.0,))}
    assert m.meta["no_show_source"] == "statuses"
    assert {r.rate for r in m.no_show} == {0.0}
    n_first = int((log["visit_type"] == "first_visit").sum())
    assert {r.n_obs for r in m.no_show if r.visit_type == "first_visit"} == {n_first}
    assert plain.summary["no_show"]["source"] == "statuses"
    # demand counted by consultation date: per weekday the mean patients a day
    assert m.meta["demand_counted_by"] == "consult_start_ts"
    day = log["consult_start_ts"].dt.normalize()
    daily = log.assign(day=day).groupby("day").size()
    for wd in range(5):
        seen = daily[daily.index.weekday == wd].mean()
        got = sum(d.mean for d in m.demand if d.weekday == wd)
        assert got == pytest.approx(seen, rel=0.03), wd
    # staffing without doctor ids: one physician, not one doctor per consultation
    assert 0.5 <= max(h.value for h in m.staffing) <= 1.25


def test_consultation_log_template_is_evenly_spaced(plain, log):
    m = plain.models["DR1"]
    assert m.meta["template_source"] == "evenly_spaced"
    assert m.meta["current_template_source"] == EVEN_SOURCE
    assert set(m.meta["evenly_spaced_weekdays"]) == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    truth = _true_typical(log)
    by_session: dict[str, list] = {}
    for s in m.current_template.slots:
        by_session.setdefault(s.doctor_session, []).append(s)
        assert s.visit_type == ANY_VISIT_TYPE
    sessions = {s.session_id: s for s in m.sessions}
    assert sorted({s.weekday for s in m.sessions}) == [0, 1, 2, 3, 4]
    for sid, slots in by_session.items():
        sess = sessions[sid]
        part = "AM" if sess.start_minute < 720 else "PM"
        assert len(slots) == truth[(sess.weekday, part)], sid
        span = sess.end_minute - sess.start_minute
        starts = [s.start_minute for s in slots]
        assert starts[0] == sess.start_minute
        assert np.all(np.abs(np.diff(starts) - span / len(slots)) <= 1)
        assert {s.duration_minutes for s in slots} == {span // len(slots)}
    # the true plan (Poisson patients: 16 on Mondays, 14 + 10 on Tuesdays, 14 on Wednesdays,
    # ...): the template offers the 90th percentile of each session's patients
    from scipy import stats

    for wd, plan in SESSIONS.items():
        got = sum(1 for s in m.current_template.slots if s.weekday == wd)
        want = sum(stats.poisson.ppf(0.9, lam) for _, _, lam in plan)
        assert abs(got - want) <= 2, (wd, got, want)


def test_saturday_seen_once_is_not_planned(plain, faked):
    """Issue 22: a weekday seen on one day (23 patients) was planned as 176 requests a day."""
    for result in (plain, faked):
        m = result.models["DR1"]
        why = m.meta["unplanned_weekdays"]
        assert list(why) == ["Sat"]
        # 23 patients from 08:00 run past noon: the morning and the afternoon of one date
        assert why["Sat"] == "2 sessions in the history (fewer than min_weekday_sessions = 8)"
        assert result.summary["unplanned_weekdays"] == [
            {"polyclinic_id": "DR1", "weekday": "Sat", "reason": why["Sat"]}
        ]
        for part in (m.demand, m.sessions, m.current_template.slots, m.no_show, m.staffing):
            assert all(x.weekday != 5 for x in part)
        assert 5 not in m.opening


def test_fabricated_times_are_not_read_as_a_slot_grid(faked, plain):
    """Consultation starts mapped as appointments: scattered minutes, not a slot grid (the
    inferred template gave one slot per session on some weekdays); the template is the evenly
    spaced one and no demand day is censored by it."""
    m = faked.models["DR1"]
    assert m.meta["template_source"] == "evenly_spaced"
    held = {}
    for day, why in m.meta["evenly_spaced_weekdays"].items():
        assert why.startswith("appointment times are not a slot grid"), day
        held[day] = int(re.search(r"\((\d+) slots;", why).group(1))
    # the inferred template kept 5 slots for Wednesday's patients (14 on a typical day, 19 on
    # nine days in ten); now the evenly spaced template offers the 19
    assert held["Wed"] == 5
    assert sum(1 for s in m.current_template.slots if s.weekday == 2) == 19
    assert all(r["censored_days"] == 0 for r in faked.summary["demand"]["backtest"])
    # the same demand as the log without the fabricated times
    for d in m.demand:
        other = next(
            x
            for x in plain.models["DR1"].demand
            if (x.visit_type, x.weekday) == (d.visit_type, d.weekday)
        )
        assert d.mean == pytest.approx(other.mean, rel=1e-6)


def test_history_sessions_count_half_days():
    times = pd.DataFrame(
        {
            "polyclinic_id": ["A"] * 6 + ["B"],
            "d": pd.to_datetime(["2025-03-01"] * 3 + ["2025-03-08", "2025-03-03", "2025-03-03",
                                                       "2025-03-03"]),
            "wd": [5, 5, 5, 5, 0, 0, 0],
            "m": [480, 700, 800, 600, 600, 900, 600],
            "n": [1, 2, 1, 1, 1, 0, 4],
            "booked": [1, 2, 1, 1, 1, 0, 4],
        }
    )  # fmt: skip
    sessions = history_sessions(times)
    assert sessions == {"A": {5: 3, 0: 1}, "B": {0: 1}}
    assert unplanned_weekdays(sessions, 2) == {
        "A": {"Mon": "1 session in the history (fewer than min_weekday_sessions = 2)"},
        "B": {"Mon": "1 session in the history (fewer than min_weekday_sessions = 2)"},
    }
    assert unplanned_weekdays(sessions, 1) == {}


def test_a_short_log_is_skipped_with_its_reason(tmp_path):
    d = write_store(tmp_path / "polyslot.duckdb", {"attendances": consult_log(days=21)})
    result = estimate_network(d, CFG)
    assert result.models == {}
    reason = result.summary["skipped"][0]["reason"]
    assert reason.startswith("no weekday can be planned (fewer than min_weekday_sessions = 8; ")
    assert "Tue: 6 sessions in the history" in reason


@pytest.fixture(scope="module")
def network():
    return generate_network(1, 120, 21)


def test_without_booking_times_the_lead_time_is_skipped(network, tmp_path):
    a = network.attendances.assign(booking_ts=pd.NaT)
    path = write_store(tmp_path / "polyslot.duckdb", {"attendances": a, "roster": network.roster})
    result = estimate_network(path, CFG)
    ns = result.summary["no_show"]
    assert ns["source"] == "model" and ns["lead_time"] == NO_LEAD_TIME
    assert "lead_days" not in ns["features"]
    m = result.models["PC01"]
    assert m.meta["no_show_lead_time"] == NO_LEAD_TIME
    rates = np.array([r.rate for r in m.no_show])
    assert rates.size and np.all(np.isfinite(rates)) and np.all((rates > 0) & (rates < 1))
    # calibrated in the large: the booking-weighted mean rate is the observed one
    booked = a[a["status"].isin(["attended", "no_show"])]
    for vt, g in booked.groupby("visit_type"):
        cells = [r for r in m.no_show if r.visit_type == vt]
        mean = sum(r.rate * r.n_obs for r in cells) / sum(r.n_obs for r in cells)
        assert mean == pytest.approx((g["status"] == "no_show").mean(), abs=1e-4)


def test_without_appointment_and_arrival_times_rates_come_from_statuses(network, tmp_path):
    a = network.attendances.assign(booking_ts=pd.NaT, appointment_ts=pd.NaT, arrival_ts=pd.NaT)
    path = write_store(tmp_path / "polyslot.duckdb", {"attendances": a, "roster": network.roster})
    result = estimate_network(path, CFG)
    m = result.models["PC01"]
    assert m.meta["no_show_source"] == "statuses"
    for vt, g in a.groupby("visit_type"):
        want = (g["status"] == "no_show").sum() / g["status"].isin(["attended", "no_show"]).sum()
        rates = {r.rate for r in m.no_show if r.visit_type == vt}
        assert len(rates) == 1 and rates.pop() == pytest.approx(want, abs=1e-12)
    assert m.meta["template_source"] == "evenly_spaced"
    assert m.meta["punctuality_source"].startswith("unknown")


def test_a_supplied_template_is_the_current_one(log, tmp_path):
    """Without appointment times a supplied template is still taken as is (and is the
    capacity of censored days)."""
    rows = [
        {"polyclinic_id": "DR1", "weekday": wd, "duration_minutes": 15, "visit_type": "any",
         "start_time": f"{8 + k // 4:02d}:{15 * (k % 4):02d}", "doctor_session": f"S{wd}",
         "count": 1}
        for wd in range(5) for k in range(16)
    ]  # fmt: skip
    path = write_store(
        tmp_path / "polyslot.duckdb", {"attendances": log, "slot_template": pd.DataFrame(rows)}
    )
    m = estimate_network(path, CFG).models["DR1"]
    assert m.meta["template_source"] == "slot_template"
    assert m.meta["current_template_source"] == "supplied (slot_template)"
    assert m.meta["evenly_spaced_weekdays"] == {}
    assert len(m.current_template.slots) == 80
    assert {s.session_id for s in m.sessions} == {f"S{wd}" for wd in range(5)}
