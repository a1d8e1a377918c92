"""Sensitivity analysis: sweep one parameter at a time, for the recommended template held fixed
and for a template re-optimised at each point.

Each point is a perturbed :class:`~polyslot.clinic_model.ClinicModel`
(:func:`polyslot.analysis.perturb.perturb`) whose clinic days are built by the one builder
(:func:`polyslot.day.build_day`) and evaluated by the one fast evaluator with the same seed at
every point (common random numbers, so the curves are smooth): mean wait of the patients seen
(minutes), doctor utilisation, idle and overtime. For a template held fixed, a demand change
alters how many slots get booked through the one booking rule (:mod:`polyslot.day.booking`):
slots nobody books stay empty. Re-optimisation runs the full optimizer on the perturbed model,
restricted to ``reoptimise_weekdays`` (default: the busiest weekday) and to the ends of each
parameter's range (its baseline is the recommended template itself), with the frontier's node
limit and at most two calibration rounds, to bound the cost; the re-optimised rows therefore
describe that weekday only.

Points are independent tasks run in a process pool; evaluations are cached by
(policy, parameter, factor), so the baseline (factor 1) is computed once and shared by every
parameter.

Break-even points
-----------------
``no_show_rate_overbooking_stops_paying``: the mean no-show rate at which the recommended template
with its overbooked slots stops beating the same template without them, on the optimizer's
objective (wait + idle + overtime weights); interpolated linearly between sweep points.
NaN when the template has no overbooked slots or the curves do not cross in the sweep range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from polyslot.analysis.perturb import PARAMETERS, perturb
from polyslot.clinic_model import ClinicModel
from polyslot.config import SensitivitySettings
from polyslot.errors import InfeasibleError, SolverError
from polyslot.evaluation.clinic_day import evaluate_clinic_day
from polyslot.evaluation.day_settings import DaySettings, day_seed
from polyslot.kpi_records import SENSITIVITY_COLUMNS
from polyslot.optimize import OptimizeConfig, optimize_clinic
from polyslot.template import SlotTemplate

__all__ = ["SensitivityTask", "run_sensitivity", "restrict_weekdays", "break_even_no_show"]

#: Precision of each sweep point (common random numbers keep the differences sharper).
SWEEP_REL_SE = 0.03
SWEEP_ABS_SE = 0.1
#: Calibration rounds of a re-optimised point's optimizer.
SWEEP_CALIBRATION_ROUNDS = 2


@dataclass(frozen=True)
class SensitivityTask:
    """One sweep point (picklable)."""

    policy: str  # "fixed" | "reoptimised"
    parameter: str
    factor: float


def restrict_weekdays(model: ClinicModel, weekdays: Sequence[int]) -> ClinicModel:
    """``model`` with sessions, opening and current template limited to ``weekdays``."""
    keep = set(weekdays)
    tpl = model.current_template
    return dataclasses.replace(
        model,
        sessions=tuple(s for s in model.sessions if s.weekday in keep),
        opening={d: v for d, v in model.opening.items() if d in keep},
        current_template=SlotTemplate(
            tpl.polyclinic_id,
            tuple(s for s in tpl.slots if s.weekday in keep),
            tpl.bucket_minutes,
            tpl.label,
        ),
    )


def _summarise(
    model: ClinicModel, template: SlotTemplate, days: DaySettings, seed: int
) -> tuple[float, float, float, float, float]:
    """Every weekday of ``template`` through the one model: (mean wait, utilisation, idle,
    overtime, patients seen) of the week (wait patient-weighted, utilisation duty-weighted)."""
    wait = seen = busy = duty = idle = over = 0.0
    for d in template.weekdays:
        day = days.build(model, template, d)
        m = evaluate_clinic_day(
            day,
            seed=day_seed(seed, d),
            rel_se=max(days.rel_se, SWEEP_REL_SE),
            abs_se=max(days.abs_se, SWEEP_ABS_SE),
            max_replications=min(days.max_replications, 512),
        )
        n = m.value("patients_served")
        cap = float(sum(s.end - s.start for s in day.sessions))
        wait += m.value("wait_mean") * n
        seen += n
        busy += m.value("utilization") * cap
        duty += cap
        idle += m.value("idle")
        over += m.value("overtime")
    return (wait / seen if seen else 0.0, busy / duty if duty else 0.0, idle, over, seen)


class _Context:
    """Per-process state: the model, template and optimizer settings of the sweep."""

    model: ClinicModel
    template: SlotTemplate
    optimize: OptimizeConfig
    weekdays: tuple[int, ...]
    days: DaySettings
    seed: int


_CTX = _Context()


def _init(
    model: ClinicModel,
    template: SlotTemplate,
    optimize: OptimizeConfig,
    weekdays: tuple,
    days: DaySettings,
    seed: int,
) -> None:
    _CTX.model, _CTX.template, _CTX.optimize, _CTX.weekdays = model, template, optimize, weekdays
    _CTX.days, _CTX.seed = days, seed
    _point.cache_clear()


@cache
def _point(policy: str, parameter: str, factor: float) -> dict[str, Any]:
    key_param = "baseline" if factor == 1.0 else parameter
    if key_param == "baseline" and parameter != PARAMETERS[0]:
        return _point(policy, PARAMETERS[0], 1.0)  # share the baseline across parameters
    model = _CTX.model
    pert = perturb(model, parameter, factor)
    template = _CTX.template
    if policy == "reoptimised":
        sub = restrict_weekdays(pert, _CTX.weekdays)
        keep = set(_CTX.weekdays)
        try:
            if factor == 1.0:  # the recommended template is the optimum of the baseline
                template = SlotTemplate(
                    template.polyclinic_id,
                    tuple(s for s in template.slots if s.weekday in keep),
                    template.bucket_minutes,
                )
            else:
                template = optimize_clinic(
                    sub, _CTX.optimize, days=_CTX.days, seed=_CTX.seed
                ).template
        except (InfeasibleError, SolverError) as exc:
            nan = float("nan")
            return {
                "wait_mean": nan,
                "utilization": nan,
                "idle": nan,
                "overtime": nan,
                "note": f"infeasible: {str(exc).splitlines()[0]}",
            }
        pert = sub
    elif policy != "fixed":
        raise ValueError(policy)
    days, seed = _CTX.days, _CTX.seed
    wait, util, idle, over, seen = _summarise(pert, template, days, seed)
    out = {"wait_mean": wait, "utilization": util, "idle": idle, "overtime": over}
    no_ob = SlotTemplate(
        template.polyclinic_id,
        tuple(s for s in template.slots if not s.overbooked),
        template.bucket_minutes,
    )
    if policy == "fixed" and parameter == "no_show" and len(no_ob.slots) < len(template.slots):
        w2, _, i2, o2, seen2 = _summarise(pert, no_ob, days, seed)
        out["objective_gain_overbooking"] = (w2 * seen2 + 0.5 * i2 + 1.5 * o2) - (
            wait * seen + 0.5 * idle + 1.5 * over
        )
    return out


def _run(task: SensitivityTask) -> dict[str, Any]:
    return {**dataclasses.asdict(task), **_point(task.policy, task.parameter, task.factor)}


def _mean_no_show(model: ClinicModel) -> float:
    rates = [r.rate for r in model.no_show]
    return float(np.mean(rates)) if rates else 0.0


def break_even_no_show(frame: pd.DataFrame, base_rate: float) -> float:
    """Mean no-show rate where ``objective_gain_overbooking`` changes sign (NaN if it does not)."""
    if "objective_gain_overbooking" not in frame:
        return float("nan")
    sub = frame[(frame.parameter == "no_show") & (frame.policy == "fixed")].dropna(
        subset=["objective_gain_overbooking"]
    )
    sub = sub.sort_values("multiplier")
    x = sub["multiplier"].to_numpy(float) * base_rate
    g = sub["objective_gain_overbooking"].to_numpy(float)
    for i in range(len(g) - 1):
        if g[i] == 0:
            return float(x[i])
        if g[i] * g[i + 1] < 0:
            return float(x[i] + (x[i + 1] - x[i]) * g[i] / (g[i] - g[i + 1]))
    return float("nan")


def run_sensitivity(
    model: ClinicModel,
    recommended: SlotTemplate,
    settings: SensitivitySettings | None = None,
    *,
    optimize: OptimizeConfig | None = None,
    reoptimise_weekdays: Sequence[int] | None = None,
    days: DaySettings | None = None,
    seed: int = 0,
    workers: int = 1,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Sweep every parameter of ``settings``.

    Returns
    -------
    (DataFrame, dict)
        Rows with :data:`polyslot.kpi_records.SENSITIVITY_COLUMNS` (plus ``idle``, ``overtime``),
        and the named break-even points.
    """
    settings = settings or SensitivitySettings()
    if reoptimise_weekdays is None:
        busiest = max(
            recommended.weekdays or (0,),
            key=lambda d: (sum(1 for s in recommended.slots if s.weekday == d), -d),
        )
        reoptimise_weekdays = (busiest,)
    tasks = [
        SensitivityTask("fixed", p, float(f)) for p in PARAMETERS for f in getattr(settings, p)
    ]
    if settings.reoptimise:
        for p in settings.reoptimise_parameters:
            grid = getattr(settings, p)
            for f in sorted({min(grid), 1.0, max(grid)}):
                tasks.append(SensitivityTask("reoptimised", p, float(f)))
    opt = optimize or OptimizeConfig()
    # a re-optimised point needs the template's KPIs, not its explanation: the frontier's node
    # limit and at most two calibration rounds (each is re-evaluated by the one model anyway)
    opt = dataclasses.replace(
        opt,
        node_limit=opt.frontier_node_limit if opt.node_limit is None
        else min(opt.node_limit, opt.frontier_node_limit),
        max_calibration_rounds=min(opt.max_calibration_rounds, SWEEP_CALIBRATION_ROUNDS),
    )
    args = (
        model,
        recommended,
        opt,
        tuple(reoptimise_weekdays),
        days or DaySettings(),
        int(seed),
    )
    if workers <= 1:
        _init(*args)
        rows = [_run(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=args) as pool:
            rows = list(pool.map(_run, tasks, chunksize=max(1, len(tasks) // (4 * workers))))
    frame = pd.DataFrame(rows).rename(columns={"factor": "multiplier"})
    frame = frame[[*SENSITIVITY_COLUMNS, *[c for c in frame if c not in SENSITIVITY_COLUMNS]]]
    frame = frame.sort_values(["policy", "parameter", "multiplier"], kind="mergesort")
    frame = frame.reset_index(drop=True)
    be = {"no_show_rate_overbooking_stops_paying": break_even_no_show(frame, _mean_no_show(model))}
    return frame, be
