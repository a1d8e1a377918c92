"""Invariants of the generator on small random instances (any seed, start, length)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.synthetic import generate_network


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    offset=st.integers(0, 400),
    days=st.integers(1, 9),
)
def test_invariants_hold_for_any_small_network(seed: int, offset: int, days: int) -> None:
    start = date(2025, 1, 1) + timedelta(days=offset)
    net = generate_network(1, days, seed, start=start)
    a = net.attendances
    assert a["attendance_id"].is_unique
    dates = set(a["appointment_ts"].dropna().dt.date) | set(a["arrival_ts"].dropna().dt.date)
    span = {start + timedelta(i) for i in range(days)}
    assert dates <= span
    assert dates <= set(net.roster["date"])  # nobody comes on a closed day
    seen = a[a["consult_start_ts"].notna()]
    assert (seen["consult_start_ts"] >= seen["arrival_ts"]).all()
    span_min = (seen["consult_end_ts"] - seen["consult_start_ts"]).dt.total_seconds() / 60
    np.testing.assert_allclose(span_min, seen["consultation_duration_minutes"], atol=1e-9)
    assert (a.loc[a["status"] == "walk_in", "appointment_ts"].isna()).all()
    assert len(net.no_show_predictions) == int(a["appointment_ts"].notna().sum())
    info = net.truth["polyclinics"]["PC01"]
    booked = a[a["appointment_ts"].notna()]["visit_type"].value_counts()
    for v, req in info["requests"].items():
        assert int(booked.get(v, 0)) + info["lost_requests"][v] == req
