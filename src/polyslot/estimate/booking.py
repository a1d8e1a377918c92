"""The booking model, learned from the history it must reproduce.

How full a template's slots get is one rule for every template (:mod:`polyslot.day.booking`):
``E[min(D, n)]`` of a weekday's ``n`` slots of a visit type are booked, ``D`` the requests a day,
and a share ``c`` of the bookings is cancelled late. This module makes the rule reproduce the
history under today's template:

* ``c`` per visit type is the history's share of cancelled bookings;
* the history's bookings a day are divided by ``1 - a l`` (``a`` the weekday's doctor absence
  rate, ``l`` the share of an absent doctor's bookings lost, :mod:`polyslot.estimate.absence`):
  the rule books a fully staffed day and the model's absences take their share off again;
* for every weekday and visit type of today's template (a weekday whose slots are all
  unreserved, as the evenly spaced template of a consultation log: the whole day, the visit
  types' demand scaled by one factor), the bookings a day of the last
  ``window`` days (cancelled ones included, capped at the slots) are compared with what the rule
  gives with the demand model. Where the slots were full on nearly every day (at least
  ``FULL_DAYS`` of them) the requests themselves are censored: the demand is raised to
  ``FULL_SIGMAS`` standard deviations above the slots (at least one request more), for the
  optimizer too: a session that was always full is full in the model. Where they differ by more
  than ``tolerance`` (a booking a day, or 2% of the slots) otherwise, the booking model learns
  the requests that book slots (the demand's mean moved, its variance kept, so that
  ``E[min(D, n)]`` equals the history's bookings; :meth:`ClinicModel.booking_demand`), and the
  demand forecast is left as it is. Each change is recorded in :attr:`ClinicModel.booking`
  with its evidence.

Every clinic day, of the current and the recommended template alike, is booked by the same
calibrated rule.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import pandas as pd

from polyslot.clinic_model import BookingModel, ClinicModel, DemandRate
from polyslot.distributions import expected_unmet
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS

__all__ = ["calibrate_booking", "FULL_DAYS", "FULL_SIGMAS", "booked_per_day"]

#: Share of days with every slot booked above which a weekday x visit type counts as full.
FULL_DAYS = 0.9
#: A full weekday x visit type gets its demand this many standard deviations above its slots.
FULL_SIGMAS = 2.0


def booked_per_day(mean: float, var: float, slots: int) -> float:
    """``E[min(D, n)]`` for normal demand ``D``."""
    return max(0.0, min(float(slots), mean - expected_unmet(mean, var, slots)))


def _solve_mean(target: float, var: float, slots: int) -> float:
    """The mean ``m`` with ``E[min(D, n)] = target`` (``D`` normal, variance ``var``)."""
    lo, hi = -10.0 * math.sqrt(var + 1.0), float(slots) + 10.0 * math.sqrt(var + 1.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        if booked_per_day(mid, var, slots) < target:
            lo = mid
        else:
            hi = mid
    return max(0.0, (lo + hi) / 2)


def _observed(
    daily: pd.DataFrame, open_days: pd.DataFrame, pid: str, window: int
) -> dict[tuple[int, str], list[int]]:
    """Bookings per open day of each weekday x visit type over the last ``window`` days."""
    days = sorted(pd.to_datetime(open_days.loc[open_days["polyclinic_id"] == pid, "d"]).dt.date)
    if not days:
        return {}
    last = days[-1]
    keep = [d for d in days if (last - d).days < window]
    mine = daily[daily["polyclinic_id"] == pid]
    counts: dict[tuple[str, object], int] = {}
    for r in mine.itertuples(index=False):
        d = pd.Timestamp(r.d).date()
        counts[(str(r.visit_type), d)] = counts.get((str(r.visit_type), d), 0) + int(r.y)
    out: dict[tuple[int, str], list[int]] = {}
    for vt in sorted({k[0] for k in counts}):
        for d in keep:
            out.setdefault((d.weekday(), vt), []).append(counts.get((vt, d), 0))
    return out


def _calibrate_unreserved(
    model: ClinicModel,
    slots: Mapping[tuple[int, str], int],
    observed: Mapping[tuple[int, str], list[int]],
    demand: Mapping[tuple[int, str], DemandRate],
    wd: int,
    tolerance: float,
) -> tuple[dict[tuple[int, str], DemandRate], dict] | None:
    """A weekday whose slots are all unreserved (e.g. the evenly spaced template of a
    consultation log): the whole day's bookings against ``E[min(sum_v D_v, n)]``; the visit
    types' demand scaled by one factor."""
    if any(wd2 == wd and vt != ANY_VISIT_TYPE for (wd2, vt) in slots):
        return None  # reserved slots beside: no per-day count of what the unreserved take
    n = slots.get((wd, ANY_VISIT_TYPE), 0)
    rates = {k: r for k, r in demand.items() if k[0] == wd}
    days = [observed[k] for k in observed if k[0] == wd]
    if n <= 0 or not rates or not days:
        return None
    per_day = [sum(ys) for ys in zip(*days, strict=True)]
    booked = sum(min(y, n) for y in per_day) / len(per_day)
    full = sum(1 for y in per_day if y >= n) / len(per_day)
    mean = sum(r.mean for r in rates.values())
    var = sum(r.variance for r in rates.values())
    model_booked = booked_per_day(mean, var, n)
    if full >= FULL_DAYS:
        target, applies = max(mean, n + FULL_SIGMAS * math.sqrt(var), n + 1.0), "demand"
    elif abs(model_booked - booked) > max(tolerance, 0.02 * n):
        target, applies = _solve_mean(booked, var, n), "booking"
    else:
        return None
    factor = target / mean if mean > 0 else 1.0
    moved = {
        k: dataclasses.replace(r, mean=r.mean * factor, lower=r.lower * factor,
                               upper=r.upper * factor)
        for k, r in rates.items()
    }  # fmt: skip
    change = {
        "weekday": WEEKDAYS[wd],
        "visit_type": ANY_VISIT_TYPE,
        "slots": n,
        "observed": round(booked, 4),
        "days": len(per_day),
        "full_share": round(full, 4),
        "model_before": round(model_booked, 4),
        "mean_before": round(mean, 4),
        "mean_after": round(target, 4),
        "applies_to": applies,
    }
    return moved, change


