"""Exact per-session KPIs of a SlotTemplate: each doctor session evaluated by the Lindley recursion.

Each doctor session of the template becomes a :class:`~polyslot.schedule.Schedule` through
:func:`polyslot.evaluation.sessions.session_schedule` (the one adapter; see its module for the
session window and how unfilled slots are modelled), is evaluated exactly, and gives one
:class:`~polyslot.kpi_records.SessionKPI` record (source ``evaluator``).
"""

from __future__ import annotations

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.evaluation.api import evaluate
from polyslot.evaluation.many import evaluate_day
from polyslot.evaluation.result import Evaluation
from polyslot.evaluation.sessions import session_schedule
from polyslot.kpi_records import SessionKPI
from polyslot.template import SlotTemplate

__all__ = ["template_session_kpis", "p90_wait"]


def p90_wait(ev: Evaluation) -> float:
    """90th percentile (slots) of the wait of a random patient who comes (needs wait PMFs)."""
    if ev.wait_pmfs is None:
        raise ValueError("evaluate with wait_pmfs=True")
    weights = 1.0 - np.asarray(ev.no_show, float)
    if weights.sum() <= 0:
        return 0.0
    size = max(len(p) for p in ev.wait_pmfs)
    mix = np.zeros(size)
    for w, pmf in zip(weights, ev.wait_pmfs, strict=True):
        mix[: len(pmf)] += w * np.asarray(pmf, float)
    cdf = np.cumsum(mix / mix.sum())
    return float(np.searchsorted(cdf, 0.9 - 1e-12))


def template_session_kpis(
    model: ClinicModel,
    template: SlotTemplate,
    scenario: str,
    *,
    punctual: bool = False,
    fill: float | dict[int, float] = 1.0,
    with_p90: bool = True,
) -> list[SessionKPI]:
    """Exact KPIs (minutes) of every doctor session of ``template`` (source ``evaluator``).

    ``fill`` may be a mapping weekday -> fill fraction (see the module docstring).
    """
    sm = float(model.slot_minutes)
    out: list[SessionKPI] = []
    for sid, group in sorted(template.sessions().items()):
        weekday = group[0].weekday
        f = fill.get(weekday, 1.0) if isinstance(fill, dict) else fill
        sched = session_schedule(model, group, punctual=punctual, fill=f)
        if with_p90:
            # exact p90 from truncated departure PMFs (the same value as p90_wait on the full
            # wait PMFs, a fraction of the cost)
            (ev,), p90 = evaluate_day([sched], 0.9)
        else:
            ev, p90 = evaluate(sched), float("nan")
        come = float((1.0 - ev.no_show).sum())
        capacity = sched.session_end * sm
        busy = float(ev.busy_mean) * sm
        out.append(
            SessionKPI(
                scenario=scenario,
                source="evaluator",
                weekday=weekday,
                doctor_session=sid,
                wait_mean=ev.total_wait_mean * sm / come if come > 0 else 0.0,
                wait_p90=p90 * sm,
                idle=float(ev.total_idle_mean + ev.idle_end_mean) * sm,
                overtime=float(ev.overtime_mean) * sm,
                utilization=min(busy / capacity, 10.0) if capacity > 0 else 0.0,
                patients_served=come,
                capacity_minutes=capacity,
            )
        )
    return out
