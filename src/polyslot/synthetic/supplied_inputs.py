"""The optional tables another team would deliver: supplied demand forecast and no-show predictions.

* ``demand_forecast``: for every open day, polyclinic and visit type, ``expected_requests`` is
  the true mean times a lognormal error (sd 0.1 on the log scale, mean-one), and
  ``lower``/``upper`` are the 10% and 90% quantiles of the negative binomial with that mean
  and the true dispersion.  Noisy but honest.
* ``no_show_predictions``: for every booked appointment (cancelled ones included), the mean true
  no-show probability of its cell (visit type x lead-time band x age group).  Cell means of
  the truth are calibrated by construction but miss the lead-time detail within a band and
  the patient's no-show history, so they are noisier than the truth.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from polyslot.synthetic import parameters as P

__all__ = ["demand_forecast", "no_show_predictions", "LEAD_BANDS", "FORECAST_LOG_SD"]

FORECAST_LOG_SD = 0.10
FORECAST_LEVELS = (0.10, 0.90)
LEAD_BANDS = (0.0, 1.0, 3.0, 8.0, 15.0, 29.0, np.inf)


def demand_forecast(
    rng: np.random.Generator,
    polyclinic_id: str,
    open_days: list[date],
    daily_mean: dict[str, list[float]],
) -> pd.DataFrame:
    """Supplied demand forecast rows.

    Columns polyclinic_id, date, visit_type, expected_requests, lower, upper.
    """
    season = P.seasonal_factor(open_days) if open_days else np.zeros(0)
    wd = np.array([d.weekday() for d in open_days], dtype=np.int64)
    frames = []
    for v in P.VISIT_TYPES:
        m = np.asarray(daily_mean[v.name], dtype=float)[wd] * season
        err = rng.normal(-(FORECAST_LOG_SD**2) / 2, FORECAST_LOG_SD, size=m.size)
        f = m * np.exp(err)
        k = P.DISPERSION
        prob = k / (k + np.maximum(f, 1e-9))
        frames.append(
            pd.DataFrame(
                {
                    "polyclinic_id": polyclinic_id,
                    "date": list(open_days),
                    "visit_type": v.name,
                    "expected_requests": np.round(f, 3),
                    "lower": stats.nbinom.ppf(FORECAST_LEVELS[0], k, prob).astype(float),
                    "upper": stats.nbinom.ppf(FORECAST_LEVELS[1], k, prob).astype(float),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["date", "visit_type"], kind="stable").reset_index(drop=True)


def no_show_predictions(attendances: pd.DataFrame, true_p: np.ndarray) -> pd.DataFrame:
    """Supplied no-show predictions (attendance_id, probability) of every booked appointment."""
    booked = attendances["appointment_ts"].notna().to_numpy()
    a = attendances.loc[booked, ["attendance_id", "visit_type", "age_group"]].copy()
    lead = (
        attendances.loc[booked, "appointment_ts"] - attendances.loc[booked, "booking_ts"]
    ).dt.total_seconds() / 86400.0
    a["band"] = np.searchsorted(np.array(LEAD_BANDS), lead.to_numpy(), side="right")
    a["p"] = np.asarray(true_p)[booked]
    a["probability"] = a.groupby(["visit_type", "band", "age_group"])["p"].transform("mean")
    return pd.DataFrame(
        {
            "attendance_id": a["attendance_id"].to_numpy(),
            "probability": np.round(a["probability"].to_numpy(float), 5),
        }
    )
