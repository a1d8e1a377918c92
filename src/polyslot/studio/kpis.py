"""The studio's one KPI engine: the KPIs of one clinic day of a template, fast enough to answer
every edit.

Every place of the studio that shows a KPI (editor, API, frontier, scenarios, compare) calls
:func:`day_kpis` and nothing else; it returns a :class:`DayKPIs` with each KPI's value, its
standard error (0 for an exact figure) and the ``source`` of the numbers. Replacing the engine
(issue 21: the one clinic-day model) touches only this module.

Today's engine is exact, per doctor (``source = "exact"``, every standard error 0): every
doctor session of the day becomes a :class:`~polyslot.schedule.Schedule` by exactly the
rules of :func:`polyslot.evaluation.sessions.session_schedule` (the visit type's consultation
PMF, its no-show rate at that weekday and hour, its punctuality; a slot is booked with
probability ``fill``), built from lookups prepared once per model (:class:`ModelIndex`), and
the day is evaluated by :func:`polyslot.evaluation.evaluate_day` (exact means and the exact
pooled 90th percentile of the wait).

What-if factors (:class:`WhatIf`) are the run's sensitivity parameters: the model is perturbed
by :func:`polyslot.analysis.perturb.perturb`; ``demand`` scales the booked share of the day's
slots, ``fill = min(1, demand factor x expected requests / slots)`` (the rule of the run's
sensitivity analysis for a template held fixed): slots beyond the expected requests stay
empty and behave like no-shows, so extra slots do not invent patients; the requests beyond the
slots are the unmet demand, ``max(0, demand factor x expected requests - slots)``.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyslot.analysis.perturb import perturb
from polyslot.clinic_model import ClinicModel
from polyslot.errors import InputError
from polyslot.evaluation import evaluate_day
from polyslot.schedule import ArrivalOffsets, PatientSpec, Schedule
from polyslot.template import Slot, SlotTemplate

__all__ = [
    "WhatIf",
    "ModelIndex",
    "DayKPIs",
    "day_kpis",
    "KPI_KEYS",
    "KPI_LABELS",
    "WHATIF_LIMITS",
    "WHATIF_STEP",
    "ANY",
]

#: Unreserved slot (any visit type may book it).
ANY = "any"

#: The KPI keys (issue 21's contract: the keys of comparison.csv without the suffixes).
KPI_KEYS = (
    "wait_mean",
    "wait_p90",
    "utilization",
    "overtime",
    "idle",
    "patients_served",
    "unmet_demand",
)

#: KPI name -> (label, unit) in display order (utilisation is a fraction, shown in percent).
KPI_LABELS: dict[str, tuple[str, str]] = {
    "wait_mean": ("Mean wait", "min"),
    "wait_p90": ("90th percentile wait", "min"),
    "idle": ("Doctor idle", "min"),
    "overtime": ("Overtime", "min"),
    "utilization": ("Utilisation", "%"),
    "patients_served": ("Patients served", "/day"),
    "unmet_demand": ("Unmet demand", "/day"),
}

#: What-if factor -> (lowest, highest) accepted: the server's check and the sliders' range (the
#: editor renders these numbers into its sliders).
WHATIF_LIMITS: dict[str, tuple[float, float]] = {
    "no_show": (0.0, 2.0),
    "duration_mean": (0.5, 2.0),
    "duration_cv": (0.5, 2.0),
    "demand": (0.0, 2.0),
    "punctuality": (0.0, 2.0),
}
#: Slider step of every what-if factor.
WHATIF_STEP = 0.05

#: ``source`` label of this engine and the caption the pages show for it.
SOURCE = "exact"
SOURCE_NOTE = (
    "exact evaluator: each doctor works through their own list in appointment order "
    "(per-doctor queues, no walk-ins); exact values, standard error 0"
)


@dataclass(frozen=True)
class WhatIf:
    """Multiplicative what-if factors (1.0 = as estimated by the run)."""

    no_show: float = 1.0
    duration_mean: float = 1.0
    duration_cv: float = 1.0
    demand: float = 1.0
    punctuality: float = 1.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            lo, hi = WHATIF_LIMITS[f.name]
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
                raise InputError(f"must be a factor in [{lo:g}, {hi:g}]", field=f.name, value=v)

    def as_dict(self) -> dict[str, float]:
        """``{factor: value}``."""
        return {f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def apply(self, model: ClinicModel) -> ClinicModel:
        """The perturbed model (demand is applied through the fill, not here)."""
        for name in ("no_show", "duration_mean", "duration_cv", "punctuality"):
            factor = float(getattr(self, name))
            if factor != 1.0:
                model = perturb(model, name, factor)
        return model


class ModelIndex:
    """Dictionary lookups of one :class:`ClinicModel` under what-if factors (built once per model
    and factors; the schedules it makes share their distribution tuples, so the evaluator's
    preparation cache hits).

    Parameters
    ----------
    model : ClinicModel
        The run's model.
    whatif : WhatIf, optional
        Factors applied to the model (:meth:`WhatIf.apply`) and, ``demand``, to the fill.
    """

    def __init__(self, model: ClinicModel, whatif: WhatIf | None = None) -> None:
        self.whatif = whatif or WhatIf()
        model = self.whatif.apply(model)
        try:  # polyslot's own rows for unreserved slots, when it has them
            with_unreserved = importlib.import_module("polyslot.unreserved").with_unreserved
        except (ImportError, AttributeError):
            with_unreserved = None
        if with_unreserved is not None:
            model = with_unreserved(model)
        self.model = model
        self.slot_minutes = int(model.slot_minutes)
        self.service = {s.visit_type: s.pmf for s in model.service}
        self.punctuality: dict[str, ArrivalOffsets | None] = {}
        for vt in self.service:  # the visit types and, when the model has them, "any"
            pu = model.punctuality_for(vt)
            self.punctuality[vt] = (
                None if pu.offsets == (0,) else ArrivalOffsets(pu.offsets, pu.pmf)
            )
        self.no_show = {(r.visit_type, r.weekday, r.hour): r.rate for r in model.no_show}
        self.no_show_mean: dict[str, float] = {}
        for vt in {r.visit_type for r in model.no_show}:
            rates = [r.rate for r in model.no_show if r.visit_type == vt]
            self.no_show_mean[vt] = float(sum(rates) / len(rates))
        self.sessions = {(s.weekday, s.session_id): s for s in model.sessions}
        self.demand: dict[int, float] = {}
        for d in model.demand:
            self.demand[d.weekday] = self.demand.get(d.weekday, 0.0) + float(d.mean)
        self._any: dict[int, tuple[tuple[float, ...], ArrivalOffsets | None]] = {}

    @property
    def visit_types(self) -> tuple[str, ...]:
        """The model's visit types."""
        return tuple(self.model.visit_types)

    def rate(self, visit_type: str, weekday: int, hour: int) -> float:
        """No-show rate as :meth:`ClinicModel.no_show_rate` (unreserved: demand-weighted)."""
        if visit_type == ANY and visit_type not in self.service:
            mix = self._mix_weights(weekday)
            return float(sum(w * self.rate(vt, weekday, hour) for vt, w in mix.items()))
        exact = self.no_show.get((visit_type, weekday, hour))
        if exact is not None:
            return exact
        return self.no_show_mean.get(visit_type, 0.0)

    def _mix_weights(self, weekday: int) -> dict[str, float]:
        w = {d.visit_type: float(d.mean) for d in self.model.demand if d.weekday == weekday}
        total = sum(w.values())
        if total <= 0:
            return {vt: 1.0 / len(self.visit_types) for vt in self.visit_types}
        return {vt: v / total for vt, v in w.items() if v > 0 and vt in self.service}

    def service_of(self, visit_type: str, weekday: int) -> tuple[tuple[float, ...], Any]:
        """Consultation PMF and punctuality of a slot's visit type (unreserved slots: the model's
        ``any`` rows, or else the weekday's demand-weighted mixture of PMFs, punctual)."""
        if visit_type in self.service:
            return self.service[visit_type], self.punctuality.get(visit_type)
        if visit_type != ANY:
            raise InputError("unknown visit type", field="visit_type", value=visit_type)
        hit = self._any.get(weekday)
        if hit is None:
            mix = self._mix_weights(weekday)
            width = max(len(self.service[vt]) for vt in mix)
            pmf = np.zeros(width)
            for vt, w in mix.items():
                pmf[: len(self.service[vt])] += w * np.asarray(self.service[vt])
            hit = (tuple(float(x) for x in pmf / pmf.sum()), None)
            self._any[weekday] = hit
        return hit

    def fill(self, template_day: SlotTemplate, weekday: int, factor: float) -> float:
        """Booked share of the day's slots: ``min(1, factor x expected requests / slots)``
        (1 when the model has no demand for the weekday)."""
        slots = sum(1 for s in template_day.slots if s.weekday == weekday)
        demand = self.demand.get(weekday, 0.0)
        if not slots or demand <= 0:
            return 1.0
        return min(1.0, factor * demand / slots)

    def schedule(self, slots: list[Slot], fill: float) -> Schedule:
        """The session's exact-evaluator schedule (rules of ``session_schedule``)."""
        group = sorted(slots, key=lambda s: s.start_minute)
        sid, weekday = group[0].doctor_session, group[0].weekday
        sm = self.slot_minutes
        sess = self.sessions.get((weekday, sid))
        if sess is not None:
            start, end = sess.start_minute, sess.end_minute
        else:
            start = group[0].start_minute
            end = max(s.start_minute + s.duration_minutes for s in group)
        start = min(start, group[0].start_minute)
        keep = min(1.0, max(0.0, fill))
        patients = []
        for s in group:
            p = self.rate(s.visit_type, weekday, s.hour)
            service, punct = self.service_of(s.visit_type, weekday)
            patients.append(
                PatientSpec(
                    appointment=int(round((s.start_minute - start) / sm)),
                    service=service,
                    no_show=1.0 - (1.0 - p) * keep,
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


@dataclass(frozen=True)
class DayKPIs:
    """KPIs of one clinic day (minutes; utilisation as a fraction; patients per day).

    ``se`` holds each KPI's standard error (0.0 for an exact figure, None when unknown),
    ``source`` the engine's label and ``note`` the caption the pages show for it.
    """

    wait_mean: float
    wait_p90: float
    idle: float
    overtime: float
    utilization: float
    patients_served: float
    unmet_demand: float
    slots: int
    by_hour: dict[int, float]
    se: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(KPI_KEYS, 0.0))
    source: str = SOURCE
    note: str = SOURCE_NOTE

    def value(self, name: str) -> float:
        """The value of KPI ``name``."""
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (hours as ``HH:00`` keys)."""
        d = dataclasses.asdict(self)
        d["by_hour"] = {f"{h:02d}:00": round(v, 4) for h, v in sorted(self.by_hour.items())}
        return d


def _empty() -> DayKPIs:
    return DayKPIs(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, {})


def day_kpis(index: ModelIndex, template: SlotTemplate, weekday: int) -> DayKPIs:
    """KPIs of ``weekday`` of ``template`` under the index's what-if factors (the studio's one
    KPI function): every doctor session evaluated exactly.

    The result is a function of the day's slots in the template's order (sessions by id,
    slots by time; patients booked at the same time are seen in that order): the same day
    gives the same numbers, bit for bit.
    """
    day = [s for s in template.slots if s.weekday == weekday]
    if not day:
        return _empty()
    factor = float(index.whatif.demand)
    fill = index.fill(template, weekday, factor)
    groups: dict[str, list[Slot]] = {}
    for s in day:
        groups.setdefault(s.doctor_session, []).append(s)
    scheds = [index.schedule(groups[sid], fill) for sid in sorted(groups)]
    evals, q90 = evaluate_day(scheds)
    sm = float(index.slot_minutes)
    come = wait = idle = over = busy = cap = 0.0
    hours: dict[int, list[float]] = {}
    for sched, ev in zip(scheds, evals, strict=True):
        w = 1.0 - ev.no_show
        come += float(w.sum())
        wait += ev.total_wait_mean
        idle += ev.total_idle_mean + ev.idle_end_mean
        over += ev.overtime_mean
        busy += ev.busy_mean
        cap += sched.session_end
        start = int(sched.meta["start_minute"])
        for k in range(ev.n_patients):
            h = (start + int(ev.appointment[k]) * int(sm)) // 60
            acc = hours.setdefault(h, [0.0, 0.0])
            acc[0] += float(w[k] * ev.wait_mean[k])
            acc[1] += float(w[k])
    demand = factor * index.demand.get(weekday, 0.0)
    return DayKPIs(
        wait_mean=wait * sm / come if come > 0 else 0.0,
        wait_p90=q90 * sm,
        idle=idle * sm,
        overtime=over * sm,
        utilization=busy / cap if cap > 0 else 0.0,
        patients_served=come,
        unmet_demand=max(0.0, demand - len(day)),
        slots=len(day),
        by_hour={h: (a[0] / a[1] * sm if a[1] > 0 else 0.0) for h, a in sorted(hours.items())},
    )
