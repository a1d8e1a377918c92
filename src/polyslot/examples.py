"""A small, fully specified ClinicModel for examples, docs and tests (no data needed)."""

from __future__ import annotations

from polyslot.clinic_model import (
    ClinicModel,
    DemandRate,
    DoctorSession,
    HourlyValue,
    NoShowRate,
    Punctuality,
    ServiceTime,
)
from polyslot.distributions import discretize, lognormal
from polyslot.template import Slot, SlotTemplate

__all__ = ["example_clinic_model", "tiny_run_overrides"]

_VISITS = {
    # visit type: (mean minutes, cv, no-show rate, requests per day)
    "acute": (8.0, 0.5, 0.08, 30.0),
    "chronic_followup": (15.0, 0.4, 0.15, 24.0),
    "new_patient": (20.0, 0.6, 0.25, 8.0),
}
_HOURS_AM = (8, 9, 10, 11)
_HOURS_PM = (13, 14, 15, 16)


def example_clinic_model(doctors: int = 3, polyclinic_id: str = "EX01") -> ClinicModel:
    """A three-visit-type clinic open Mon-Fri 08:00-12:00 and 13:00-17:00.

    Parameters
    ----------
    doctors : int
        Doctors on duty in every session.
    polyclinic_id : str
        Identifier to give the clinic.
    """
    service = tuple(
        ServiceTime(
            visit_type=v,
            pmf=tuple(discretize(lognormal(m, cv), 1.0)),
            mean_minutes=m,
            cv=cv,
            family="lognormal",
            params={"mean": m, "cv": cv},
            n_obs=1000,
        )
        for v, (m, cv, _, _) in _VISITS.items()
    )
    punct = tuple(
        Punctuality(v, (-10, -5, 0, 5, 15), (0.25, 0.35, 0.25, 0.1, 0.05), 0.05) for v in _VISITS
    )
    hours = _HOURS_AM + _HOURS_PM
    weekdays = range(5)
    no_show = tuple(
        NoShowRate(v, d, h, p)
        for v, (_, _, p, _) in _VISITS.items()
        for d in weekdays
        for h in hours
    )
    demand = tuple(
        DemandRate(
            v, d, lam * (1.2 if d == 0 else 1.0), lam, lam - 1.64 * lam**0.5, lam + 1.64 * lam**0.5
        )
        for v, (_, _, _, lam) in _VISITS.items()
        for d in weekdays
    )
    pref_weights = {8: 3, 9: 3, 10: 2, 11: 1, 13: 1, 14: 1, 15: 1, 16: 1}
    total_w = sum(pref_weights.values())
    preference = tuple(
        HourlyValue(d, h, pref_weights[h] / total_w, v)
        for v in _VISITS
        for d in weekdays
        for h in hours
    )
    walk_ins = tuple(HourlyValue(d, h, 1.0 if h < 12 else 0.5) for d in weekdays for h in hours)
    staffing = tuple(HourlyValue(d, h, float(doctors)) for d in weekdays for h in hours)
    sessions = []
    slots = []
    for d in weekdays:
        for part, (start, end) in (("AM", (480, 720)), ("PM", (780, 1020))):
            for i in range(doctors):
                sid = f"{d}-{part}-{i + 1}"
                sessions.append(DoctorSession(d, sid, start, end))
                # today's template: block booking of 3 patients at the session start, then
                # 15-minute slots cycling through the visit types.
                vts = list(_VISITS)
                for j in range(3):
                    slots.append(Slot(d, start, 15, vts[j % 3], sid))
                for j, t in enumerate(range(start + 15, end, 15)):
                    slots.append(Slot(d, t, 15, vts[j % 3], sid))
    return ClinicModel(
        polyclinic_id=polyclinic_id,
        slot_minutes=1,
        visit_types=tuple(_VISITS),
        service=service,
        punctuality=punct,
        no_show=no_show,
        demand=demand,
        preference=preference,
        walk_ins=walk_ins,
        staffing=staffing,
        sessions=tuple(sessions),
        current_template=SlotTemplate(polyclinic_id, tuple(slots), 60, "current"),
        opening={d: (480, 1020) for d in weekdays},
        meta={"source": "example"},
    )


def tiny_run_overrides() -> dict:
    """Overrides of :class:`polyslot.config.RunConfig` for a run in well under a minute.

    One polyclinic x 6 weeks, one week held back, few replications, a short sensitivity sweep:
    for tests, demos and smoke checks (``load_config(overrides=tiny_run_overrides())``).
    """
    return {
        "workers": 1,
        "holdout_days": 7,
        "sample": {"polyclinics": 1, "days": 42},
        "simulate": {"min_replications": 3, "max_replications": 4},
        "sensitivity": {
            "reoptimise": False,
            "no_show": [0.5, 1.0, 2.0],
            "duration_mean": [1.0],
            "duration_cv": [1.0],
            "demand": [1.0],
            "punctuality": [1.0],
        },
        "optimize": {"sequencing_max_iter": 5},
    }
