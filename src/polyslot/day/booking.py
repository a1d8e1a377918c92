"""How full a template gets: the one booking rule, the same for every template.

Templates are evaluated slot by slot, and a slot nobody books behaves, for the queue, exactly like
a booked patient who does not come. For weekday ``d`` and visit type ``v`` with ``D`` requests a
day (normal with the model's mean and variance; the model's demand is calibrated on the history
so that today's template reproduces the bookings it had: :meth:`ClinicModel.booking_demand`,
:mod:`polyslot.estimate.booking`),
``E[min(D, n)]`` of its ``n`` slots are booked on average:

* **Preferred hours.** Requests fill the slots of the hours patients prefer first: hour ``h``
  (preference share ``pi_h``, :attr:`ClinicModel.preference`) books ``min(n_h, D pi_h)`` of its
  ``n_h`` slots; requests left over spill to the remaining free slots in proportion to them. So
  unpopular hours are the ones left empty, as in the history (not a uniform random spread).
  Without preferences every slot is filled to ``min(1, D / n)``.
* **Cancellations.** A booking is cancelled late with the history's share ``c`` of the visit
  type (:attr:`ClinicModel.booking`); its slot stays empty. A cancelled booking is never a
  patient.

Requests beyond the slots are unmet demand (reported separately), so a template never looks better
by offering slots nobody asked for, nor by offering fewer. Unreserved slots (visit type ``"any"``)
take the requests the reserved slots of their weekday cannot hold: the expected overflow
``D_v - E[min(D_v, n_v)]`` summed over the visit types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from polyslot.clinic_model import ClinicModel
from polyslot.distributions import expected_unmet
from polyslot.template import ANY_VISIT_TYPE, Slot

__all__ = ["hourly_fill", "unmet_requests"]


def _unreserved_demand(
    model: ClinicModel, counts: Mapping[tuple[int, str], int]
) -> dict[tuple[int, str], tuple[float, float]]:
    """Requests left for the unreserved slots of each weekday: per visit type the expected
    overflow of its reserved slots, ``D_v - E[min(D_v, n_v)]``, summed (variance: the visit
    types' variances, summed, as an upper bound)."""
    out: dict[tuple[int, str], tuple[float, float]] = {}
    for wd in {w for (w, v) in counts if v == ANY_VISIT_TYPE}:
        mean = var = 0.0
        for r in model.demand:
            if r.weekday == wd and r.visit_type != ANY_VISIT_TYPE:
                mean += expected_unmet(r.mean, r.variance, counts.get((wd, r.visit_type), 0))
                var += r.variance
        out[(wd, ANY_VISIT_TYPE)] = (mean, var)
    return out


def hourly_fill(model: ClinicModel, slots: Iterable[Slot]) -> dict[tuple[int, str, int], float]:
    """``{(weekday, visit_type, hour): booked fraction}`` of ``slots``: requests fill preferred
    hours first (see the module docstring)."""
    by_hour: dict[tuple[int, str], dict[int, int]] = {}
    counts: dict[tuple[int, str], int] = {}
    for s in slots:
        hours = by_hour.setdefault((s.weekday, s.visit_type), {})
        hours[s.hour] = hours.get(s.hour, 0) + 1
        counts[(s.weekday, s.visit_type)] = counts.get((s.weekday, s.visit_type), 0) + 1
    demand = {(r.weekday, r.visit_type): (r.mean, r.variance) for r in model.booking_demand()}
    demand.update(_unreserved_demand(model, counts))
    pref: dict[tuple[int, str], dict[int, float]] = {}
    for p in model.preference:
        if p.visit_type is not None:
            pref.setdefault((p.weekday, p.visit_type), {})[p.hour] = float(p.value)
    out: dict[tuple[int, str, int], float] = {}
    for key, hours in sorted(by_hour.items()):
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
        for h, k in sorted(hours.items()):
            extra = left * free[h] / room if room > 0 else 0.0
            out[(*key, h)] = max(0.0, min(1.0, (first[h] + extra) / k))
    return out


def unmet_requests(model: ClinicModel, weekday: int, slots: Iterable[Slot]) -> float:
    """Expected requests of ``weekday`` beyond the slots offered: ``sum_v E[(D_v - n_v)^+]``,
    less what the unreserved slots absorb."""
    counts: dict[str, int] = {}
    for s in slots:
        if s.weekday == weekday:
            counts[s.visit_type] = counts.get(s.visit_type, 0) + 1
    over = 0.0
    for r in model.demand:
        if r.weekday == weekday and r.visit_type != ANY_VISIT_TYPE:
            over += expected_unmet(r.mean, r.variance, counts.get(r.visit_type, 0))
    n_any = counts.get(ANY_VISIT_TYPE, 0)
    return max(0.0, over - min(float(n_any), over)) if n_any else over
