"""Tidy KPI records: the common format of evaluator, simulator and replay KPIs.

Re-exported by :mod:`polyslot.results` (see its docstring for the KPI units).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
]

#: The two templates every KPI is reported for.
SCENARIOS = ("current", "recommended")
#: Where a KPI comes from: exact evaluator, SimPy simulator, historical replay.
SOURCES = ("evaluator", "simulator", "replay")
#: Order in which a source is preferred when a KPI is reported by several (summary.json uses
#: the simulator, whole clinic, when present).
SOURCE_PREFERENCE = ("simulator", "evaluator", "replay")
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
    "unmet_demand": ("unmet_demand", "unseen"),
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
