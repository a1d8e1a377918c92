"""How full a template gets: expected bookings when demand is below the number of slots.

Templates are evaluated and simulated slot by slot, and a slot nobody books behaves, for the queue,
exactly like a booked patient who does not come. So a template with ``n`` slots of visit type
``v`` on weekday ``d`` facing ``D`` expected requests is booked to the fraction
``fill = min(1, D / n)``, and :func:`booked_model` folds that into the no-show probabilities:
``p' = 1 - (1 - p) * fill``. Requests beyond the slots are unmet demand (reported separately),
so a template never looks better by offering slots nobody asked for, nor by offering fewer.
"""

from __future__ import annotations

import dataclasses

from polyslot.clinic_model import ClinicModel
from polyslot.template import ANY_VISIT_TYPE, SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = ["fill_fractions", "booked_model"]


def fill_fractions(model: ClinicModel, template: SlotTemplate) -> dict[tuple[int, str], float]:
    """``{(weekday, visit_type): fill}`` for every weekday x visit type the template offers.

    Unreserved slots (visit type ``"any"``) take the requests the reserved slots of their
    weekday cannot hold: ``fill = min(1, sum_v max(0, D_v - n_v) / n_any)``.
    """
    slots: dict[tuple[int, str], int] = {}
    for s in template.slots:
        key = (s.weekday, s.visit_type)
        slots[key] = slots.get(key, 0) + 1
    demand = {(r.weekday, r.visit_type): r.mean for r in model.demand}
    out = {}
    for key, n in slots.items():
        wd, vt = key
        if vt == ANY_VISIT_TYPE:
            left = [
                max(0.0, d - slots.get((w, v), 0))
                for (w, v), d in demand.items()
                if w == wd and v != ANY_VISIT_TYPE
            ]
            out[key] = 1.0 if not left else max(0.0, min(1.0, sum(left) / n))
            continue
        d = demand.get(key)
        out[key] = 1.0 if d is None else max(0.0, min(1.0, d / n))
    return out


def booked_model(model: ClinicModel, template: SlotTemplate) -> ClinicModel:
    """``model`` whose no-show rates also account for slots left unbooked (see module doc)."""
    fill = fill_fractions(model, template)
    if any(vt == ANY_VISIT_TYPE for _, vt in fill):
        model = with_unreserved(model)
    rates = []
    for r in model.no_show:
        f = fill.get((r.weekday, r.visit_type), 1.0)
        rates.append(dataclasses.replace(r, rate=1.0 - (1.0 - r.rate) * f) if f < 1.0 else r)
    return dataclasses.replace(model, no_show=tuple(rates))
