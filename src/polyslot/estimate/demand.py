"""Demand: expected appointment requests per polyclinic x visit type x weekday.

Definition: the requests of a day are the booked appointments for that day (attended, no-show
and cancelled, counted by appointment date); walk-ins are reported separately. Days the
polyclinic was closed (no booked appointment of any type) are left out. A booked count that
reached the day's capacity (the current template's slots of that visit type and weekday; on
a day with fewer doctors than usual, scaled by the day's rostered doctor-minutes relative to
the weekday's median and rounded down, since which doctor is absent is unknown) is treated as
right-censored, see :mod:`polyslot.estimate.demand_model`.

The fitted daily mean averaged over a whole year gives ``DemandRate.mean`` for each weekday;
``variance`` is the NB2 day-to-day variance plus the seasonal spread of the mean, and the
interval is the central ``interval_level`` range of a negative binomial with that mean and
variance. A rolling-origin backtest (``backtest_origins`` origins, ``horizon_days`` open days
each) compares forecast bookings ``E[min(D, capacity)]`` with seasonal-naive (same weekday one
week earlier) by MASE, scaled by the in-sample seasonal-naive error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from polyslot.clinic_model import DemandRate
from polyslot.data.store import Connection, has_table, table_columns
from polyslot.estimate.aggregates import exact_sql
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.demand_backtest import backtest
from polyslot.estimate.demand_model import MIN_SEASONAL_DAYS, CensoredNegBin, Terms
from polyslot.estimate.staffing import MINUTE_SQL
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS, SlotTemplate

__all__ = [
    "MIN_SEASONAL_DAYS",
    "daily_series",
    "estimate_demand",
    "fit_series",
    "supplied_demand",
    "nb_interval",
]


def daily_series(con: Connection) -> pd.DataFrame:
    """Booked appointments per polyclinic x visit type x open day (zeros filled), with the
    day's rostered doctor-minutes (``docmin``, NaN without roster)."""
    roster = (
        f"""SELECT polyclinic_id, date AS d,
                   sum(doctors * ({MINUTE_SQL("end_time")} - {MINUTE_SQL("start_time")})) AS docmin
            FROM roster GROUP BY ALL"""
        if has_table(con, "roster")
        else "SELECT NULL::VARCHAR AS polyclinic_id, NULL::DATE AS d, NULL::DOUBLE AS docmin"
    )
    return con.execute(
        f"""
        WITH b AS (SELECT polyclinic_id, visit_type, d, y FROM agg_daily),
        days AS (SELECT DISTINCT polyclinic_id, d FROM b),
        vts AS (SELECT DISTINCT polyclinic_id, visit_type FROM b),
        r AS ({roster})
        SELECT days.polyclinic_id, vts.visit_type, days.d, coalesce(b.y, 0) AS y,
               isodow(days.d) - 1 AS weekday, dayofyear(days.d) AS doy, r.docmin
        FROM days JOIN vts USING (polyclinic_id)
        LEFT JOIN b USING (polyclinic_id, visit_type, d)
        LEFT JOIN r USING (polyclinic_id, d)
        ORDER BY 1, 2, 3
        """
    ).df()


def nb_interval(mean: float, variance: float, level: float) -> tuple[float, float]:
    """Central interval of a negative binomial (Poisson when not overdispersed)."""
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    if mean <= 0:
        return 0.0, 0.0
    if variance <= mean * (1 + 1e-9):
        dist = stats.poisson(mean)
    else:
        r = mean * mean / (variance - mean)
        dist = stats.nbinom(r, r / (r + mean))
    return float(dist.ppf(lo_q)), float(dist.ppf(hi_q))


def _slot_counts(template: SlotTemplate | None) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    slots = template.slots if template is not None else ()
    types = {s.visit_type for s in slots} - {ANY_VISIT_TYPE}
    for s in slots:
        # an unreserved slot can hold a request of any visit type: it adds to each one's capacity
        for vt in types if s.visit_type == ANY_VISIT_TYPE else (s.visit_type,):
            out[(vt, s.weekday)] = out.get((vt, s.weekday), 0) + 1
    return out


