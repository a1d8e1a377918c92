"""Replicated clinic days in SimPy: a ClinicDay -> KPI means with CIs (the reference check of
the fast evaluator, :func:`polyslot.evaluation.clinic_day.evaluate_clinic_day`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyslot.day.spec import ClinicDay
from polyslot.simulate.clinic import ClinicConfig, simulate_day
from polyslot.simulate.dayplan import ServiceSampler, sample_day
from polyslot.simulate.kpis import KPI_COLUMNS, summarize
from polyslot.simulate.replications import run_replications

__all__ = ["DayParams", "day_replication", "replicate_clinic_day", "simulate_clinic_day"]


@dataclass(frozen=True)
class DayParams:
    """Inputs of one replicated clinic day (picklable)."""

    day: ClinicDay
    service_mode: str = "pmf"

    @property
    def config(self) -> ClinicConfig:
        """The simulator's settings of this day (discipline and late policy are the day's)."""
        return ClinicConfig(
            discipline=self.day.discipline,
            late_threshold=self.day.late_threshold,
            service_mode=self.service_mode,
        )


def day_replication(params: DayParams, seed: np.random.SeedSequence) -> dict[str, Any]:
    """One replication: sample the day, simulate it, return its KPIs (a pure function); the
    waits of the patients seen are under ``_waits`` (for the pooled percentile)."""
    rng = np.random.default_rng(seed)
    day = params.day
    sampler = ServiceSampler(day.visit_types, day.slot_minutes, params.service_mode)
    plan = sample_day(day, rng, service=sampler)
    res = simulate_day(plan, params.config)
    seen = np.asarray(res.records["seen"], dtype=bool)
    return {**res.kpis, "_waits": np.asarray(res.records["wait"], float)[seen]}


def _ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """``sum(num) / sum(den)`` and the half-width of its 95% CI (delta method)."""
    n = num.size
    ratio = float(num.sum() / den.sum())
    se = (
        math.sqrt(float((num - ratio * den).var(ddof=1)) / n) / (den.sum() / n)
        if n > 1
        else math.inf
    )
    return ratio, 1.96 * se


def _pooled(records: list[dict[str, Any]]) -> dict[str, float]:
    """Patient-weighted mean wait and utilisation over the replications (ratios of sums, with
    their 95% CIs) and the pooled 90th percentile (smallest wait with at least 90% of the
    waits at or below it), as the fast evaluator defines them."""
    seen = np.array([float(r["patients_seen"]) for r in records])
    total = np.array([float(r["wait_mean"]) * s if s else 0.0 for r, s in
                      zip(records, seen, strict=True)])
    out: dict[str, float] = {}
    if seen.sum() > 0:
        out["wait_mean"], out["wait_mean_ci"] = _ratio(total, seen)
    duty = np.array([float(r["duty_minutes"]) for r in records])
    if duty.sum() > 0:
        out["utilization_daily"] = float(np.mean([float(r["utilization"]) for r in records]))
        busy = np.array([float(r["busy_minutes"]) for r in records])
        out["utilization"], out["utilization_ci"] = _ratio(busy, duty)
    waits = np.concatenate([r["_waits"] for r in records]) if records else np.empty(0)
    if waits.size:
        out["wait_p90_pooled"] = float(np.quantile(waits, 0.9, method="inverted_cdf"))
    return out


def replicate_clinic_day(
    params: DayParams,
    *,
    seed: int,
    replications: int,
    target_rel: float | None,
    target_abs: float | None,
    min_replications: int,
    workers: int,
) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Replicate the day of ``params``: its summary (as :func:`simulate_clinic_day`) and the
    per-replication records (replication ``i`` is seeded the same for every template, so two
    templates' records pair up)."""
    run = run_replications(
        day_replication,
        params,
        seed,
        replications=replications,
        metric=lambda r: r["wait_mean"],
        target_rel=target_rel,
        target_abs=target_abs,
        min_replications=min_replications,
        workers=workers,
    )
    records = list(run.records)
    summary: dict[str, Any] = {
        "weekday": int(params.day.weekday),
        "discipline": params.day.discipline.value,
        **summarize(records, KPI_COLUMNS),
        "wait_mean_daily": float(np.nanmean([r["wait_mean"] for r in records])),
        **_pooled(records),
        "replications": run.replications,
        "converged": run.converged,
    }
    return summary, [{k: v for k, v in r.items() if k != "_waits"} for r in records]


def simulate_clinic_day(
    day: ClinicDay,
    *,
    service_mode: str = "pmf",
    replications: int = 200,
    seed: int = 0,
    target_rel: float | None = None,
    target_abs: float | None = None,
    min_replications: int = 10,
    workers: int = 1,
) -> dict[str, Any]:
    """Replicate a clinic day in SimPy and summarise its KPIs.

    Returns
    -------
    dict
        For each KPI of :data:`~polyslot.simulate.kpis.KPI_COLUMNS` the mean over replications
        and ``<kpi>_ci`` (95% half-width), with ``wait_mean`` patient-weighted (the mean of the
        days' own means is ``wait_mean_daily``), ``wait_p90`` the days' 90th percentiles
        averaged and ``wait_p90_pooled`` the pooled one (the fast evaluator's definitions),
        plus ``replications``, ``converged``, ``weekday``, ``discipline``. The stopping rule
        (when targets are given) watches the days' mean wait.
    """
    summary, _ = replicate_clinic_day(
        DayParams(day, service_mode),
        seed=seed,
        replications=replications,
        target_rel=target_rel,
        target_abs=target_abs,
        min_replications=min_replications,
        workers=workers,
    )
    return summary
