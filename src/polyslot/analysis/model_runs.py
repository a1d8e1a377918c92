"""The clinic days of a polyclinic's templates through the one model, and their SimPy check.

For every template (``current``, ``recommended``) and weekday the clinic day is built once
(:func:`polyslot.day.build_day`) and evaluated by the fast evaluator with one seed per weekday,
so the two templates of a weekday are paired replication by replication (common random
numbers). Its KPIs are the report's ``model`` rows; the same days are replicated in SimPy (the
independent reference, ``simulator`` rows) with their confidence intervals; the first
replications' patient records give the hourly profiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.day import ClinicDay
from polyslot.evaluation.clinic_day import DayMetrics
from polyslot.evaluation.day_records import records_frame
from polyslot.evaluation.day_settings import DaySettings, day_seed
from polyslot.kpi_records import KPI_COLUMNS, kpi_row, kpi_rows
from polyslot.simulate.clinic_runs import DayParams, replicate_clinic_day
from polyslot.simulate.hourly import hourly_profile
from polyslot.template import SlotTemplate

__all__ = [
    "DaySettings",
    "ModelRun",
    "day_seed",
    "model_runs",
    "model_rows",
    "simulator_rows",
    "hourly_rows",
    "HOURLY_DAYS",
]

#: Replications whose patient records give the hourly profiles.
HOURLY_DAYS = 8
Z95 = 1.959963984540054


@dataclass(frozen=True)
class ModelRun:
    """One template's day of one weekday and its evaluation."""

    scenario: str
    weekday: int
    day: ClinicDay
    metrics: DayMetrics


def model_runs(
    model: ClinicModel,
    templates: Mapping[str, SlotTemplate],
    settings: DaySettings,
    seed: int,
    *,
    records: int = HOURLY_DAYS,
) -> dict[tuple[str, int], ModelRun]:
    """Every template's day of every weekday it has, evaluated with the weekday's seed."""
    out = {}
    for scenario, tpl in templates.items():
        for d in tpl.weekdays:
            day = settings.build(model, tpl, d, scenario)
            metrics = settings.evaluate(day, day_seed(seed, d), records=records)
            out[(scenario, d)] = ModelRun(scenario, d, day, metrics)
    return out


def model_rows(runs: Mapping[tuple[str, int], ModelRun]) -> pd.DataFrame:
    """The ``model`` KPI rows (95% CIs from the standard errors)."""
    rows = []
    for (scenario, d), run in sorted(runs.items()):
        m = run.metrics
        n = max(m.replications, 1)
        for kpi, key in (
            ("wait_mean", "wait_mean"),
            ("wait_p90", "wait_p90"),
            ("utilization", "utilization"),
            ("overtime", "overtime"),
            ("idle", "idle"),
            ("patients_served", "patients_served"),
            ("unmet_demand", "unmet_demand"),
        ):
            est = m[key]
            half = Z95 * est.se
            rows.append(kpi_row(scenario, "model", d, kpi, est.mean, est.mean - half,
                                est.mean + half, n))
        duty = float(sum(s.end - s.start for s in run.day.sessions))
        rows.append(kpi_row(scenario, "model", d, "capacity_minutes", duty, duty, duty, n))
    return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


def simulator_rows(
    runs: Mapping[tuple[str, int], ModelRun],
    *,
    seed: int,
    replications: int,
    min_replications: int,
    target_rel: float | None,
    target_abs: float | None,
) -> tuple[pd.DataFrame, dict[tuple[str, int], dict]]:
    """The same days replicated in SimPy: ``simulator`` KPI rows and the summaries."""
    frames, summaries = [], {}
    for (scenario, d), run in sorted(runs.items()):
        summary, _ = replicate_clinic_day(
            DayParams(run.day),
            seed=day_seed(seed, d),
            replications=replications,
            target_rel=target_rel,
            target_abs=target_abs,
            min_replications=min_replications,
            workers=1,
        )
        summaries[(scenario, d)] = summary
        frames.append(kpi_rows(summary, scenario=scenario, source="simulator", weekday=d))
    if not frames:
        return pd.DataFrame(columns=list(KPI_COLUMNS)), summaries
    return pd.concat(frames, ignore_index=True), summaries


def hourly_rows(
    runs: Mapping[tuple[str, int], ModelRun], model: ClinicModel
) -> pd.DataFrame:
    """Hourly wait, queue length and utilisation of every template and weekday, from the kept
    replications' patient records."""
    parts = []
    for (scenario, d), run in sorted(runs.items()):
        rec = run.metrics.records
        if rec is None:
            continue
        frame = records_frame(run.day, rec)
        n_days = int(rec["n"].size)
        doctors = _doctors_by_hour(run.day)
        parts.append(
            hourly_profile(
                frame, scenario=scenario, weekday=d, doctors_by_hour=doctors, n_days=n_days
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["scenario", "weekday", "hour", "wait_mean", "queue_length", "utilization"]
        )
    return pd.concat(parts, ignore_index=True)


def _doctors_by_hour(day: ClinicDay) -> dict[int, float]:
    out: dict[int, float] = {}
    for h in range(24):
        minutes = sum(max(0.0, min(s.end, 60.0 * h + 60) - max(s.start, 60.0 * h))
                      for s in day.sessions)
        if minutes > 0:
            out[h] = minutes / 60.0
    return out


def week_of(runs: Mapping[tuple[str, int], ModelRun], scenario: str) -> Sequence[int]:
    """Weekdays evaluated for ``scenario``."""
    return sorted(d for s, d in runs if s == scenario)
