"""Tidy KPI records: the common format of evaluator, simulator and replay KPIs.

The tables of a :class:`~polyslot.results.PolyclinicResult` are pandas DataFrames whose columns
are fixed here (``*_COLUMNS``), so the producers (evaluator, simulator, replay, sensitivity) and
the consumers (comparison, report) agree on one format; :func:`aggregate_kpis` combines rows
across weekdays or polyclinics.

KPI units (the ``kpi`` column of :data:`KPI_COLUMNS`)
-----------------------------------------------------
``wait_mean``, ``wait_p90``
    minutes per patient seen;
``utilization``
    busy doctor-minutes / available doctor-minutes (a fraction);
``overtime``, ``idle``
    doctor-minutes, summed over the doctor sessions of the day (of the week for ``weekday=-1``);
``patients_served``, ``unmet_demand``
    patients per day (per average week for ``weekday=-1``);
``capacity_minutes``
    available doctor-minutes (the weight of ``utilization`` when aggregating).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from polyslot.errors import InputError

__all__ = [
    "SCENARIOS",
    "SOURCES",
    "SOURCE_PREFERENCE",
    "KPI_NAMES",
    "KPI_COLUMNS",
    "WEEK",
    "KPI_ALIASES",
    "SessionKPI",
    "session_kpis_frame",
    "kpi_rows",
    "kpi_row",
    "kpi_rows_from_days",
    "HOURLY_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "ENVELOPE_COLUMNS",
    "ADDITIVE_KPIS",
    "WEIGHTED_KPIS",
    "aggregate_kpis",
]

#: The two templates every KPI is reported for.
SCENARIOS = ("current", "recommended")
#: Where a KPI comes from: the planning model (the one clinic-day model's fast evaluator),
#: the SimPy simulator (the same days, the independent check), historical replay; ``evaluator``
#: (the exact single-session evaluator) for records built outside the pipeline.
SOURCES = ("model", "simulator", "replay", "evaluator")
#: Order in which a source is preferred when a KPI is reported by several (summary.json uses
#: the planning model when present).
SOURCE_PREFERENCE = ("model", "simulator", "evaluator", "replay")
#: Known KPI names (others are allowed and carried along).
KPI_NAMES = (
    "wait_mean",
    "wait_p90",
    "utilization",
    "overtime",
    "idle",
    "patients_served",
    "unmet_demand",
    "capacity_minutes",
)
#: ``weekday`` value of a whole-week row.
WEEK = -1

#: Per-scenario KPIs with 95% CI (``ci_low``/``ci_high`` equal ``mean`` when exact).
KPI_COLUMNS = ("scenario", "source", "weekday", "kpi", "mean", "ci_low", "ci_high", "n")
#: Per weekday x hour profile of one scenario.
HOURLY_COLUMNS = ("scenario", "weekday", "hour", "wait_mean", "queue_length", "utilization")
#: One row per sensitivity scenario: ``multiplier`` scales the parameter (1.0 = as estimated);
#: ``policy`` is ``fixed`` (recommended template held fixed) or ``reoptimised``.
SENSITIVITY_COLUMNS = ("parameter", "multiplier", "policy", "wait_mean", "utilization")
#: Booking envelope of a typical session: ``minute`` after session start, one line per
#: ``series`` (e.g. remaining-work mean / p90, running idle time).
ENVELOPE_COLUMNS = ("minute", "series", "value")


@dataclass(frozen=True)
class SessionKPI:
    """KPIs of one doctor session of one scenario (a tidy record; evaluator and simulator alike).

    Parameters
    ----------
    scenario : str
        ``current`` or ``recommended``.
    source : str
        ``evaluator``, ``simulator`` or ``replay``.
    weekday : int
        0 = Monday ... 6 = Sunday.
    doctor_session : str
    wait_mean, wait_p90 : float
        Minutes per patient seen.
    idle, overtime : float
        Doctor-minutes in this session.
    utilization : float
        Busy / available minutes of the session.
    patients_served : float
        Expected patients seen in the session.
    capacity_minutes : float
        Available doctor-minutes of the session.
    unmet_demand : float
        Expected requests of the session's day that found no slot (0 when not modelled).
    """

    scenario: str
    source: str
    weekday: int
    doctor_session: str
    wait_mean: float
    wait_p90: float
    idle: float
    overtime: float
    utilization: float
    patients_served: float
    capacity_minutes: float
    unmet_demand: float = 0.0

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise InputError(f"must be one of {SCENARIOS}", field="scenario", value=self.scenario)
        if self.source not in SOURCES:
            raise InputError(f"must be one of {SOURCES}", field="source", value=self.source)
        if not 0 <= int(self.weekday) <= 6:
            raise InputError("must be 0..6", field="weekday", value=self.weekday)
        if self.capacity_minutes <= 0:
            raise InputError("must be > 0", field="capacity_minutes", value=self.capacity_minutes)


def session_kpis_frame(records: Iterable[SessionKPI]) -> pd.DataFrame:
    """Aggregate session records into KPI rows (:data:`KPI_COLUMNS`) per weekday and week.

    Additive KPIs (overtime, idle, patients served, unmet demand, capacity) are summed; waits are
    weighted by patients served; utilisation by capacity. CIs equal the mean (exact values).
    """
    frame = pd.DataFrame([asdict(r) for r in records])
    if frame.empty:
        return pd.DataFrame(columns=list(KPI_COLUMNS))
    rows: list[dict[str, Any]] = []
    for (scenario, source), grp in frame.groupby(["scenario", "source"], sort=True):
        for weekday, sub in [*grp.groupby("weekday", sort=True), (WEEK, grp)]:
            served = sub["patients_served"].to_numpy(float)
            cap = sub["capacity_minutes"].to_numpy(float)
            values = {
                "wait_mean": _wavg(sub["wait_mean"], served),
                "wait_p90": _wavg(sub["wait_p90"], served),
                "utilization": _wavg(sub["utilization"], cap),
                "overtime": float(sub["overtime"].sum()),
                "idle": float(sub["idle"].sum()),
                "patients_served": float(served.sum()),
                "unmet_demand": float(sub["unmet_demand"].sum()),
                "capacity_minutes": float(cap.sum()),
            }
            for kpi, v in values.items():
                rows.append(
                    {
                        "scenario": scenario,
                        "source": source,
                        "weekday": int(weekday),
                        "kpi": kpi,
                        "mean": v,
                        "ci_low": v,
                        "ci_high": v,
                        "n": len(sub),
                    }
                )
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


#: Names the simulator / evaluator use for the KPIs of :data:`KPI_NAMES`, in order of preference
#: (the first name present in a summary wins).
KPI_ALIASES: dict[str, tuple[str, ...]] = {
    "wait_mean": ("wait_mean",),
    "wait_p90": ("wait_p90",),
    "utilization": ("utilization",),
    "overtime": ("overtime", "doctor_overtime", "overtime_mean"),
    "idle": ("idle", "idle_mean"),
    "patients_served": ("patients_served", "patients_seen"),
    "unmet_demand": ("unmet_demand",),
    "capacity_minutes": ("capacity_minutes", "duty_minutes"),
}


def kpi_rows(
    summary: Mapping[str, Any], *, scenario: str, source: str, weekday: int, n: int | None = None
) -> pd.DataFrame:
    """KPI rows (:data:`KPI_COLUMNS`) from one summary dict of the simulator or evaluator.

    Parameters
    ----------
    summary : mapping
        E.g. the output of ``polyslot.simulate.simulate_clinic_day``: ``{kpi: mean,
        kpi + "_ci": 95% half-width, "replications": n, ...}``. Names are mapped with
        :data:`KPI_ALIASES`; a KPI without ``_ci`` is exact (CI = mean).
    scenario, source : str
        ``current``/``recommended`` and ``evaluator``/``simulator``/``replay``.
    weekday : int
        0..6, or :data:`WEEK` for a whole-week summary.
    n : int, optional
        Replications behind the means (default ``summary["replications"]`` or 1).
    """
    if scenario not in SCENARIOS:
        raise InputError(f"must be one of {SCENARIOS}", field="scenario", value=scenario)
    if source not in SOURCES:
        raise InputError(f"must be one of {SOURCES}", field="source", value=source)
    count = int(n if n is not None else summary.get("replications", 1))
    rows = []
    for kpi, names in KPI_ALIASES.items():
        name = next((x for x in names if x in summary), None)
        if name is None:
            continue
        mean = float(summary[name])
        half = float(summary.get(f"{name}_ci", 0.0))
        half = half if np.isfinite(half) else float("nan")
        rows.append(
            kpi_row(scenario, source, int(weekday), kpi, mean, mean - half, mean + half, count)
        )
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


def _wavg(values: pd.Series, weights: np.ndarray) -> float:
    v = values.to_numpy(float)
    total = float(weights.sum())
    return float((v * weights).sum() / total) if total > 0 else float(v.mean())


def kpi_row(
    scenario: str, source: str, weekday: int, kpi: str, mean: float, lo: float, hi: float, n: int
) -> dict[str, Any]:
    """One KPI row as a dict with the keys of :data:`KPI_COLUMNS`."""
    return {
        "scenario": scenario,
        "source": source,
        "weekday": weekday,
        "kpi": kpi,
        "mean": mean,
        "ci_low": lo,
        "ci_high": hi,
        "n": n,
    }


def kpi_rows_from_days(days: pd.DataFrame, *, source: str, level: float = 0.95) -> pd.DataFrame:
    """KPI rows per scenario x weekday from one row per simulated / replayed day.

    Parameters
    ----------
    days : DataFrame
        Columns ``scenario``, ``weekday`` and day KPIs named as in :data:`KPI_ALIASES` (e.g.
        ``polyslot.simulate.replay`` ``ReplayResult.days``: one row per date x scenario x
        replication).
    source : str
        ``simulator`` or ``replay`` (or ``evaluator``).
    level : float
        Confidence level of the Student-t interval of each mean.

    Returns
    -------
    DataFrame
        :data:`KPI_COLUMNS`; ``mean`` is the average day of that weekday, ``n`` the days
        averaged.
    """
    from scipy import stats

    for col in ("scenario", "weekday"):
        if col not in days.columns:
            raise InputError("missing column", field=f"days.{col}", value=list(days.columns))
    frames = []
    for (scenario, weekday), grp in days.groupby(["scenario", "weekday"], sort=True):
        summary: dict[str, float] = {}
        for names in KPI_ALIASES.values():
            name = next((x for x in names if x in grp.columns), None)
            if name is None:
                continue
            x = grp[name].to_numpy(float)
            x = x[np.isfinite(x)]
            if x.size == 0:
                continue
            summary[name] = float(x.mean())
            if x.size > 1:
                t = float(stats.t.ppf(0.5 + level / 2, x.size - 1))
                summary[f"{name}_ci"] = t * float(x.std(ddof=1)) / np.sqrt(x.size)
            else:
                summary[f"{name}_ci"] = float("nan")
        frames.append(
            kpi_rows(
                summary, scenario=str(scenario), source=source, weekday=int(weekday), n=len(grp)
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(KPI_COLUMNS))
    return pd.concat(frames, ignore_index=True)


# Aggregation across weekdays and polyclinics --------------------------------------------------
#
# :func:`aggregate_kpis` combines rows across one dimension (weekdays into a week, polyclinics
# into the network). Additive KPIs (patients served, unmet demand, overtime, idle, capacity) are
# summed; waits are weighted by patients served (a network mean wait is minutes per patient seen
# network-wide); utilisation is weighted by available doctor-minutes (``capacity_minutes``), so
# the network utilisation is total busy minutes / total available minutes. CI half-widths are
# combined as for independent estimates: ``sqrt(sum(w_i^2 h_i^2)) / sum(w_i)`` for weighted
# means, ``sqrt(sum(h_i^2))`` for sums. The weighted mean of 90th percentiles is an
# approximation (a percentile of a mixture is not the mixture of percentiles).

#: KPIs that add up across weekdays and polyclinics.
ADDITIVE_KPIS = ("patients_served", "unmet_demand", "overtime", "idle", "capacity_minutes")
#: KPIs averaged with a weight taken from another KPI of the same entity.
WEIGHTED_KPIS = {
    "wait_mean": "patients_served",
    "wait_p90": "patients_served",
    "utilization": "capacity_minutes",
}
_ID_COLUMNS = ("polyclinic_id", "scenario", "source", "weekday")
_VALUE_COLUMNS = ("mean", "ci_low", "ci_high", "n")


def aggregate_kpis(kpis: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Combine KPI rows over every identifying column not in ``by``.

    Parameters
    ----------
    kpis : DataFrame
        Columns ``kpi``, ``mean``, ``ci_low``, ``ci_high``, ``n`` and identifying columns among
        ``polyclinic_id``, ``scenario``, ``source``, ``weekday``.
    by : sequence of str
        Identifying columns to keep (e.g. ``["scenario", "source", "weekday"]`` to aggregate
        polyclinics into the network).

    Returns
    -------
    DataFrame
        Columns ``*by, kpi, mean, ci_low, ci_high, n``; one row per group and aggregatable KPI
        (KPIs that are neither additive nor weighted are dropped).
    """
    missing = [c for c in (*by, "kpi", *_VALUE_COLUMNS) if c not in kpis.columns]
    if missing:
        raise InputError(f"missing columns {missing}", field="kpis", value=list(kpis.columns))
    by = list(by)
    ids = [c for c in _ID_COLUMNS if c in kpis.columns]
    out_cols = [*by, "kpi", *_VALUE_COLUMNS]
    if kpis.empty:
        return pd.DataFrame(columns=out_cols)
    wide = kpis.pivot_table(index=ids, columns="kpi", values="mean", aggfunc="first")
    rows: list[dict[str, object]] = []
    groups = kpis.groupby([*by, "kpi"], sort=True) if by else kpis.groupby("kpi", sort=True)
    for key, grp in groups:
        key = key if isinstance(key, tuple) else (key,)
        kpi = key[-1]
        mean = grp["mean"].to_numpy(float)
        lo_hw = mean - grp["ci_low"].to_numpy(float)
        hi_hw = grp["ci_high"].to_numpy(float) - mean
        if kpi in ADDITIVE_KPIS:
            total = float(mean.sum())
            lo = total - float(np.sqrt((lo_hw**2).sum()))
            hi = total + float(np.sqrt((hi_hw**2).sum()))
        elif kpi in WEIGHTED_KPIS:
            w = _weights(grp, ids, wide, WEIGHTED_KPIS[kpi])
            total = float((w * mean).sum())
            lo = total - float(np.sqrt(((w * lo_hw) ** 2).sum()))
            hi = total + float(np.sqrt(((w * hi_hw) ** 2).sum()))
        else:
            continue
        rows.append(
            {
                **dict(zip([*by, "kpi"], key, strict=True)),
                "mean": total,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(grp["n"].min()),
            }
        )
    return pd.DataFrame(rows, columns=out_cols)


def _weights(grp: pd.DataFrame, ids: list[str], wide: pd.DataFrame, weight_kpi: str) -> np.ndarray:
    """Normalised weights of ``grp``'s rows from ``weight_kpi`` of the same entity (equal if
    any is missing or all are zero)."""
    if weight_kpi in wide.columns:
        index = pd.MultiIndex.from_frame(grp[ids]) if len(ids) > 1 else pd.Index(grp[ids[0]])
        w = wide[weight_kpi].reindex(index).to_numpy(float)
    else:
        w = np.full(len(grp), np.nan)
    if np.isnan(w).any() or w.sum() <= 0:
        w = np.ones(len(grp))
    return w / w.sum()
