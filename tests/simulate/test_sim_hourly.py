"""Hourly profile: a hand-worked day, and conservation identities on real simulated days."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from polyslot.day import build_day
from polyslot.errors import InputError
from polyslot.examples import example_clinic_model
from polyslot.kpi_records import HOURLY_COLUMNS
from polyslot.simulate.hourly import hourly_profile


def test_hand_worked_day():
    # appointment 09:00, arrives 08:50, seen 09:10-09:30; a no-show; walk-in 10:05 seen 10:05-10:20
    rec = pd.DataFrame(
        {
            "appointment": [540.0, 600.0, np.nan],
            "arrival": [530.0, np.nan, 605.0],
            "start": [550.0, np.nan, 605.0],
            "end": [570.0, np.nan, 620.0],
            "wait": [20.0, np.nan, 0.0],
            "seen": [True, False, True],
        }
    )
    out = hourly_profile(
        rec, scenario="current", weekday=2, doctors_by_hour={8: 1, 9: 1, 10: 2, 11: 0}
    )
    assert list(out.columns) == list(HOURLY_COLUMNS)
    assert out["hour"].tolist() == [8, 9, 10]
    assert math.isnan(out["wait_mean"][0]) and out["wait_mean"][1] == 20.0
    assert out["wait_mean"][2] == 0.0
    assert out["queue_length"].tolist() == pytest.approx([10 / 60, 10 / 60, 0.0])
    assert out["utilization"].tolist() == pytest.approx([0.0, 20 / 60, 15 / 120])


def test_missing_column_is_named():
    with pytest.raises(InputError, match="missing columns.*seen"):
        hourly_profile(
            {"appointment": [], "arrival": [], "start": [], "end": [], "wait": []},
            scenario="current",
            weekday=0,
            doctors_by_hour={8: 1},
        )


def test_identities_on_simulated_days():
    """Queue minutes sum to total wait; busy minutes sum to consultation time (all days)."""
    clinic = pytest.importorskip("polyslot.simulate.clinic")
    dayplan = pytest.importorskip("polyslot.simulate.dayplan")
    model = example_clinic_model(doctors=2)
    frames = []
    for r in range(4):
        day = build_day(model, model.current_template, 1)
        plan = dayplan.sample_day(day, np.random.default_rng(r))
        frames.append(pd.DataFrame(clinic.simulate_day(plan).records))
    rec = pd.concat(frames, ignore_index=True)
    hours = range(6, 22)
    doctors = {h: model.doctors_on_duty(1, h) for h in hours}
    out = hourly_profile(
        rec, scenario="current", weekday=1, doctors_by_hour=doctors, hours=hours, n_days=4
    )
    seen = rec[rec["seen"].astype(bool)]
    assert (out["queue_length"] * 60).sum() == pytest.approx(seen["wait"].sum() / 4)
    on_duty = out[out["hour"].map(doctors) > 0]
    busy = (on_duty["utilization"] * on_duty["hour"].map(doctors) * 60).sum()
    off = out[out["hour"].map(doctors) == 0]
    assert off["utilization"].isna().all()
    assert busy <= (seen["end"] - seen["start"]).sum() / 4 + 1e-6
    assert (on_duty["utilization"] >= 0).all()
    weighted = np.nansum(
        [
            out["wait_mean"][i]
            * ((np.floor(seen["appointment"].fillna(seen["arrival"]) / 60) == h).sum())
            for i, h in enumerate(out["hour"])
        ]
    )
    assert weighted == pytest.approx(seen["wait"].sum())
