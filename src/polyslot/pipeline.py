"""plan_polyclinic: the whole chain for one polyclinic, as one pure function.

ClinicModel -> optimize (MIP + sequencing) -> expected bookings of each template
(:mod:`polyslot.evaluation.booking`: unbooked slots act as no-shows) -> exact evaluation of
every doctor session (current and recommended) -> SimPy clinic days with confidence intervals
-> hourly profiles -> historical replay of held-back days -> sensitivity sweeps -> booking
envelope -> :class:`PolyclinicResult`.

Runners map it over polyclinics: :mod:`polyslot.runners.local` with processes,
:mod:`polyslot.runners.spark` with ``groupBy("polyclinic_id").applyInPandas``. Every random step
derives its stream from ``(config.seed, polyclinic_id)``, so a polyclinic's result does not depend
on which runner, worker or order produced it.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from polyslot.analysis.paired import point_from_records, simulate_point, simulate_weekday
from polyslot.analysis.sensitivity import run_sensitivity
from polyslot.analysis.trust import assess, overloaded_weekdays
from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.evaluation import evaluate
from polyslot.evaluation.booking import booked_model
from polyslot.evaluation.sessions import session_schedule
from polyslot.evaluation.template_kpis import template_session_kpis
from polyslot.kpi_records import (
    ENVELOPE_COLUMNS,
    KPI_COLUMNS,
    SENSITIVITY_COLUMNS,
    kpi_rows,
    session_kpis_frame,
)
from polyslot.optimize import OptimizeConfig
from polyslot.optimize.frontier import (
    WeekdayFrontier,
    plan_weekdays,
    point_kpis,
    weekday_frontier,
)
from polyslot.results import PolyclinicResult
from polyslot.simulate import ClinicConfig, sample_day, simulate_day
from polyslot.simulate.disciplines import parse_discipline
from polyslot.simulate.history import HistoricalDay
from polyslot.simulate.hourly import hourly_profile
from polyslot.simulate.replay import replay
from polyslot.template import ANY_VISIT_TYPE, SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = ["plan_polyclinic", "polyclinic_seed", "HOURLY_DAYS"]

#: Simulated days per weekday and scenario behind the hourly profiles.
HOURLY_DAYS = 5


def polyclinic_seed(seed: int, polyclinic_id: str) -> int:
    """A stable per-polyclinic seed (independent of runner, worker and order)."""
    ss = np.random.SeedSequence([int(seed), zlib.crc32(polyclinic_id.encode())])
    return int(ss.generate_state(1, np.uint32)[0])


def _clinic_config(config: RunConfig) -> ClinicConfig:
    return ClinicConfig(
        discipline=parse_discipline(config.simulate.discipline),
        late_threshold=config.simulate.late_threshold_minutes,
    )


def _exact_kpis(
    models: Mapping[str, ClinicModel],
    templates: Mapping[str, SlotTemplate],
    unmet: Mapping[tuple[str, int], float],
) -> pd.DataFrame:
    records = [
        k for name, tpl in templates.items() for k in template_session_kpis(models[name], tpl, name)
    ]
    frame = session_kpis_frame(records)
    frame = frame[frame["weekday"] >= 0]  # week rows are derived by PolyclinicResult
    mask = frame["kpi"] == "unmet_demand"
    frame.loc[mask, "mean"] = [
        unmet.get((s, int(d)), 0.0)
        for s, d in zip(frame.loc[mask, "scenario"], frame.loc[mask, "weekday"], strict=True)
    ]
    frame.loc[mask, "ci_low"] = frame.loc[mask, "mean"]
    frame.loc[mask, "ci_high"] = frame.loc[mask, "mean"]
    return frame


def _simulated(
    models: Mapping[str, ClinicModel],
    templates: Mapping[str, SlotTemplate],
    config: RunConfig,
    seed: int,
    clinic: ClinicConfig,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, int], Any]]:
    """Replicated clinic days (KPIs with CIs), hourly profiles, and per scenario x weekday the
    summary and the replication records (paired across scenarios)."""
    s = config.simulate
    kpis, hourly = [], []
    runs: dict[tuple[str, int], Any] = {}
    for scenario, tpl in templates.items():
        model = models[scenario]
        for d in tpl.weekdays:
            # common random numbers: both scenarios of a weekday use the same seed
            day_seed = seed + 1000 * d
            summary, recs = simulate_weekday(
                model,
                tpl,
                d,
                config=clinic,
                replications=s.max_replications,
                seed=day_seed,
                target_rel=s.rel_half_width,
                target_abs=s.abs_half_width,
                min_replications=s.min_replications,
            )
            runs[(scenario, d)] = (summary, recs)
            kpis.append(kpi_rows(summary, scenario=scenario, source="simulator", weekday=d))
            records = []
            for r in range(HOURLY_DAYS):
                rng = np.random.default_rng([day_seed, 7, r])
                res = simulate_day(sample_day(model, tpl, d, rng), clinic)
                records.append(res.to_frame())
            doctors = {h: model.doctors_on_duty(d, h) for h in range(24)}
            hourly.append(
                hourly_profile(
                    pd.concat(records, ignore_index=True),
                    scenario=scenario,
                    weekday=d,
                    doctors_by_hour=doctors,
                    n_days=HOURLY_DAYS,
                )
            )
    return pd.concat(kpis, ignore_index=True), pd.concat(hourly, ignore_index=True), runs


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
    config: OptimizeConfig,
    recommended: SlotTemplate,
    clinic: ClinicConfig,
    seed: int,
    unplanned: Mapping[int, str],
    gammas: Mapping[int, float],
) -> tuple[dict[int, WeekdayFrontier], SlotTemplate]:
    """The frontier of every overloaded weekday (the sweep; every point simulated on the same
    days) and the recommended template with its chosen point on those weekdays. ``gammas``:
    the calibration factor each planned weekday ended with (a sweep starts from its weekday's,
    else from the last planned weekday's)."""
    heavy = overloaded_weekdays(model)
    last = gammas[max(gammas)] if gammas else 1.0
    frontier = {
        d: weekday_frontier(
            model,
            d,
            config,
            None if d in unplanned else recommended.slots,
            overloaded=True,
            evaluate=functools.partial(
                simulate_point, model, weekday=d, config=clinic, seed=seed + 1000 * d + 17
            ),
            gamma0=gammas.get(d, last),
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
    runs: Mapping[tuple[str, int], Any],
    swept: Mapping[int, WeekdayFrontier],
    clinic: ClinicConfig,
    seed: int,
) -> dict[int, WeekdayFrontier]:
    """Today's template and the recommendation on every weekday that is not overloaded, with
    the KPIs of the replicated days already simulated for the verdict (``runs``; simulated
    afresh only when a scenario has no run of that weekday)."""
    out = {}
    for d in sorted(set(recommended.weekdays) - set(swept)):
        points = []
        for label, scenario, tpl in (
            ("today", "current", model.current_template),
            ("recommended", "recommended", recommended),
        ):
            run = runs.get((scenario, d))
            evaluate = (
                functools.partial(
                    simulate_point, model, weekday=d, config=clinic, seed=seed + 1000 * d + 17
                )
                if run is None
                else (lambda _slots, recs=run[1]: point_from_records(recs))
            )
            slots = [s for s in tpl.slots if s.weekday == d]
            points.append(point_kpis(model, slots, label, 1.0, config.w_overtime, evaluate))
        out[d] = WeekdayFrontier(d, tuple(points), 1, False)
    return out


def _envelope(model: ClinicModel, template: SlotTemplate) -> tuple[pd.DataFrame, str]:
    sessions = template.sessions()
    if not sessions:
        return pd.DataFrame(columns=list(ENVELOPE_COLUMNS)), ""
    sid = max(sorted(sessions), key=lambda k: len(sessions[k]))
    sched = session_schedule(model, sessions[sid], punctual=True)
    env = evaluate(sched, envelope=True).envelope
    if env is None:  # pragma: no cover - evaluate(envelope=True) always sets it
        raise RuntimeError("the evaluator returned no envelope")
    sm = model.slot_minutes
    minutes = np.arange(len(env.remaining_work_mean)) * sm
    parts = []
    for name, values, scale in (
        ("remaining_work_mean", env.remaining_work_mean, sm),
        ("remaining_work_sd", np.sqrt(np.maximum(env.remaining_work_var, 0.0)), sm),
        ("running_idle_mean", env.running_idle_mean, sm),
    ):
        parts.append(
            pd.DataFrame(
                {"minute": minutes, "series": name, "value": np.asarray(values, float) * scale}
            )
        )
    first = sessions[sid][0]
    label = (
        f"{sid}: {len(sessions[sid])} patients from {first.start_time} "
        f"(the recommended session with the most patients)"
    )
    return pd.concat(parts, ignore_index=True), label


def plan_polyclinic(
    model: ClinicModel,
    config: RunConfig | None = None,
    *,
    holdout_days: Sequence[HistoricalDay] = (),
    data_quality: Mapping[str, int] | None = None,
) -> PolyclinicResult:
    """Recommend a template for one polyclinic and measure it against the current one.

    Parameters
    ----------
    model : ClinicModel
        Estimated from history that excludes ``holdout_days``.
    config : RunConfig, optional
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
    opt_cfg = OptimizeConfig(**config.optimize)
    heavy = overloaded_weekdays(model)
    opt, unplanned = plan_weekdays(model, opt_cfg, heavy)
    current = model.current_template
    clinic = _clinic_config(config)
    gammas = {d: w.calibration[-1].gamma for d, w in opt.weekdays.items()}
    swept, recommended = _frontier(model, opt_cfg, opt.template, clinic, seed, unplanned, gammas)
    templates = {"current": current, "recommended": recommended}
    unmet = {}
    for d, w in opt.weekdays.items():
        demand = sum(r.mean for r in model.demand if r.weekday == d)
        unmet[("current", d)] = max(0.0, demand - w.throughput_current)
        unmet[("recommended", d)] = max(0.0, demand - w.throughput_recommended)
    booked = {name: booked_model(model, tpl) for name, tpl in templates.items()}
    exact = _exact_kpis(booked, templates, unmet)
    sim, hourly, runs = _simulated(booked, templates, config, seed, clinic)
    frontier = {**_cheap_frontier(model, opt_cfg, recommended, runs, swept, clinic, seed), **swept}
    rep = _replayed(holdout_days, model, templates, seed, clinic)
    parts = [f for f in (exact, sim, rep) if not f.empty]
    kpis = pd.concat(parts, ignore_index=True)[list(KPI_COLUMNS)]
    if config.sensitivity.enabled:
        sens, break_even = run_sensitivity(
            model, recommended, config.sensitivity, optimize=dict(config.optimize), workers=1
        )
    else:
        sens, break_even = pd.DataFrame(columns=list(SENSITIVITY_COLUMNS)), {}
    envelope, env_label = _envelope(model, recommended)
    assumptions: dict[str, Any] = {
        "slot_minutes": model.slot_minutes,
        "no_show_source": model.meta.get("no_show_source", "model"),
        "demand_source": model.meta.get("demand_source", "model"),
        "queue_discipline": config.simulate.discipline,
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
        policy=opt_cfg.policy,
        weights={"wait": opt_cfg.w_wait, "idle": opt_cfg.w_idle, "overtime": opt_cfg.w_overtime},
        fidelity_tol=config.fidelity,
        current_summaries={d: v[0] for (sc, d), v in runs.items() if sc == "current"},
        records={k: v[1] for k, v in runs.items()},
        kpis=result.kpis,
        frontier=frontier,
        discipline=config.simulate.discipline,
        replay_days=len(holdout_days),
    )
    return dataclasses.replace(result, trust=trust)
