"""Independent reference: the day's exact KPIs from evaluation.sessions.session_schedule and
polyslot.evaluate (full wait PMFs for the percentile), without the studio's code."""

from __future__ import annotations

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.evaluation import evaluate
from polyslot.evaluation.sessions import session_schedule
from polyslot.template import SlotTemplate


def fill_of(model: ClinicModel, template: SlotTemplate, weekday: int, factor: float = 1.0):
    slots = sum(1 for s in template.slots if s.weekday == weekday)
    demand = sum(d.mean for d in model.demand if d.weekday == weekday)
    return min(1.0, factor * demand / slots) if slots and demand > 0 else 1.0


def reference_day(model: ClinicModel, template: SlotTemplate, weekday: int, factor=1.0):
    """``{wait_mean, wait_p90, idle, overtime, patients_served}`` in minutes / patients."""
    f = fill_of(model, template, weekday, factor)
    sm = model.slot_minutes
    evals = [
        evaluate(session_schedule(model, g, fill=f), wait_pmfs=True)
        for _, g in sorted(template.for_weekday(weekday).sessions().items())
    ]
    come = sum(float((1 - e.no_show).sum()) for e in evals)
    size = max(len(p) for e in evals for p in e.wait_pmfs)
    mix = np.zeros(size)
    for e in evals:
        for w, pmf in zip(1 - e.no_show, e.wait_pmfs, strict=True):
            mix[: len(pmf)] += w * np.asarray(pmf)
    cdf = np.cumsum(mix / mix.sum())
    return {
        "wait_mean": sum(e.total_wait_mean for e in evals) * sm / come,
        "wait_p90": float(np.searchsorted(cdf, 0.9 - 1e-12)) * sm,
        "idle": sum(e.total_idle_mean + e.idle_end_mean for e in evals) * sm,
        "overtime": sum(e.overtime_mean for e in evals) * sm,
        "patients_served": come,
    }
