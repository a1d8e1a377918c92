"""Replicated clinic days: a ClinicModel, a SlotTemplate and a weekday -> KPI means with CIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.simulate.clinic import ClinicConfig, simulate_day
from polyslot.simulate.dayplan import ServiceSampler, sample_day
from polyslot.simulate.disciplines import parse_discipline
from polyslot.simulate.kpis import KPI_COLUMNS, summarize
from polyslot.simulate.replications import run_replications
from polyslot.template import SlotTemplate

__all__ = ["DayParams", "day_replication", "replicate_clinic_day", "simulate_clinic_day"]


@dataclass(frozen=True)
class DayParams:
    """Inputs of one replicated clinic day (picklable)."""

    model: ClinicModel
    template: SlotTemplate
    weekday: int
    config: ClinicConfig


def day_replication(params: DayParams, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: sample the day, simulate it, return its KPIs (a pure function)."""
    rng = np.random.default_rng(seed)
    cfg = params.config
    plan = sample_day(
        params.model,
        params.template,
        params.weekday,
        rng,
        service=ServiceSampler(params.model, cfg.service_mode),
        walk_in_visit_type=cfg.walk_in_visit_type,
    )
    return simulate_day(plan, cfg).kpis


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
    summary: dict[str, Any] = {
        "weekday": int(params.weekday),
        "discipline": str(parse_discipline(params.config.discipline).value),
        **summarize(run.records, KPI_COLUMNS),
        "replications": run.replications,
        "converged": run.converged,
    }
    return summary, list(run.records)


def simulate_clinic_day(
    model: ClinicModel,
    template: SlotTemplate | None = None,
    weekday: int = 0,
    *,
    config: ClinicConfig | None = None,
    replications: int = 200,
    seed: int = 0,
    target_rel: float | None = None,
    target_abs: float | None = None,
    min_replications: int = 10,
    workers: int = 1,
) -> dict[str, Any]:
    """Replicate a clinic day and summarise its KPIs.

    Returns
    -------
    dict
        For each KPI of :data:`~polyslot.simulate.kpis.KPI_COLUMNS` the mean over replications
        and ``<kpi>_ci`` (95% half-width), plus ``replications``, ``converged``, ``weekday``,
        ``discipline``. The stopping rule (when targets are given) watches ``wait_mean``.
    """
    params = DayParams(
        model, template or model.current_template, int(weekday), config or ClinicConfig()
    )
    summary, _ = replicate_clinic_day(
        params,
        seed=seed,
        replications=replications,
        target_rel=target_rel,
        target_abs=target_abs,
        min_replications=min_replications,
        workers=workers,
    )
    return summary
