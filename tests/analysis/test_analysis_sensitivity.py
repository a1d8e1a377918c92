"""Sensitivity sweeps: monotone responses, a shared baseline, and the break-even interpolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polyslot.analysis.sensitivity import break_even_no_show, run_sensitivity
from polyslot.config import SensitivitySettings
from polyslot.examples import example_clinic_model


@pytest.fixture(scope="module")
def sweep():
    m = example_clinic_model(doctors=1)
    settings = SensitivitySettings(reoptimise=False)
    frame, be = run_sensitivity(m, m.current_template, settings, workers=1)
    return m, frame, be


def _curve(frame: pd.DataFrame, parameter: str, col: str) -> np.ndarray:
    sub = frame[(frame.parameter == parameter) & (frame.policy == "fixed")]
    return sub.sort_values("multiplier")[col].to_numpy(float)


def test_longer_consultations_mean_longer_waits_and_busier_doctors(sweep) -> None:
    _, frame, _ = sweep
    assert np.all(np.diff(_curve(frame, "duration_mean", "wait_mean")) > 0)
    assert np.all(np.diff(_curve(frame, "duration_mean", "utilization")) > 0)
    assert np.all(np.diff(_curve(frame, "duration_cv", "wait_mean")) > 0)


def test_more_no_shows_mean_idler_doctors(sweep) -> None:
    _, frame, _ = sweep
    assert np.all(np.diff(_curve(frame, "no_show", "utilization")) < 0)
    assert np.all(np.diff(_curve(frame, "demand", "utilization")) >= 0)


def test_baseline_is_shared(sweep) -> None:
    _, frame, _ = sweep
    base = frame[frame.multiplier == 1.0]
    assert len(base) == 5
    assert base["wait_mean"].nunique() == 1 and base["utilization"].nunique() == 1


def test_no_overbooking_means_no_break_even(sweep) -> None:
    _, _, be = sweep
    assert np.isnan(be["no_show_rate_overbooking_stops_paying"])


def test_break_even_interpolation() -> None:
    frame = pd.DataFrame(
        {
            "parameter": ["no_show"] * 3,
            "policy": ["fixed"] * 3,
            "multiplier": [0.5, 1.0, 2.0],
            "objective_gain_overbooking": [-3.0, -1.0, 3.0],
        }
    )
    # gain crosses zero a quarter of the way from 1.0 to 2.0 -> multiplier 1.25, rate 0.1 x 1.25
    assert break_even_no_show(frame, 0.1) == pytest.approx(0.125)
