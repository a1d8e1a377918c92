"""The synthetic network: contract columns, determinism, consistency of the timestamps."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from polyslot.errors import InputError
from polyslot.synthetic import TABLES, generate_network, write_network
from polyslot.synthetic.parameters import VISIT_TYPES

START = date(2025, 1, 20)  # 56 days covering Chinese New Year (29-30 Jan 2025)
ATT_COLUMNS = [
    "attendance_id",
    "polyclinic_id",
    "patient_id",
    "visit_type",
    "booking_ts",
    "appointment_ts",
    "arrival_ts",
    "consult_start_ts",
    "consult_end_ts",
    "consultation_duration_minutes",
    "doctor_id",
    "status",
    "age_group",
]


@pytest.fixture(scope="module")
def net():
    return generate_network(2, 56, seed=11, start=START)


def test_contract_columns_and_types(net) -> None:
    a = net.attendances
    assert list(a.columns) == ATT_COLUMNS
    for c in ("booking_ts", "appointment_ts", "arrival_ts", "consult_start_ts", "consult_end_ts"):
        assert a[c].dtype == np.dtype("datetime64[ns]"), c
    assert a["consultation_duration_minutes"].dtype == np.float64
    assert list(net.roster.columns) == [
        "polyclinic_id",
        "date",
        "start_time",
        "end_time",
        "doctors",
    ]
    assert list(net.slot_template.columns) == [
        "polyclinic_id",
        "weekday",
        "start_time",
        "duration_minutes",
        "visit_type",
        "doctor_session",
    ]
    assert list(net.demand_forecast.columns) == [
        "polyclinic_id",
        "date",
        "visit_type",
        "expected_requests",
        "lower",
        "upper",
    ]
    assert list(net.no_show_predictions.columns) == ["attendance_id", "probability"]
    assert set(a["visit_type"]) == {v.name for v in VISIT_TYPES}
    assert set(a["polyclinic_id"]) == {"PC01", "PC02"}


def test_deterministic_for_a_seed_and_different_across_seeds(net) -> None:
    again = generate_network(2, 56, seed=11, start=START)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(net, name), getattr(again, name))
    assert net.truth == again.truth
    other = generate_network(2, 56, seed=12, start=START)
    assert not net.attendances["patient_id"].equals(other.attendances["patient_id"])


def test_polyclinic_does_not_depend_on_network_size() -> None:
    one = generate_network(1, 21, seed=5)
    three = generate_network(3, 21, seed=5)
    sub = three.attendances[three.attendances["polyclinic_id"] == "PC01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.attendances, sub)


def test_every_status_and_unique_ids(net) -> None:
    a = net.attendances
    assert set(a["status"]) == {"attended", "no_show", "cancelled", "walk_in"}
    assert a["attendance_id"].is_unique


def test_nullability_by_status(net) -> None:
    a = net.attendances
    walk = a["status"] == "walk_in"
    seen = a["status"].isin(["attended", "walk_in"])
    assert a.loc[walk, "appointment_ts"].isna().all()
    assert a.loc[~walk, "appointment_ts"].notna().all()
    assert a["booking_ts"].notna().all()
    for c in ("arrival_ts", "consult_start_ts", "consult_end_ts", "doctor_id"):
        assert a.loc[seen, c].notna().all(), c
        assert a.loc[~seen, c].isna().all(), c
    assert a.loc[seen, "consultation_duration_minutes"].notna().all()
    assert a.loc[~seen, "consultation_duration_minutes"].isna().all()


def test_timestamps_consistent_with_the_queue(net) -> None:
    a = net.attendances
    s = a[a["consult_start_ts"].notna()]
    assert (s["consult_start_ts"] >= s["arrival_ts"]).all()
    span = (s["consult_end_ts"] - s["consult_start_ts"]).dt.total_seconds() / 60.0
    np.testing.assert_allclose(span, s["consultation_duration_minutes"], atol=1e-9)
    # durations are rounded to 0.1 minute
    np.testing.assert_allclose(s["consultation_duration_minutes"] * 10 % 1, 0, atol=1e-6)
    b = a[a["appointment_ts"].notna()]
    assert (b["booking_ts"] <= b["appointment_ts"]).all()
    arrived = a[a["arrival_ts"].notna()]
    assert (arrived["booking_ts"] <= arrived["arrival_ts"]).all()
    w = a[a["status"] == "walk_in"]
    assert (w["booking_ts"] == w["arrival_ts"]).all()
    # no doctor serves two patients at once
    s = s.sort_values(["doctor_id", "consult_start_ts"])
    same = s["doctor_id"].to_numpy()[1:] == s["doctor_id"].to_numpy()[:-1]
    gap = s["consult_start_ts"].to_numpy()[1:] - s["consult_end_ts"].to_numpy()[:-1]
    assert (gap[same] >= np.timedelta64(0)).all()


def test_doctors_never_exceed_the_roster(net) -> None:
    a = net.attendances
    s = a[a["consult_start_ts"].notna()].copy()
    s["date"] = s["consult_start_ts"].dt.date
    used = s.groupby(["polyclinic_id", "date"])["doctor_id"].nunique()
    rostered = net.roster.groupby(["polyclinic_id", "date"])["doctors"].max()
    joined = used.to_frame("used").join(rostered, how="left")
    assert joined["doctors"].notna().all()  # nobody is seen on a day without a roster
    assert (joined["used"] <= joined["doctors"]).all()


def test_closed_on_holidays_and_sundays(net) -> None:
    a = net.attendances
    days = set(a["appointment_ts"].dropna().dt.date) | set(a["arrival_ts"].dropna().dt.date)
    closed = {date(2025, 1, 29), date(2025, 1, 30)}
    assert not days & closed
    assert not {d for d in days if d.weekday() == 6}
    assert not set(net.roster["date"]) & closed
    assert set(net.truth["closed_holidays"]) == {"2025-01-29", "2025-01-30"}


def test_patient_ids_carry_no_information(net) -> None:
    ids = net.attendances["patient_id"]
    assert ids.str.fullmatch(r"[0-9a-f]{16}").all()
    # ids are not sequential and do not encode the polyclinic
    assert not ids.str.contains("PC").any()
    assert ids.nunique() < len(ids)  # some patients come back
    chronic = net.attendances[net.attendances["visit_type"] == "chronic_followup"]
    assert chronic["patient_id"].duplicated().any()


def _plus(hhmm: str, minutes: int) -> str:
    m = int(hhmm[:2]) * 60 + int(hhmm[3:]) + minutes
    return f"{m // 60:02d}:{m % 60:02d}"


def test_current_template_looks_real(net) -> None:
    t = net.slot_template
    assert t["doctor_session"].str.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat)-(AM|PM)-D\d\d").all()
    for pc, info in net.truth["polyclinics"].items():
        tp = t[t["polyclinic_id"] == pc]
        rule = info["template_rule"]
        morning = tp["doctor_session"].str.contains("-AM-")
        am_start = info["sessions"]["weekday_am"][0]
        window = rule["am_booking_minutes"]
        late_from = "99:99" if window is None else _plus(am_start, window)
        late = morning & (tp["start_time"] >= late_from)
        assert (tp.loc[late, "duration_minutes"] == rule["am_late_slot"]).all(), pc
        for sess, m in (("am", morning & ~late), ("pm", ~morning)):
            slot = tp.loc[m, "visit_type"].map(rule[f"{sess}_slot_minutes"])
            assert (tp.loc[m, "duration_minutes"] == slot).all(), (pc, sess)
            part = tp[m]
            first = part.groupby("doctor_session")["start_time"].transform("min")
            block = part[part["start_time"] == first].groupby("doctor_session").size()
            assert (block == rule[f"block_{sess}"]).all(), (pc, sess)  # block at session start
        assert rule["block_am"] == info["block_size"]
        am = morning.sum()
        assert am > len(tp) - am  # morning-heavy
        assert not (tp["weekday"] == 6).any()
        pm_start = info["sessions"]["weekday_pm"][0]
        assert not tp["start_time"].between("12:00", pm_start, inclusive="left").any()  # lunch


def test_the_three_kinds_follow_their_rules(net) -> None:
    """PC01 is congested (10-minute morning slots, block of 4), PC02 overloaded."""
    kinds = {pc: info["kind"] for pc, info in net.truth["polyclinics"].items()}
    assert kinds == {"PC01": "congested", "PC02": "overloaded"}
    t = net.slot_template
    am = t[(t["polyclinic_id"] == "PC01") & t["doctor_session"].str.contains("-AM-")]
    early = am["start_time"] < "10:00"  # appointments front-loaded into 08:00-10:00
    assert (am.loc[early, "duration_minutes"] == 10).all()
    assert (am.loc[~early, "duration_minutes"] == 30).all()
    assert early.sum() > 3 * (~early).sum()
    assert (am.groupby("doctor_session")["start_time"].value_counts().max()) == 4
    assert (am.groupby("doctor_session")["start_time"].max() >= "11:30").all()  # span to 12:00
    pref = net.truth["polyclinics"]["PC01"]["hour_preference"]
    assert sum(pref[h] for h in ("8", "9", "10", "11")) > 0.8  # patients want mornings


def test_story_tables(net) -> None:
    f = net.demand_forecast
    assert (f["lower"] <= f["expected_requests"]).all()
    assert (f["expected_requests"] <= f["upper"]).all()
    open_days = net.roster.groupby("polyclinic_id")["date"].nunique().sum()
    assert len(f) == open_days * len(VISIT_TYPES)
    p = net.no_show_predictions
    booked = net.attendances.loc[net.attendances["appointment_ts"].notna(), "attendance_id"]
    assert set(p["attendance_id"]) == set(booked)
    assert p["probability"].between(0, 1).all()


def test_bad_arguments_raise_input_error() -> None:
    with pytest.raises(InputError, match="polyclinics"):
        generate_network(0, 10, 1)
    with pytest.raises(InputError, match="days"):
        generate_network(1, 0, 1)
    with pytest.raises(InputError, match="seed"):
        generate_network(1, 10, -1)


def test_write_network_round_trip(tmp_path, net) -> None:
    paths = write_network(net, tmp_path / "out")
    assert set(paths) == set(TABLES) | {"truth"}
    back = pd.read_parquet(paths["attendances"])
    pd.testing.assert_frame_equal(back, net.attendances)
    roster = pd.read_parquet(paths["roster"])
    assert roster["date"].iloc[0] == net.roster["date"].iloc[0]
    truth = json.loads(paths["truth"].read_text())
    assert truth["seed"] == 11 and set(truth["polyclinics"]) == {"PC01", "PC02"}


def test_written_tables_pass_the_data_layer_validation(tmp_path, net) -> None:
    from polyslot.data import loaders

    paths = write_network(net, tmp_path / "v")
    for name in TABLES:
        res = loaders.load_table_source(name, paths[name])
        assert len(res.quarantine) == 0, (name, res.reasons)
        assert len(res.valid) == len(getattr(net, name))


def test_seeded_regression() -> None:
    """Pinned figures: a deliberate model change must update them (and GENERATOR_VERSION)."""
    net = generate_network(1, 14, 42)
    a = net.attendances
    assert net.truth["generator_version"] == 2
    assert net.truth["polyclinics"]["PC01"]["doctors"] == 6
    assert (len(a), len(net.roster), len(net.slot_template)) == (1634, 20, 1042)
    assert a["status"].value_counts().to_dict() == {
        "attended": 1234,
        "no_show": 176,
        "walk_in": 161,
        "cancelled": 63,
    }
    assert round(a["consultation_duration_minutes"].sum(), 1) == 17294.7
