"""Rolling-origin backtest of the demand forecaster against seasonal-naive (MASE).

``backtest_origins`` origins, each refitting on the open days before it and forecasting the
next ``horizon_days`` open days; the forecast of bookings is ``E[min(D, capacity)]``.
Seasonal-naive forecasts the bookings of the same weekday one week earlier. Both mean absolute
errors are divided by the in-sample MAE of seasonal-naive on the training days (MASE).

Each origin's fit takes the terms of its own training days
(:class:`~polyslot.estimate.demand_model.Terms`): the yearly pair only when they span a
season, a level only for the weekdays they hold. A forecast day of a weekday the training
days do not hold has no forecast from either method and is left out of both errors; an
origin whose training days give no seasonal-naive scale (no weekday seen twice, or every
repeat equal) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.demand_model import Terms, expected_bookings

__all__ = ["backtest"]

#: ``fit(train, cap, full, start=(terms, params)) -> (result, terms)`` of the forecaster.
Fit = Callable[..., tuple[Any, Terms]]


def _naive_scale(y: np.ndarray, wd: np.ndarray) -> float:
    prev: dict[int, float] = {}
    d = []
    for t in range(len(y)):
        if wd[t] in prev:
            d.append(abs(y[t] - prev[wd[t]]))
        prev[wd[t]] = y[t]
    return float(np.mean(d)) if d else 0.0


def backtest(
    s: pd.DataFrame,
    cap: np.ndarray,
    full: np.ndarray,
    fit: Fit,
    start: tuple[Terms, np.ndarray],
    config: EstimateConfig,
) -> dict:
    """``{"mase", "mase_seasonal_naive"}`` of series ``s`` (None, with a ``note``, when the
    series is too short or no origin can be scored)."""
    h, k = config.horizon_days, config.backtest_origins
    n = len(s)
    if n < h * k + 28:
        return {"mase": None, "mase_seasonal_naive": None, "note": "series too short"}
    y = s["y"].to_numpy(float)
    wd = s["weekday"].to_numpy()
    err_m, err_n = [], []
    for j in range(k, 0, -1):
        o = n - j * h
        scale = _naive_scale(y[:o], wd[:o])
        if not scale > 0:
            continue
        res, terms = fit(s.iloc[:o], cap[:o], full[:o], start=start)
        test = s.iloc[o : o + h]
        seen = np.isin(test["weekday"].to_numpy(), terms.weekdays)
        if not seen.any():
            continue
        test = test[seen]
        mu = np.exp(
            terms.design(test["weekday"].to_numpy(), test["doy"].to_numpy(float)) @ res.params[:-1]
        )
        c = cap[o : o + h][seen]
        pred = expected_bookings(
            mu, math.exp(res.params[-1]), np.where(np.isfinite(c), np.round(c), 10 * mu.max() + 100)
        )
        last: dict[int, float] = {}
        for t in range(o):
            last[wd[t]] = y[t]
        naive = np.array([last[w] for w in test["weekday"].to_numpy()])
        actual = y[o : o + h][seen]
        err_m.append(np.mean(np.abs(actual - pred)) / scale)
        err_n.append(np.mean(np.abs(actual - naive)) / scale)
    if not err_m:
        return {"mase": None, "mase_seasonal_naive": None, "note": "no origin could be scored"}
    return {
        "mase": round(float(np.mean(err_m)), 4),
        "mase_seasonal_naive": round(float(np.mean(err_n)), 4),
    }
