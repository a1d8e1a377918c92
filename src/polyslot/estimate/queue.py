"""Which doctor sees whom: the queue discipline, estimated from the history.

In a pooled first-come-first-served queue whichever doctor is free sees the next patient, so no
patient who waits is overtaken by one who arrived later. When patients stay with the doctor
they booked, a patient of a busy doctor waits while the patient of an idle doctor, arrived
later, goes first. The share of waiting patients overtaken (someone who arrived later started
more than a minute earlier; ``agg_overtaking``) is the evidence:

* one doctor at a time: ``per_doctor`` (one list in appointment order, the exact single-doctor
  evaluator's order; with one doctor the two disciplines differ only in whom a late patient lets
  go first);
* else, at most :data:`POOLED_MAX` of them overtaken: ``pooled``; more: ``per_doctor``;
* no arrival and consultation times to compare (e.g. a consultation log) with several doctors:
  ``pooled``, the evidence saying so.

``[simulate] discipline`` overrides the estimate (:func:`polyslot.day.model_discipline`).
"""

from __future__ import annotations

import dataclasses

from polyslot.clinic_model import ClinicModel, QueueModel

__all__ = ["estimate_queue", "POOLED_MAX", "MIN_WAITED"]

#: Largest share of waiting patients overtaken that a pooled queue shows (ties, clocks).
POOLED_MAX = 0.05
#: Patients who waited needed before the share is trusted.
MIN_WAITED = 50


def _doctors_at_once(model: ClinicModel) -> int:
    best = 0
    for wd in {s.weekday for s in model.sessions}:
        edges = sorted(
            [(s.start_minute, 1) for s in model.sessions if s.weekday == wd]
            + [(s.end_minute, -1) for s in model.sessions if s.weekday == wd]
        )
        cur = 0
        for _, step in edges:
            cur += step
            best = max(best, cur)
    return best


def estimate_queue(model: ClinicModel, waited: int, overtaken: int) -> ClinicModel:
    """``model`` with its :class:`QueueModel` from the counts of ``agg_overtaking``."""
    doctors = _doctors_at_once(model)
    if doctors <= 1:
        share = overtaken / waited if waited else None
        seen = (
            f" ({share:.1%} of {waited:,} visits with a wait overtaken)"
            if share is not None
            else " (the history has no arrival times to check it)"
        )
        queue = QueueModel(
            "per_doctor",
            "one doctor at a time: one list, seen in appointment order" + seen,
            None,
            share,
            waited,
            "one_doctor",
        )
    elif waited >= MIN_WAITED:
        share = overtaken / waited
        pooled = share <= POOLED_MAX
        evidence = (
            f"{share:.1%} of the {waited:,} visits with a wait were overtaken by someone who "
            "arrived later"
            + (
                " (a shared first-come-first-served queue overtakes nobody)"
                if pooled
                else " (each waits for the doctor booked)"
            )
        )
        queue = QueueModel(
            "pooled" if pooled else "per_doctor", evidence, None, share, waited, "arrival_order"
        )
    else:
        queue = QueueModel(
            "pooled",
            f"too few visits with arrival and consultation times ({waited}) to tell; "
            "pooled first-come-first-served assumed",
            None,
            None,
            waited,
            "no_history",
        )
    return dataclasses.replace(model, queue=queue)
