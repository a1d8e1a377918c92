"""Perturbed copies of a ClinicModel for sensitivity analysis (pure functions).

Each function returns a new frozen :class:`~polyslot.clinic_model.ClinicModel` with one parameter
scaled by ``factor`` (1.0 returns an equal model):

- ``no_show``: every no-show rate times ``factor`` (capped at 0.95);
- ``duration_mean``: every consultation-time mean times ``factor`` at the same CV;
- ``duration_cv``: every consultation-time CV times ``factor`` at the same mean;
- ``demand``: expected requests (mean, variance, interval) times ``factor``;
- ``punctuality``: every arrival offset times ``factor`` (0 = everyone punctual).

Consultation times are re-discretised from the fitted family (``lognormal`` or ``gamma``; an
empirical distribution is treated as lognormal with its mean and CV).
"""

from __future__ import annotations

import dataclasses

from polyslot.clinic_model import ClinicModel, Punctuality, ServiceTime
from polyslot.distributions import FAMILIES, discretize
from polyslot.errors import InputError

__all__ = ["PARAMETERS", "perturb"]

PARAMETERS = ("no_show", "duration_mean", "duration_cv", "demand", "punctuality")
MAX_NO_SHOW = 0.95


def _service(s: ServiceTime, mean: float, cv: float, slot_minutes: int) -> ServiceTime:
    family = s.family if s.family in FAMILIES else "lognormal"
    pmf = discretize(FAMILIES[family](mean, cv), slot_minutes)
    return dataclasses.replace(
        s, pmf=tuple(pmf), mean_minutes=mean, cv=cv, params={"mean": mean, "cv": cv}
    )


def _punctuality(p: Punctuality, factor: float, slot_minutes: int) -> Punctuality:
    mass: dict[int, float] = {}
    for o, w in zip(p.offsets, p.pmf, strict=True):
        key = int(round(o * factor))
        mass[key] = mass.get(key, 0.0) + w
    offsets = tuple(sorted(mass))
    late = sum(w for o, w in mass.items() if o * slot_minutes > 15)
    return Punctuality(p.visit_type, offsets, tuple(mass[o] for o in offsets), late)


def perturb(model: ClinicModel, parameter: str, factor: float) -> ClinicModel:
    """Return ``model`` with ``parameter`` scaled by ``factor`` (see module docstring)."""
    if parameter not in PARAMETERS:
        raise InputError(f"must be one of {PARAMETERS}", field="parameter", value=parameter)
    if not factor >= 0:
        raise InputError("must be >= 0", field="factor", value=factor)
    if factor == 1.0:
        return model
    sm = model.slot_minutes
    if parameter == "no_show":
        rates = tuple(
            dataclasses.replace(r, rate=min(MAX_NO_SHOW, r.rate * factor)) for r in model.no_show
        )
        return dataclasses.replace(model, no_show=rates)
    if parameter in ("duration_mean", "duration_cv"):
        if factor <= 0:
            raise InputError("must be > 0 for consultation times", field="factor", value=factor)
        service = tuple(
            _service(
                s,
                s.mean_minutes * (factor if parameter == "duration_mean" else 1.0),
                s.cv * (factor if parameter == "duration_cv" else 1.0),
                sm,
            )
            for s in model.service
        )
        return dataclasses.replace(model, service=service)
    if parameter == "demand":
        demand = tuple(
            dataclasses.replace(
                d,
                mean=d.mean * factor,
                variance=d.variance * factor,
                lower=d.lower * factor,
                upper=d.upper * factor,
            )
            for d in model.demand
        )
        walk_ins = tuple(dataclasses.replace(w, value=w.value * factor) for w in model.walk_ins)
        return dataclasses.replace(model, demand=demand, walk_ins=walk_ins)
    punct = tuple(_punctuality(p, factor, sm) for p in model.punctuality)
    return dataclasses.replace(model, punctuality=punct)
