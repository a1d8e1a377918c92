"""Demand estimation on histories of any length: the backtest takes the terms of its own
training days (regression: a 305-day history crashed with ``matmul ... size 8 is different
from 6``), and a weekday whose every day is censored keeps a finite demand."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from _estimate_fixtures import write_store  # noqa: E402

from polyslot.estimate import EstimateConfig, estimate_network  # noqa: E402
from polyslot.estimate.demand import MIN_SEASONAL_DAYS, fit_series  # noqa: E402
from polyslot.estimate.demand_model import Terms  # noqa: E402
from polyslot.synthetic import generate_network  # noqa: E402

CFG = EstimateConfig(backtest_origins=3, horizon_days=5)
#: mean requests per weekday (Mon..Fri) of the series below
MEANS = np.array([30.0, 22.0, 20.0, 25.0, 18.0])


def series(days: int, seed: int = 3, first: dt.date = dt.date(2025, 1, 6)) -> pd.DataFrame:
    """Open days Mon-Fri of ``days`` calendar days, NB2 requests (size 20)."""
    rng = np.random.default_rng(seed)
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    dates = [d for d in dates if d.weekday() < 5]
    wd = np.array([d.weekday() for d in dates], int)
    mu = MEANS[wd]
    y = rng.negative_binomial(20.0, 20.0 / (20.0 + mu)).astype(float)
    return pd.DataFrame(
        {
            "visit_type": "acute",
            "d": pd.to_datetime(dates),
            "y": y,
            "weekday": wd,
            "doy": [d.timetuple().tm_yday for d in dates],
        }
    )


def _check(s: pd.DataFrame, rates, row) -> None:
    assert sorted(r.weekday for r in rates) == sorted(set(s["weekday"]))
    for r in rates:
        assert np.isfinite(r.mean) and np.isfinite(r.variance) and r.variance >= r.mean * 0.999
        assert r.lower <= r.mean <= r.upper
    origins_possible = len(s) >= CFG.horizon_days * CFG.backtest_origins + 28
    assert (row.get("mase") is not None) == origins_possible, row
    if row.get("model", "").endswith("shorter than a season)"):
        # weekday levels only: the NB2 score equations make each level its weekday's mean
        for r in rates:
            own = s.loc[s["weekday"] == r.weekday, "y"].mean()
            assert r.mean == pytest.approx(own, rel=2e-3)


@pytest.mark.parametrize("days", [*range(1, 60, 4), 90, 180, 299, 300, 305, 310, 320, 364, 420])
def test_every_length_fits_and_backtests(days: int) -> None:
    s = series(days)
    inf = np.full(len(s), np.inf)
    rates, row = fit_series(s, inf, inf, CFG)
    _check(s, rates, row)
    span = (s["d"].max() - s["d"].min()).days
    assert ("yearly Fourier" in row["model"]) == (span >= MIN_SEASONAL_DAYS and not row["sparse"])


@settings(max_examples=25, deadline=None)
@given(
    days=st.integers(min_value=1, max_value=450),
    seed=st.integers(min_value=0, max_value=10_000),
    cap=st.one_of(st.none(), st.integers(min_value=15, max_value=40)),
)
def test_any_length_with_or_without_censoring(days: int, seed: int, cap: int | None) -> None:
    s = series(days, seed)
    full = np.full(len(s), np.inf if cap is None else float(cap))
    if cap is not None:
        s["y"] = np.minimum(s["y"], cap)
    rates, row = fit_series(s, full, full, CFG)
    _check(s, rates, row) if cap is None else None
    for r in rates:
        assert np.isfinite(r.mean) and r.mean < 10 * MEANS.max()


def test_terms_carry_start_values_across_spans() -> None:
    long = Terms((0, 1, 2), True)
    short = Terms((0, 2, 5), False)
    p = np.array([1.0, 2.0, 3.0, 0.1, -0.2, 4.0])
    assert short.start_from(long, p).tolist() == [1.0, 3.0, 2.0, 4.0]
    assert long.start_from(short, short.start_from(long, p)).tolist() == [1.0, 2.0, 3.0, 0, 0, 4.0]


def test_a_weekday_seen_once_and_full_keeps_its_bookings() -> None:
    """Regression: a Saturday seen on one day with 23 patients, all its slots booked, was
    planned as 150 requests a day (a single censored day has no finite likelihood maximum)."""
    s = series(120)
    sat = pd.DataFrame(
        {"visit_type": "acute", "d": pd.to_datetime(["2025-03-15"]), "y": [23.0],
         "weekday": [5], "doy": [74]}
    )  # fmt: skip
    s = pd.concat([s, sat]).sort_values("d").reset_index(drop=True)
    cap = np.where(s["weekday"] == 5, 23.0, np.inf)  # Saturday: its 23 slots all booked
    rates, row = fit_series(s, cap, cap, CFG)
    assert row["all_censored_weekdays"] == ["Sat"]
    by = {r.weekday: r.mean for r in rates}
    assert by[5] == pytest.approx(23.0, rel=2e-3)
    assert by[0] == pytest.approx(s.loc[s["weekday"] == 0, "y"].mean(), rel=2e-3)


@pytest.fixture(scope="module")
def network():
    return generate_network(1, 330, 5)


@pytest.mark.parametrize("days", [42, 305, 312])
def test_network_history_across_the_seasonal_threshold(network, days, tmp_path) -> None:
    """The crash of issue 22: the full history spans a season, a backtest origin does not."""
    a = network.attendances
    cut = pd.Timestamp("2025-01-01") + pd.Timedelta(days=days)
    when = a["appointment_ts"].fillna(a["arrival_ts"])
    path = write_store(
        tmp_path / "polyslot.duckdb",
        {"attendances": a[(when < cut) & (a["booking_ts"].fillna(when) < cut)]},
    )
    result = estimate_network(path, EstimateConfig(max_train_rows=5_000))
    rows = result.summary["demand"]["backtest"]
    long_enough = [r["days"] >= 4 * 7 + 28 for r in rows]  # 4 origins of 7 days + 4 weeks
    assert rows and [r["mase"] is not None for r in rows] == long_enough
    assert all(long_enough) == (days > 42)
    assert all(("Fourier" in r["model"]) == (days >= MIN_SEASONAL_DAYS + 3) for r in rows)