def _capacity(
    series: pd.DataFrame, counts: dict[tuple[str, int], int] | None, vt: str, scale: bool = True
) -> np.ndarray:
    if counts is None:
        return np.full(len(series), np.inf)
    counts = pd.Series({w: c for (v, w), c in counts.items() if v == vt}, dtype=float)
    cap = series["weekday"].map(counts).fillna(0).to_numpy(float)
    docmin = series["docmin"].to_numpy(float)
    if scale and np.isfinite(docmin).any():
        usual = series.groupby("weekday")["docmin"].transform("median").to_numpy(float)
        ratio = np.where(np.isfinite(docmin) & (usual > 0), np.minimum(docmin / usual, 1), 1)
        cap = cap * ratio
    return cap


def _censored(y: np.ndarray, cap: np.ndarray, full_cap: np.ndarray) -> np.ndarray:
    """Days whose bookings reached the capacity.

    With the usual doctors on duty the capacity is the template's slots exactly: the day is
    censored only when every slot was booked (``y >= full_cap``). On a day with fewer doctors
    than usual the absent doctors' slots are unknown: the capacity is the template's slots
    scaled by the rostered doctor-minutes, rounded down. Any slack below these flags days that
    were not full as censored and biases the demand upwards: on the synthetic sample (1 year,
    seed 11) the former rule (``y >= cap - max(1, full_cap - cap)``) overestimated a congested
    clinic's demand by up to 3.6% and an overloaded one's by 7-24%; one slot of slack on the
    short days still by 6%; this rule stays within 3.6% for every visit type.
    """
    short = cap < full_cap - 1e-9
    return (cap > 0) & np.where(short, y >= np.floor(cap), y >= full_cap)


def _span(s: pd.DataFrame) -> int:
    d = pd.to_datetime(s["d"])
    return int((d.max() - d.min()).days) if len(d) else 0


def _fit(
    s: pd.DataFrame,
    cap: np.ndarray,
    full: np.ndarray,
    start: tuple[Terms, np.ndarray] | None = None,
) -> tuple[Any, Terms]:
    """Fit the censored NB2 with the terms of the days of ``s`` (:class:`Terms`: the yearly
    pair only on a span of at least ``MIN_SEASONAL_DAYS``, on a few weeks it is not
    identified and its yearly average explodes). A weekday whose every day is censored has no
    finite maximum likelihood (any larger mean fits better): its days count as exact (the
    bookings are a lower bound of its demand)."""
    terms = Terms.of(s["weekday"].to_numpy(), _span(s))
    y = s["y"].to_numpy(float)
    censored = _censored(y, cap, full) & ~_all_censored(s, cap, full)
    x = terms.design(s["weekday"].to_numpy(), s["doy"].to_numpy(float))
    p0 = None if start is None else terms.start_from(*start)
    return CensoredNegBin(y, x, censored).fit(start_params=p0), terms


def _all_censored(s: pd.DataFrame, cap: np.ndarray, full: np.ndarray) -> np.ndarray:
    """Rows of the weekdays on which every day's bookings reached the capacity."""
    c = pd.Series(_censored(s["y"].to_numpy(float), cap, full), index=s.index)
    every = c.groupby(s["weekday"]).transform("all")
    return every.to_numpy(bool)


def fit_series(
    s: pd.DataFrame, cap: np.ndarray, full: np.ndarray, config: EstimateConfig
) -> tuple[list[DemandRate], dict]:
    """Demand of one polyclinic x visit type from its daily series ``s`` (columns ``d``,
    ``y``, ``weekday``, ``doy``; one row per open day in date order) with the day's capacity
    ``cap`` and the template's ``full`` capacity (``inf`` = uncensored): a
    :class:`DemandRate` per weekday of ``s`` and the summary row (model, dispersion, censored
    days, backtest)."""
    s = s.reset_index(drop=True)
    weekdays = sorted(int(w) for w in s["weekday"].unique())
    row: dict[str, Any] = {"days": len(s)}
    out: list[DemandRate] = []
    vt = str(s["visit_type"].iloc[0]) if "visit_type" in s and len(s) else ""
    if len(s) < 3 * len(weekdays) or s["y"].sum() == 0:
        for w in weekdays:
            ys = s.loc[s["weekday"] == w, "y"].to_numpy(float)
            m, v = float(ys.mean()), float(ys.var()) if len(ys) > 1 else float(ys.mean())
            lo, hi = nb_interval(m, max(v, m), config.interval_level)
            out.append(DemandRate(vt, w, m, max(v, m), lo, hi, config.interval_level))
        row.update(model="weekday mean (sparse)", sparse=True)
        return out, row
    res, terms = _fit(s, cap, full)
    r = math.exp(float(res.params[-1]))
    doy = np.arange(1, 366, dtype=float)
    for w in weekdays:
        mu = np.exp(terms.design(np.full(doy.size, w), doy) @ res.params[:-1])
        m = float(mu.mean())
        var = float(np.mean(mu + mu * mu / r) + mu.var())
        lo, hi = nb_interval(m, var, config.interval_level)
        out.append(DemandRate(vt, w, m, var, lo, hi, config.interval_level))
    y = s["y"].to_numpy(float)
    every = _all_censored(s, cap, full)
    row.update(
        model="censored NB2 GLM (weekday"
        + (" + yearly Fourier)" if terms.seasonal else "; history shorter than a season)"),
        sparse=False,
        dispersion=round(r, 3),
        censored_days=int((_censored(y, cap, full) & ~every).sum()),
    )
    if every.any():
        row["all_censored_weekdays"] = [
            WEEKDAYS[w] for w in sorted({int(w) for w in s.loc[every, "weekday"]})
        ]
    row.update(backtest(s, cap, full, _fit, (terms, np.asarray(res.params)), config))
    if row.get("mase") is not None:
        row["beats_seasonal_naive"] = bool(row["mase"] < row["mase_seasonal_naive"])
    return out, row