def calibrate_booking(
    model: ClinicModel,
    daily: pd.DataFrame,
    open_days: pd.DataFrame,
    cancellation: Mapping[str, float],
    *,
    window: int = 84,
    tolerance: float = 1.0,
) -> ClinicModel:
    """``model`` with its booking model (cancellations) and its demand calibrated on the
    history (see the module docstring).

    Parameters
    ----------
    daily : DataFrame
        Bookings per day: ``polyclinic_id``, ``visit_type``, ``d``, ``y`` (``agg_daily``).
    open_days : DataFrame
        Days the polyclinic was open: ``polyclinic_id``, ``d`` (``agg_open_days``).
    cancellation : mapping
        Share of bookings cancelled, per visit type.
    """
    slots: dict[tuple[int, str], int] = {}
    for s in model.current_template.slots:
        slots[(s.weekday, s.visit_type)] = slots.get((s.weekday, s.visit_type), 0) + 1
    unreserved = {wd for (wd, vt) in slots if vt == ANY_VISIT_TYPE}
    observed = _observed(daily, open_days, model.polyclinic_id, window)
    # absent doctors' lost bookings: the rule books a fully staffed day, the model's absences
    # take their share off again
    staffed = {
        wd: 1.0 - model.absence.on(wd) * model.absence.lost for wd in {w for (w, _) in slots}
    }
    demand = {(r.weekday, r.visit_type): r for r in model.demand}
    changes = []
    new_rates = dict(demand)
    booking_rates = []
    for (wd, vt), n in sorted(slots.items()):
        if vt == ANY_VISIT_TYPE or wd in unreserved or n <= 0:
            continue  # unreserved slots take any visit type's overflow: no per-type count
        ys = observed.get((wd, vt))
        rate = demand.get((wd, vt))
        if not ys or rate is None:
            continue
        booked = min(float(n), sum(min(y, n) for y in ys) / len(ys) / staffed[wd])
        full = sum(1 for y in ys if y >= n) / len(ys)
        model_booked = booked_per_day(rate.mean, rate.variance, n)
        sd = math.sqrt(max(rate.variance, 0.0))
        if full >= FULL_DAYS:
            mean, applies = max(rate.mean, n + FULL_SIGMAS * sd, n + 1.0), "demand"
        elif abs(model_booked - booked) > max(tolerance, 0.02 * n):
            mean, applies = _solve_mean(booked, rate.variance, n), "booking"
        else:
            continue
        if abs(mean - rate.mean) < 1e-9:
            continue
        shift = mean - rate.mean
        moved = dataclasses.replace(
            rate, mean=mean, lower=max(0.0, rate.lower + shift), upper=rate.upper + shift
        )
        if applies == "demand":
            new_rates[(wd, vt)] = moved
        else:
            booking_rates.append(moved)
        changes.append(
            {
                "weekday": WEEKDAYS[wd],
                "visit_type": vt,
                "slots": n,
                "observed": round(booked, 4),
                "days": len(ys),
                "full_share": round(full, 4),
                "model_before": round(model_booked, 4),
                "mean_before": round(rate.mean, 4),
                "mean_after": round(mean, 4),
                "applies_to": applies,
            }
        )
    for wd in sorted(unreserved):
        found = _calibrate_unreserved(model, slots, observed, demand, wd, tolerance)
        if found is not None:
            rates_wd, change = found
            changes.append(change)
            if change["applies_to"] == "demand":
                new_rates.update(rates_wd)
            else:
                booking_rates.extend(rates_wd.values())
    booking = BookingModel(
        cancellation={k: float(v) for k, v in cancellation.items() if k in model.visit_types},
        demand=tuple(booking_rates),
        calibration=tuple(changes),
    )
    rates: tuple[DemandRate, ...] = tuple(
        new_rates[(r.weekday, r.visit_type)] for r in model.demand
    )
    return dataclasses.replace(model, demand=rates, booking=booking)
