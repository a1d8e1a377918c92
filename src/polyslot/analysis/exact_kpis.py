"""Exact per-session KPIs of a SlotTemplate: each doctor session evaluated by the Lindley recursion.

A doctor session of the template becomes a :class:`~polyslot.schedule.Schedule`: appointment slots
relative to the session start, the visit type's consultation-time PMF, the no-show rate of the
visit type at that weekday and hour, and (optionally) the visit type's punctuality. The session
end is the roster end of the session (or the end of its last slot when the session is not in the
model). Unfilled slots are modelled as no-shows: with ``fill`` < 1 a slot is booked with
probability ``fill`` and the patient then comes with probability ``1 - p``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.evaluation import Evaluation, evaluate
from polyslot.results import SessionKPI
from polyslot.schedule import PatientSpec, Punctuality, Schedule
from polyslot.template import Slot, SlotTemplate

__all__ = ["session_schedule", "template_session_kpis", "p90_wait"]


def session_schedule(
    model: ClinicModel,
    slots: Iterable[Slot],
    *,
    punctual: bool = False,
    fill: float = 1.0,
) -> Schedule:
    """The exact-evaluator schedule of one doctor session's slots."""
    group = sorted(slots, key=lambda s: s.start_minute)
    if not group:
        raise ValueError("a session needs at least one slot")
    sid = group[0].doctor_session
    weekday = group[0].weekday
    sessions = {s.session_id: s for s in model.sessions if s.weekday == weekday}
    sm = model.slot_minutes
    if sid in sessions:
        start, end = sessions[sid].start_minute, sessions[sid].end_minute
    else:
        start = group[0].start_minute
        end = max(s.start_minute + s.duration_minutes for s in group)
    start = min(start, group[0].start_minute)
    patients = []
    for s in group:
        p = model.no_show_rate(s.visit_type, weekday, s.hour)
        p_absent = 1.0 - (1.0 - p) * min(1.0, max(0.0, fill))
        punct = None
        if not punctual:
            pu = model.punctuality_for(s.visit_type)
            if pu.offsets != (0,):
                punct = Punctuality(pu.offsets, pu.pmf)
        patients.append(
            PatientSpec(
                appointment=int(round((s.start_minute - start) / sm)),
                service=model.service_for(s.visit_type).pmf,
                no_show=p_absent,
                punctuality=punct,
                visit_type=s.visit_type,
            )
        )
    return Schedule(
        session_end=max(1, int(round((end - start) / sm))),
        patients=tuple(patients),
        slot_minutes=float(sm),
        meta={"session": sid, "weekday": weekday, "start_minute": start},
    )


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
        ev = evaluate(sched, wait_pmfs=with_p90)
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
                wait_p90=p90_wait(ev) * sm if with_p90 else float("nan"),
                idle=float(ev.total_idle_mean + ev.idle_end_mean) * sm,
                overtime=float(ev.overtime_mean) * sm,
                utilization=min(busy / capacity, 10.0) if capacity > 0 else 0.0,
                patients_served=come,
                capacity_minutes=capacity,
            )
        )
    return out