def estimate_demand(
    con: Connection,
    templates: dict[str, SlotTemplate],
    config: EstimateConfig,
    unplanned: dict[str, set[int]] | None = None,
) -> tuple[dict[str, list[DemandRate]], list[dict]]:
    """``({polyclinic: [DemandRate]}, backtest_rows)`` from the built-in forecaster.

    ``templates`` give the capacity of censored days (only templates whose slots are a real
    booking grid: given, or inferred from appointment times); ``unplanned`` the weekdays of
    each polyclinic left out (too few sessions in the history to plan them).
    """
    series = daily_series(con)
    skip = unplanned or {}
    if skip and len(series):
        drop = [
            int(w) in skip.get(pc, ())
            for pc, w in zip(series["polyclinic_id"], series["weekday"], strict=True)
        ]
        series = series[~np.asarray(drop, bool)]
    out: dict[str, list[DemandRate]] = {}
    rows: list[dict] = []
    slot_counts = {pc: _slot_counts(t) for pc, t in templates.items()}
    for (pc, vt), s in series.groupby(["polyclinic_id", "visit_type"], sort=True):
        s = s.reset_index(drop=True)
        cap = _capacity(s, slot_counts.get(pc), vt)
        full = _capacity(s, slot_counts.get(pc), vt, scale=False)
        rates, row = fit_series(s, cap, full, config)
        out.setdefault(pc, []).extend(rates)
        rows.append({"polyclinic_id": pc, "visit_type": vt, **row})
    return out, rows


def supplied_demand(con: Connection, level: float) -> dict[str, list[DemandRate]]:
    """Demand per weekday from DEMAND_FORECAST: mean of ``expected_requests``; variance from
    the quantile band (read as a ``level`` interval of a normal) or, without it, the mean
    (Poisson), plus the spread of the expected values across dates."""
    cols = set(table_columns(con, "demand_forecast"))
    lo = "lower" if "lower" in cols else "NULL"
    hi = "upper" if "upper" in cols else "NULL"
    z = float(stats.norm.ppf((1 + level) / 2))
    x = exact_sql("expected_requests")  # exact sums: the same bits whatever the thread order
    rows = con.execute(
        f"""SELECT polyclinic_id, visit_type, isodow(date) - 1 AS wd,
                   avg({x}),
                   greatest(avg({exact_sql("expected_requests * expected_requests")})
                            - power(avg({x}), 2), 0),
                   avg({exact_sql(f"power(({hi} - {lo}) / {2 * z}, 2)")}),
                   avg({exact_sql(lo)}), avg({exact_sql(hi)})
            FROM demand_forecast GROUP BY ALL ORDER BY 1, 2, 3"""
    ).fetchall()
    out: dict[str, list[DemandRate]] = {}
    for pc, vt, wd, m, spread, qvar, qlo, qhi in rows:
        var = float((qvar if qvar is not None else m) + spread)
        lo_, hi_ = (qlo, qhi) if qlo is not None else nb_interval(m, max(var, m), level)
        out.setdefault(pc, []).append(
            DemandRate(str(vt), int(wd), float(m), var, float(lo_), float(hi_), level)
        )
    return out
