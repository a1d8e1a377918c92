"""plan_polyclinic: the whole chain for one polyclinic, as one pure function.

ClinicModel -> optimize (MIP calibrated on the one clinic-day model + sequencing) -> the clinic
day of each template and weekday (:func:`polyslot.day.build_day`: doctors on duty, queue
discipline, slots, booking, cancellations, no-shows, punctuality, walk-ins) -> the fast evaluator
(``model`` rows, every KPI with its standard error; paired across templates) -> the same days in
SimPy (``simulator`` rows, the independent check) -> hourly profiles -> historical replay of
held-back days -> sensitivity sweeps -> booking envelope -> verdict -> :class:`PolyclinicResult`.

Runners map it over polyclinics: :mod:`polyslot.runners.local` with processes,
:mod:`polyslot.runners.spark` with ``groupBy("polyclinic_id").applyInPandas``. Every random step
derives its stream from ``(config.seed, polyclinic_id)``, so a polyclinic's result does not depend
on which runner, worker or order produced it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from polyslot.analysis.model_runs import (
    ModelRun,
    hourly_rows,
    model_rows,
    model_runs,
    simulator_rows,
)
from polyslot.analysis.observed import ObservedHistory
from polyslot.analysis.paired import point_from_metrics
from polyslot.analysis.sensitivity import run_sensitivity
from polyslot.analysis.trust import assess, overloaded_weekdays
from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.evaluation.day_records import day_envelope, records_frame
from polyslot.evaluation.day_settings import DaySettings, day_seed, polyclinic_seed
from polyslot.kpi_records import (
    ENVELOPE_COLUMNS,
    KPI_COLUMNS,
    SENSITIVITY_COLUMNS,
    kpi_rows,
)
from polyslot.optimize import OptimizeConfig
from polyslot.optimize.frontier import (
    WeekdayFrontier,
    plan_weekdays,
    point_kpis,
    weekday_frontier,
)
from polyslot.results import PolyclinicResult
from polyslot.simulate import ClinicConfig
from polyslot.simulate.history import HistoricalDay
from polyslot.simulate.replay import replay
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS, Slot, SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = ["plan_polyclinic", "polyclinic_seed", "day_settings"]


def day_settings(config: RunConfig) -> DaySettings:
    """How clinic days are built and evaluated in this run (``[simulate]``)."""
    return DaySettings.from_config(config)


def _evaluator(model: ClinicModel, settings: DaySettings, weekday: int, seed: int):
    """``slots -> frontier KPIs`` of ``weekday`` through the one model (paired seeds)."""

    def evaluate(slots) -> dict[str, float]:
        tpl = SlotTemplate(model.polyclinic_id, tuple(slots), label="point")
        day = settings.build(model, tpl, weekday)
        return point_from_metrics(settings.evaluate(day, day_seed(seed, weekday)))

    return evaluate


def _replayed(
    days: Sequence[HistoricalDay],
    model: ClinicModel,
    templates: Mapping[str, SlotTemplate],
    seed: int,
    clinic: ClinicConfig,
) -> pd.DataFrame:
    if not days:
        return pd.DataFrame(columns=list(KPI_COLUMNS))
    res = replay(days, model, dict(templates), config=clinic, seed=seed, replications=1)
    rows = []
    n = len(days)
    # per average week: the replayed days span this many weeks of each weekday
    weeks = max(sum(1 for d in days if d.weekday == w) for w in range(7))
    for scenario, t in res.totals.to_dict("index").items():
        summary = {
            "wait_mean": t["wait_mean"],
            "wait_p90": t["wait_p90_mean"],
            "utilization": t["utilization"],
            "overtime": t["overtime_total"] / weeks,
            "patients_served": t["patients_seen"] / weeks,
        }
        rows.append(kpi_rows(summary, scenario=str(scenario), source="replay", weekday=-1, n=n))
    return pd.concat(rows, ignore_index=True)


def _frontier(
    model: ClinicModel,
    heavy: set[int],
    config: OptimizeConfig,
    recommended: SlotTemplate,
    settings: DaySettings,
    seed: int,
    unplanned: Mapping[int, str],
    gammas: Mapping[int, float],
) -> tuple[dict[int, WeekdayFrontier], SlotTemplate]:
    """The frontier of every overloaded weekday (the sweep; every point evaluated by the one
    model with the weekday's seed) and the recommended template with its chosen point on those
    weekdays. ``gammas``: the calibration factor each planned weekday ended with (a sweep starts
    from its weekday's, else from the last planned weekday's)."""
    last = gammas[max(gammas)] if gammas else 1.0
    frontier = {
        d: weekday_frontier(
            model,
            d,
            config,
            None if d in unplanned else recommended.slots,
            overloaded=True,
            evaluate=_evaluator(model, settings, d, seed),
            gamma0=gammas.get(d, last),
            days=settings,
            seed=seed,
        )
        for d in sorted((set(recommended.weekdays) | set(unplanned)) & heavy)
    }
    slots = [s for s in recommended.slots if s.weekday not in frontier]
    for f in frontier.values():  # the chosen point (today's template when none was solved)
        slots.extend(f.chosen_point.slots)
    return frontier, SlotTemplate(
        recommended.polyclinic_id, tuple(slots), recommended.bucket_minutes, recommended.label
    )


def _cheap_frontier(
    model: ClinicModel,
    config: OptimizeConfig,
    recommended: SlotTemplate,
    runs: Mapping[tuple[str, int], ModelRun],
    swept: Mapping[int, WeekdayFrontier],
) -> dict[int, WeekdayFrontier]:
    """Today's template and the recommendation on every weekday that is not overloaded, with
    the model's KPIs of the days already evaluated for the verdict."""
    out = {}
    for d in sorted(set(recommended.weekdays) - set(swept)):
        points = []
        for label, scenario, tpl in (
            ("today", "current", model.current_template),
            ("recommended", "recommended", recommended),
        ):
            run = runs.get((scenario, d))
            if run is None:
                continue
            slots = [s for s in tpl.slots if s.weekday == d]
            values = point_from_metrics(run.metrics)

            def known(_slots: Sequence[Slot], v: dict[str, float] = values) -> dict[str, float]:
                return v

            points.append(point_kpis(model, slots, label, 1.0, config.w_overtime, known))
        if len(points) == 2:
            out[d] = WeekdayFrontier(d, tuple(points), 1, False)
    return out


def _envelope(
    runs: Mapping[tuple[str, int], ModelRun],
) -> tuple[pd.DataFrame, str]:
    """The booking envelope of the recommended weekday with the most patients (the model's
    kept replications)."""
    rec = [r for (sc, _), r in runs.items() if sc == "recommended" and r.metrics.records]
    if not rec:
        return pd.DataFrame(columns=list(ENVELOPE_COLUMNS)), ""
    run = max(rec, key=lambda r: (len(r.day.slots), -r.weekday))
    frame = records_frame(run.day, run.metrics.records)
    env = day_envelope(run.day, frame)
    first = min(s.start for s in run.day.sessions)
    label = (
        f"{WEEKDAYS[run.weekday]}: {len(run.day.slots)} slots and {len(run.day.sessions)} doctor "
        f"sessions from {int(first) // 60:02d}:{int(first) % 60:02d} (the recommended weekday "
        "with the most slots; remaining work of the whole clinic)"
    )
    return env[list(ENVELOPE_COLUMNS)], label


def _replay_config(model: ClinicModel, settings: DaySettings) -> ClinicConfig:
    from polyslot.day import model_discipline

    return ClinicConfig(
        discipline=model_discipline(model, settings.discipline),
        late_threshold=settings.late_threshold,
    )


def plan_polyclinic(
    model: ClinicModel,
    config: RunConfig | None = None,
    *,
    holdout_days: Sequence[HistoricalDay] = (),
    data_quality: Mapping[str, int] | None = None,
    history: ObservedHistory | None = None,
) -> PolyclinicResult:
    """Recommend a template for one polyclinic and measure it against the current one.

    Parameters
    ----------
    model : ClinicModel
        Estimated from history that excludes ``holdout_days``.
    config : RunConfig, optional
    history : ObservedHistory, optional
        What the history shows (the yardstick of fidelity; overloaded weekdays get the
        trade-off frontier); without it the recommendation is low-confidence.
    holdout_days : sequence of HistoricalDay
        Held-back recorded days replayed under both templates (common random numbers).
    data_quality : mapping, optional
        Quarantine counts of this polyclinic, carried into the report.

    Raises
    ------
    polyslot.errors.InfeasibleError
        When the optimizer cannot meet the clinic's requirements (message names them).
    """
    config = config or RunConfig()
    if any(s.visit_type == ANY_VISIT_TYPE for s in model.current_template.slots):
        model = with_unreserved(model)  # unreserved ("any") slots draw from the visit-type mix
    seed = polyclinic_seed(config.seed, model.polyclinic_id)
    opt_cfg = config.optimize
    settings = day_settings(config)
    heavy = overloaded_weekdays(history)
    opt, unplanned = plan_weekdays(model, opt_cfg, heavy, days=settings, seed=seed)
    current = model.current_template
    gammas = {d: w.calibration[-1].gamma for d, w in opt.weekdays.items()}
    swept, recommended = _frontier(
        model, heavy, opt_cfg, opt.template, settings, seed, unplanned, gammas
    )
    templates = {"current": current, "recommended": recommended}
    runs = model_runs(model, templates, settings, seed)
    s = config.simulate
    sim, _summaries = simulator_rows(
        runs,
        seed=seed,
        replications=s.max_replications,
        min_replications=s.min_replications,
        target_rel=s.rel_half_width,
        target_abs=s.abs_half_width,
    )
    hourly = hourly_rows(runs, model)
    frontier = {**_cheap_frontier(model, opt_cfg, recommended, runs, swept), **swept}
    rep = _replayed(holdout_days, model, templates, seed, _replay_config(model, settings))
    parts = [f for f in (model_rows(runs), sim, rep) if not f.empty]
    kpis = pd.concat(parts, ignore_index=True)[list(KPI_COLUMNS)]
    if config.sensitivity.enabled:
        sens, break_even = run_sensitivity(
            model,
            recommended,
            config.sensitivity,
            optimize=opt_cfg,
            days=settings,
            seed=seed,
            workers=1,
        )
    else:
        sens, break_even = pd.DataFrame(columns=list(SENSITIVITY_COLUMNS)), {}
    envelope, env_label = _envelope(runs)
    discipline = runs[next(iter(runs))].day.discipline.value if runs else model.queue.discipline
    assumptions: dict[str, Any] = {
        "slot_minutes": model.slot_minutes,
        "no_show_source": model.meta.get("no_show_source", "model"),
        "demand_source": model.meta.get("demand_source", "model"),
        "queue_discipline": discipline,
        "late_arrival_threshold_minutes": config.simulate.late_threshold_minutes,
        "optimizer": {  # timings left out: outputs must be reproducible
            k: v
            for k, v in opt.to_dict().items()
            if k not in ("weekdays", "seconds", "cpu_seconds")
        },
        "objective_weights_minutes": {
            "wait": opt_cfg.w_wait,
            "idle": opt_cfg.w_idle,
            "overtime": opt_cfg.w_overtime,
            "preference": opt_cfg.w_preference,
            "unmet": opt_cfg.w_unmet,
        },
        "demand_chance_epsilon": opt_cfg.epsilon,
        "utilisation_ceiling": opt_cfg.utilisation_ceiling,
        "overbooking_cap": opt_cfg.overbooking_cap,
        "holdout_days_replayed": len(holdout_days),
        "seed": config.seed,
    }
    result = PolyclinicResult(
        polyclinic_id=model.polyclinic_id,
        model=model,
        current=current,
        recommended=recommended,
        kpis=kpis,
        hourly=hourly,
        sensitivity=sens,
        break_even=break_even,
        envelope=envelope,
        envelope_session=env_label,
        data_quality=dict(data_quality or {}),
        assumptions=assumptions,
    )
    trust = assess(
        model,
        history,
        policy=opt_cfg.policy,
        weights={"wait": opt_cfg.w_wait, "idle": opt_cfg.w_idle, "overtime": opt_cfg.w_overtime},
        fidelity_tol=config.fidelity,
        runs={k: r.metrics for k, r in runs.items()},
        days={k: r.day for k, r in runs.items()},
        kpis=result.kpis,
        frontier=frontier,
        discipline=discipline,
        replay_days=len(holdout_days),
        max_patient_loss=opt_cfg.max_patient_loss,
    )
    return dataclasses.replace(result, trust=trust)
