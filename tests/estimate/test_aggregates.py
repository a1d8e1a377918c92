"""The estimation aggregates in DuckDB against brute force in pandas."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from polyslot.estimate import EstimateConfig
from polyslot.estimate.aggregates import (
    DUCKDB,
    SPARK,
    BookingScope,
    aggregate_sql,
    extra_candidates,
)
from polyslot.estimate.aggregates_store import compute_aggregates, scope_from_dict, scope_to_dict
from polyslot.estimate.noshow import LEAD_CAP, PRIOR_CAP


def _attendances(seed: int = 3, n: int = 400) -> pd.DataFrame:
    """Bookings of few patients (many repeat visits), some same-instant ties, some walk-ins."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-03-03 08:00")
    appt = (
        t0
        + pd.to_timedelta(rng.integers(0, 60, n), "D")
        + pd.to_timedelta(rng.integers(0, 16, n) * 15, "min")
    )
    lead = pd.to_timedelta(rng.integers(0, 30, n), "D") + pd.to_timedelta(
        rng.integers(0, 600, n), "min"
    )
    booking = appt - lead
    # a few bookings made exactly at another appointment's time of the same patient
    status = rng.choice(["attended", "no_show", "cancelled", "walk_in"], n, p=[0.6, 0.2, 0.1, 0.1])
    df = pd.DataFrame(
        {
            "attendance_id": [f"A{i:05d}" for i in range(n)],
            "polyclinic_id": rng.choice(["P1", "P2"], n),
            "patient_id": rng.choice([f"pt{i}" for i in range(25)] + [None], n),
            "visit_type": rng.choice(["acute", "chronic"], n),
            "booking_ts": booking,
            "appointment_ts": appt,
            "arrival_ts": appt + pd.to_timedelta(rng.integers(-20, 30, n), "min"),
            "consult_start_ts": appt + pd.to_timedelta(rng.integers(0, 20, n), "min"),
            "consultation_duration_minutes": np.round(rng.lognormal(2.3, 0.5, n), 1),
            "doctor_id": rng.choice(["D1", "D2", None], n),
            "status": status,
            "age_group": rng.choice(["0-17", "18-64", "65+", None], n),
        }
    )
    tie = rng.random(n) < 0.1
    df.loc[tie, "booking_ts"] = df["appointment_ts"].shift(1)[tie]
    df.loc[df["booking_ts"].isna(), "booking_ts"] = None
    walk = df["status"] == "walk_in"
    df.loc[walk, "appointment_ts"] = pd.NaT
    return df


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.register("_a", _attendances())
    c.execute("CREATE TABLE attendances AS SELECT * FROM _a")
    yield c
    c.close()


def test_prior_counts_match_brute_force(con) -> None:
    cfg = EstimateConfig(seed=5, max_train_rows=10_000)
    scope = compute_aggregates(con, cfg)
    assert scope.extras == ("age_group",)
    got = con.execute(
        "SELECT prior_no_shows, prior_appointments, sum(n) FROM agg_bookings GROUP BY ALL "
        "ORDER BY ALL"
    ).fetchall()
    a = con.execute("SELECT * FROM attendances").df()
    b = a[a["status"].isin(["attended", "no_show"]) & a["appointment_ts"].notna()].copy()
    booked = b["booking_ts"].fillna(b["appointment_ts"].dt.normalize())
    rows = []
    for i in b.index:
        same = b[
            (b["polyclinic_id"] == b.at[i, "polyclinic_id"])
            & (b["patient_id"] == b.at[i, "patient_id"])
            & (b["appointment_ts"] < booked[i])
        ]
        if b.at[i, "patient_id"] is None:
            same = same.iloc[0:0]
        rows.append((min(int((same["status"] == "no_show").sum()), PRIOR_CAP), min(len(same), 5)))
    want = pd.Series(rows).value_counts().sort_index()
    assert [(p, q, int(c)) for (p, q), c in want.items()] == [tuple(map(int, r)) for r in got]
    assert max(r[0] for r in got) >= 2 and max(r[1] for r in got) == 5  # caps reached
    # every booking of the period is in exactly one cell
    assert sum(r[2] for r in got) == len(b)


