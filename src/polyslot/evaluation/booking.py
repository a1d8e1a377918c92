"""How full a template gets: expected bookings when demand is below the number of slots.

Templates are evaluated and simulated slot by slot, and a slot nobody books behaves, for the queue,
exactly like a booked patient who does not come. For weekday ``d`` and visit type ``v`` with
``D`` requests a day (bookings, cancelled ones included, as counted by estimation; normal with
the model's mean and variance), ``E[min(D, n)]`` of its ``n`` slots are booked on average:

* **Preferred hours.** Requests fill the slots of the hours patients prefer first: hour ``h``
  (preference share ``pi_h``, :attr:`ClinicModel.preference`) books ``min(n_h, D pi_h)`` of its
  ``n_h`` slots; requests left over spill to the remaining free slots in proportion to them. So
  unpopular hours are the ones left empty, as in the history (not a uniform random spread).
  Without preferences every slot is filled to ``min(1, D / n)``.
* **Cancellations.** A booking is cancelled with the history's share ``c`` of the visit type
  (``ClinicModel.meta["history"]["cancellation"]``, from the store). The history records no
  cancellation time, so every cancellation is taken as late: its slot stays empty (an early one
  would be rebooked; with no timing the rebooking probability is 0). A cancelled booking is
  never a patient.

The booked fraction ``f_h`` of hour ``h`` folds into the no-show probability:
``p' = 1 - (1 - p) (1 - c) f_h``. Requests beyond the slots are unmet demand (reported
separately), so a template never looks better by offering slots nobody asked for, nor by
offering fewer. The same rule serves the exact evaluator, the simulator and the frontier; the
replay places the recorded patients on the free slot nearest their recorded time (their
preferred hour), the same rule applied to real bookings.

Unreserved slots (visit type ``"any"``) take the requests the reserved slots of their weekday
cannot hold: the expected overflow ``D_v - E[min(D_v, n_v)]`` summed over the visit types.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from polyslot.clinic_model import ClinicModel, NoShowRate
from polyslot.distributions import expected_unmet
from polyslot.template import ANY_VISIT_TYPE, SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = ["fill_fractions", "hourly_fill", "cancellation_shares", "booked_model"]


def fill_fractions(model: ClinicModel, template: SlotTemplate) -> dict[tuple[int, str], float]:
    """``{(weekday, visit_type): fill}`` for every weekday x visit type the template offers."""
    slots: dict[tuple[int, str], int] = {}
    for s in template.slots:
        key = (s.weekday, s.visit_type)
        slots[key] = slots.get(key, 0) + 1
    demand = {(r.weekday, r.visit_type): r.mean for r in model.demand}
    out = {}
    for key, n in slots.items():
        d = demand.get(key)
        out[key] = 1.0 if d is None else max(0.0, min(1.0, d / n))
    return out


def hourly_fill(model: ClinicModel, template: SlotTemplate) -> dict[tuple[int, str, int], float]:
    """``{(weekday, visit_type, hour): booked fraction}``: requests fill preferred hours first."""
    slots: dict[tuple[int, str], dict[int, int]] = {}
    for s in template.slots:
        hours = slots.setdefault((s.weekday, s.visit_type), {})
        hours[s.hour] = hours.get(s.hour, 0) + 1
    demand = {(r.weekday, r.visit_type): (r.mean, r.variance) for r in model.demand}
    demand.update(_unreserved_demand(model, template))
    pref: dict[tuple[int, str], dict[int, float]] = {}
    for p in model.preference:
        if p.visit_type is not None:
            pref.setdefault((p.weekday, p.visit_type), {})[p.hour] = float(p.value)
    out: dict[tuple[int, str, int], float] = {}
    for key, hours in slots.items():
        n = sum(hours.values())
        dv = demand.get(key)
        if dv is None:
            out.update({(*key, h): 1.0 for h in hours})
            continue
        # expected bookings E[min(D, n)]: a busy day fills every slot, a quiet one leaves gaps
        d = max(0.0, min(float(n), dv[0] - expected_unmet(dv[0], dv[1], n)))
        share = pref.get(key, {})
        total = sum(share.get(h, 0.0) for h in hours)
        if total <= 0:  # no preference known for these hours: an even spread
            out.update({(*key, h): d / n for h in hours})
            continue
        first = {h: min(float(k), d * share.get(h, 0.0) / total) for h, k in hours.items()}
        left = d - sum(first.values())
        free = {h: hours[h] - first[h] for h in hours}
        room = sum(free.values())
        for h, k in hours.items():
            extra = left * free[h] / room if room > 0 else 0.0
            out[(*key, h)] = max(0.0, min(1.0, (first[h] + extra) / k))
    return out


def cancellation_shares(model: ClinicModel) -> Mapping[str, float]:
    """Share of bookings cancelled per visit type (``meta["history"]``; empty when unknown)."""
    hist = model.meta.get("history") or {}
    return {str(k): float(v) for k, v in (hist.get("cancellation") or {}).items()}


def _unreserved_demand(
    model: ClinicModel, template: SlotTemplate
) -> dict[tuple[int, str], tuple[float, float]]:
    """Requests left for the unreserved slots of each weekday: per visit type the expected
    overflow of its reserved slots, ``D_v - E[min(D_v, n_v)]``, summed (variance: the visit
    types' variances, summed, as an upper bound)."""
    n: dict[tuple[int, str], int] = {}
    for s in template.slots:
        n[(s.weekday, s.visit_type)] = n.get((s.weekday, s.visit_type), 0) + 1
    out: dict[tuple[int, str], tuple[float, float]] = {}
    for wd in {w for (w, v) in n if v == ANY_VISIT_TYPE}:
        mean = var = 0.0
        for r in model.demand:
            if r.weekday == wd and r.visit_type != ANY_VISIT_TYPE:
                mean += expected_unmet(r.mean, r.variance, n.get((wd, r.visit_type), 0))
                var += r.variance
        out[(wd, ANY_VISIT_TYPE)] = (mean, var)
    return out


def booked_model(model: ClinicModel, template: SlotTemplate) -> ClinicModel:
    """``model`` whose no-show rates also account for unbooked and cancelled slots."""
    if any(s.visit_type == ANY_VISIT_TYPE for s in template.slots):
        model = with_unreserved(model)  # the visit-type mix of the unreserved slots
    fill = hourly_fill(model, template)
    cancel = cancellation_shares(model)
    rates = {(r.visit_type, r.weekday, r.hour): r for r in model.no_show}
    for (wd, vt, h), f in fill.items():
        keep = (1.0 - cancel.get(vt, 0.0)) * f
        if keep >= 1.0:
            continue
        base = rates.get((vt, wd, h))
        p = base.rate if base is not None else model.no_show_rate(vt, wd, h)
        new = 1.0 - (1.0 - p) * keep
        rates[(vt, wd, h)] = (
            dataclasses.replace(base, rate=new) if base is not None else NoShowRate(vt, wd, h, new)
        )
    return dataclasses.replace(model, no_show=tuple(rates[k] for k in sorted(rates)))
