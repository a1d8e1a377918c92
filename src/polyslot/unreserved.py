"""Unreserved slots: what a slot open to every visit type looks like to the queue.

A template slot whose visit type is :data:`polyslot.template.ANY_VISIT_TYPE` (``"any"``) can be
booked by a request of any visit type. Its patient is therefore a draw from the mix of visit
types that book it: consultation time, punctuality and no-show probability are mixtures of the
visit types' own, weighted by their expected requests (summed over the week for consultation
time and punctuality, of that weekday for no-shows; equal weights when no demand is known).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from polyslot.clinic_model import ClinicModel, NoShowRate, Punctuality, ServiceTime
from polyslot.template import ANY_VISIT_TYPE

__all__ = [
    "demand_weights",
    "mixed_service",
    "mixed_punctuality",
    "mixed_no_show",
    "with_unreserved",
    "apportion",
]


def demand_weights(model: ClinicModel, weekday: int | None = None) -> dict[str, float]:
    """Share of each visit type in the expected requests (of ``weekday``, else the week)."""
    w = {v: 0.0 for v in model.visit_types}
    for d in model.demand:
        if d.visit_type in w and (weekday is None or d.weekday == weekday):
            w[d.visit_type] += max(0.0, float(d.mean))
    total = sum(w.values())
    if total <= 0:
        return {v: 1.0 / len(w) for v in w} if w else {}
    return {v: x / total for v, x in w.items()}


def mixed_service(model: ClinicModel) -> ServiceTime:
    """Consultation time of an unreserved slot's patient (demand-weighted mixture)."""
    weights = demand_weights(model)
    own = {s.visit_type: s for s in model.service if s.visit_type in weights}
    size = max(len(s.pmf) for s in own.values())
    pmf = np.zeros(size)
    m1 = m2 = 0.0
    for v, s in own.items():
        pmf[: len(s.pmf)] += weights[v] * np.asarray(s.pmf)
        m1 += weights[v] * s.mean_minutes
        m2 += weights[v] * s.mean_minutes**2 * (1.0 + s.cv**2)
    pmf /= pmf.sum()
    cv = float(np.sqrt(max(m2 / m1**2 - 1.0, 0.0)))
    return ServiceTime(
        ANY_VISIT_TYPE,
        tuple(float(p) for p in pmf),
        float(m1),
        cv,
        family="mixture",
        params={"mean": float(m1), "cv": cv},
        n_obs=sum(s.n_obs for s in own.values()),
    )


def mixed_punctuality(model: ClinicModel) -> Punctuality:
    """Punctuality of an unreserved slot's patient (demand-weighted mixture)."""
    weights = demand_weights(model)
    pmf: dict[int, float] = {}
    late = 0.0
    for v, w in weights.items():
        p = model.punctuality_for(v)
        late += w * p.very_late_share
        for o, q in zip(p.offsets, p.pmf, strict=True):
            pmf[o] = pmf.get(o, 0.0) + w * q
    offsets = tuple(sorted(pmf))
    total = sum(pmf.values())
    return Punctuality(ANY_VISIT_TYPE, offsets, tuple(pmf[o] / total for o in offsets), late)


def mixed_no_show(model: ClinicModel) -> tuple[NoShowRate, ...]:
    """No-show rate of an unreserved slot per weekday x hour the model knows."""
    cells = sorted({(r.weekday, r.hour) for r in model.no_show if r.visit_type != ANY_VISIT_TYPE})
    out = []
    for wd, hour in cells:
        weights = demand_weights(model, wd)
        rate = sum(w * model.no_show_rate(v, wd, hour) for v, w in weights.items())
        out.append(NoShowRate(ANY_VISIT_TYPE, wd, hour, min(1.0, max(0.0, float(rate)))))
    return tuple(out)


def with_unreserved(model: ClinicModel) -> ClinicModel:
    """``model`` with explicit ``"any"`` rows for service, punctuality and no-shows.

    Idempotent; a model without visit types is returned unchanged. The rows are what
    :meth:`ClinicModel.service_for` etc. would compute on the fly, made explicit so that code
    reading ``model.no_show`` directly (expected bookings, perturbations) sees them too.
    """
    if not model.visit_types or any(s.visit_type == ANY_VISIT_TYPE for s in model.service):
        return model
    return dataclasses.replace(
        model,
        service=(*model.service, mixed_service(model)),
        punctuality=(*model.punctuality, mixed_punctuality(model)),
        no_show=(*model.no_show, *mixed_no_show(model)),
    )


def apportion(n: int, weights: tuple[float, ...], vts: tuple[str, ...]) -> dict[str, int]:
    """``n`` slots shared among ``vts`` in proportion to ``weights`` (largest remainder)."""
    total = sum(weights)
    w = [x / total for x in weights] if total > 0 else [1.0 / len(vts)] * len(vts)
    base = [int(n * x) for x in w]
    order = sorted(range(len(vts)), key=lambda i: (-(n * w[i] - base[i]), i))
    for i in order[: n - sum(base)]:
        base[i] += 1
    return dict(zip(vts, base, strict=True))