def test_lead_days_weekday_and_moments_match_pandas(con) -> None:
    cfg = EstimateConfig(seed=5)
    compute_aggregates(con, cfg)
    a = con.execute("SELECT * FROM attendances").df()
    seen = a[a["status"].isin(["attended", "walk_in"]) & (a["consultation_duration_minutes"] > 0)]
    m = con.execute(
        "SELECT polyclinic_id, visit_type, n, s1, l2 FROM agg_duration_moments ORDER BY ALL"
    ).fetchall()
    for pc, vt, n, s1, l2 in m:
        x = seen[(seen["polyclinic_id"] == pc) & (seen["visit_type"] == vt)][
            "consultation_duration_minutes"
        ]
        assert n == len(x)
        assert float(s1) == pytest.approx(x.sum(), abs=1e-6)
        assert float(l2) == pytest.approx((np.log(x) ** 2).sum(), abs=1e-6)
    wd = con.execute("SELECT sum(n) FROM agg_preference WHERE wd = 0").fetchone()[0]
    booked = a[a["status"].isin(["attended", "no_show", "cancelled"]) & a["appointment_ts"].notna()]
    assert wd == int((booked["appointment_ts"].dt.weekday == 0).sum())
    lead = con.execute(
        "SELECT lead_days, sum(n) FROM agg_bookings GROUP BY 1 ORDER BY 1"
    ).fetchall()
    b = booked[booked["status"] != "cancelled"]
    days = (
        b["appointment_ts"].dt.normalize()
        - b["booking_ts"].fillna(b["appointment_ts"].dt.normalize()).dt.normalize()
    ).dt.days.clip(0, LEAD_CAP)
    binned = np.where(days <= 14, days, 7 * (days // 7) + 3)
    want = pd.Series(binned).value_counts().sort_index()
    assert [(int(k), int(v)) for k, v in want.items()] == [(int(k), int(v)) for k, v in lead]


def test_training_sample_is_the_requested_fraction(con) -> None:
    full = compute_aggregates(con, EstimateConfig(seed=5, max_train_rows=10_000))
    half = compute_aggregates(con, EstimateConfig(seed=5, max_train_rows=150))
    assert full.sample_fraction == 1.0
    assert 0.3 < half.sample_fraction < 0.7
    n, s = con.execute(
        "SELECT sum(n), sum(CASE WHEN sampled THEN n END) FROM agg_bookings"
    ).fetchone()
    assert abs(s / n - half.sample_fraction) < 0.12


def test_scope_round_trips_and_dialects_differ_only_in_spelling() -> None:
    scope = BookingScope(dt.datetime(2025, 5, 1, 9, 30), 0.25, ("age_group",), 7)
    assert scope_from_dict(scope_to_dict(scope)) == scope
    cfg = EstimateConfig()
    d_sql = aggregate_sql(DUCKDB, "agg_bookings", cfg, scope)
    s_sql = aggregate_sql(SPARK, "agg_bookings", cfg, scope)
    assert "isodow" in d_sql and "dayofweek" in s_sql and "`age_group`" in s_sql
    assert extra_candidates(
        [("age_group", "VARCHAR"), ("clinic_id", "VARCHAR"), ("x", "DOUBLE")]
    ) == ["age_group"]


def test_history_aggregates_match_pandas(con) -> None:
    """Known fields and statuses, day times (5-minute bins) and doctors per hour."""
    compute_aggregates(con, EstimateConfig(seed=5))
    a = con.execute("SELECT * FROM attendances").df()
    got = con.execute(
        "SELECT polyclinic_id, visit_type, n, booking_ts, appointment_ts, arrival_ts, "
        "consult_end_ts, doctor_id, attended, no_show, cancelled, walk_in "
        "FROM agg_history_fields ORDER BY ALL"
    ).fetchall()
    for pc, vt, n, bk, ap, ar, ce, doc, att, ns, ca, wi in got:
        g = a[(a["polyclinic_id"] == pc) & (a["visit_type"] == vt)]
        assert (n, bk, ap, ar, doc) == (
            len(g), g["booking_ts"].notna().sum(), g["appointment_ts"].notna().sum(),
            g["arrival_ts"].notna().sum(), g["doctor_id"].notna().sum(),
        )  # fmt: skip
        assert ce == 0  # the table has no consult_end_ts column: unknown
        assert [att, ns, ca, wi] == [
            int((g["status"] == s).sum()) for s in ("attended", "no_show", "cancelled", "walk_in")
        ]
    when = a["appointment_ts"].fillna(a["arrival_ts"]).fillna(a["consult_start_ts"])
    t = a.assign(d=when.dt.normalize(), m=(when.dt.hour * 60 + when.dt.minute) // 5 * 5)
    t = t.assign(b=t["status"].isin(["attended", "no_show", "cancelled"]))
    want = t.groupby(["polyclinic_id", "d", "m"]).agg(n=("b", "size"), booked=("b", "sum"))
    rows = con.execute("SELECT polyclinic_id, d, m, n, booked FROM agg_day_times").df()
    rows["d"] = pd.to_datetime(rows["d"])
    rows = rows.set_index(["polyclinic_id", "d", "m"]).sort_index()
    assert rows["n"].tolist() == want["n"].tolist()
    assert rows["booked"].tolist() == want["booked"].tolist()


def test_doctors_without_doctor_ids_are_busy_hours() -> None:
    """Without doctor ids: the consulting minutes started in the hour / 60, rounded (five
    consultations of one physician in an hour are one doctor, not five)."""
    start = pd.Timestamp("2025-03-03 08:00")
    rows = [
        {"attendance_id": str(i), "polyclinic_id": "P", "visit_type": "v",
         "consult_start_ts": start + pd.Timedelta(minutes=12 * i),
         "consultation_duration_minutes": 12.0 if i < 10 else 46.0, "doctor_id": None,
         "status": "attended"}
        for i in range(12)
    ]  # fmt: skip
    c = duckdb.connect()
    c.register("_a", pd.DataFrame(rows))
    c.execute("CREATE TABLE attendances AS SELECT * FROM _a")
    sql = aggregate_sql(DUCKDB, "agg_consult_doctors", EstimateConfig())
    got = c.execute(f"SELECT hour, k FROM ({sql}) ORDER BY 1").fetchall()
    # 08h: 5 x 12 min = 60 -> 1; 09h: 5 x 12 = 60 -> 1; 10h: 46 + 46 = 92 -> 2 (1.53)
    assert got == [(8, 1), (9, 1), (10, 2)]
