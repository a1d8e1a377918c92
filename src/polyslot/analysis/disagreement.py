"""Why a source differs from the history on today's state: concrete reasons with this
polyclinic's numbers.

The exact evaluator, the simulator and the replay measure the current template differently
(:func:`polyslot.analysis.fidelity.source_agreement` names the one that differs and by how
much). This module says why, from facts of the polyclinic's model and run
(:func:`source_facts`): the walk-ins the evaluator leaves out, the doctors whose shared queue it
cannot see, the held-back days the replay plays as recorded. :func:`reason` turns one
disagreement (source, KPI, direction) into one sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyslot.clinic_model import ClinicModel

__all__ = ["source_facts", "reason"]


def source_facts(model: ClinicModel, *, discipline: str, replay_days: int) -> dict[str, Any]:
    """The facts behind the sources' differences, per average week.

    Returns
    -------
    dict
        ``walk_ins_per_week`` (the model's expected walk-ins), ``walk_in_minutes_per_week``
        (their expected consultation minutes; a walk-in without a visit type takes the first
        visit type's, as in the simulator), ``rostered_minutes_per_week`` (doctor sessions of a
        typical week), ``doctors_at_once`` (most doctors on duty in one hour), ``discipline``
        (the simulator's queue) and ``replay_days`` (held-back days replayed).
    """
    mean = {s.visit_type: s.mean_minutes for s in model.service}
    first = model.visit_types[0] if model.visit_types else None
    walk = sum(float(h.value) for h in model.walk_ins)
    minutes = sum(
        float(h.value) * float(mean.get(h.visit_type or first or "", 0.0)) for h in model.walk_ins
    )
    rostered = sum(s.end_minute - s.start_minute for s in model.sessions)
    doctors = max((float(h.value) for h in model.staffing), default=0.0)
    return {
        "walk_ins_per_week": round(walk, 3),
        "walk_in_minutes_per_week": round(minutes, 3),
        "rostered_minutes_per_week": float(rostered),
        "doctors_at_once": int(round(doctors)),
        "discipline": discipline,
        "replay_days": int(replay_days),
    }


def _evaluator(kpi: str, higher: bool, f: Mapping[str, Any]) -> str:
    walk, minutes = f["walk_ins_per_week"], f["walk_in_minutes_per_week"]
    rostered, doctors = f["rostered_minutes_per_week"], f["doctors_at_once"]
    if kpi == "patients_served":
        return (
            "the exact evaluator counts only the booked patients who come; the clinic also sees "
            f"walk-ins (the model expects {walk:.0f} a week)"
        )
    if kpi == "utilization":
        share = f" ({minutes / rostered:.0%} of the {rostered:.0f} rostered)" if rostered else ""
        return (
            "the exact evaluator's doctors do only the booked consultations; walk-ins add about "
            f"{minutes:.0f} doctor-minutes a week{share}"
        )
    if higher:
        return (
            "the exact evaluator queues each doctor's booked patients for that doctor alone; in "
            f"the clinic (and the simulator, queue {f['discipline']}) whichever of up to "
            f"{doctors} doctors on duty is free sees the next patient, so a doctor running late "
            "is relieved by the others"
        )
    return (
        f"the exact evaluator leaves out the {walk:.0f} walk-ins a week who queue with the "
        f"booked patients and the shared queue of up to {doctors} doctors"
    )


def reason(source: str, kpi: str, value: float, reference: float, facts: Mapping[str, Any]) -> str:
    """One sentence: why ``source``'s ``kpi`` (``value``) differs from ``reference``."""
    if source == "evaluator":
        return _evaluator(kpi, value > reference, facts)
    if source == "replay":
        days = facts.get("replay_days") or 0
        return (
            f"the replay plays the {days} held-back days as recorded (their own bookings, "
            "absences and walk-ins), a short sample beside the history's average week"
        )
    if source == "simulator":
        return (
            "the SimPy simulator runs the same clinic days as the planning model with its own "
            "random numbers: a gap between the two beyond their confidence intervals is a defect "
            "of one engine; a gap to the history is the model's misfit, see the fidelity table"
        )
    return (
        "the planning model samples days from the estimated model (its average demand, "
        "no-shows, walk-ins and consultation times): a gap to the history is the model's "
        "misfit, see the fidelity table"
    )
