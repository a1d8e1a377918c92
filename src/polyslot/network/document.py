"""``network/plan.json``: the network plan as a document (docs/network.md, "plan.json").

Keys: ``format_version``, ``status`` (``moves``, ``no_moves``, ``no_overloaded``), ``message``,
``settings`` (the ``[network]`` table), ``weights`` (the objective's, minutes),
``target_wait_minutes``, ``overloaded`` (``{polyclinic: [weekdays]}``), ``moves`` (one entry per
moved doctor-session in roll-out order: ``order``, ``from``, ``to``, ``weekday``, ``session``
(AM/PM), ``doctor_session`` (the lender's), ``borrower_session``, ``start_time``, ``end_time``,
``gain_per_session``), ``changes`` (per polyclinic and weekday: doctor-sessions more or fewer,
the day's objective before and after, a lender's excess over its recommended plan),
``added_sessions`` (the hiring answer), ``polyclinics`` (per polyclinic ``role`` and
``today`` / ``recommended`` / ``network`` whole-week KPIs with 95% intervals), ``network`` (the
same for the network), ``objective`` (minutes a week over the weekdays in the plan), ``goals``
(issue 23's, with ``added_sessions_for_goals`` when one is missed) and ``response_points``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from polyslot.network.plan import NetworkPlan
from polyslot.template import WEEKDAYS

__all__ = ["FORMAT_VERSION", "plan_document", "empty_document", "finite"]

FORMAT_VERSION = 1


def finite(obj: Any, digits: int = 6) -> Any:
    """``obj`` with floats rounded to ``digits`` and every non-finite one as None."""
    if isinstance(obj, float):
        return round(obj, digits) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): finite(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v, digits) for v in obj]
    return obj


def plan_document(plan: NetworkPlan) -> dict[str, Any]:
    """The ``network/plan.json`` document of ``plan``."""
    doc = {
        "format_version": FORMAT_VERSION,
        "status": plan.status,
        "message": plan.message,
        "settings": dataclasses.asdict(plan.settings),
        "weights": dict(plan.weights),
        "target_wait_minutes": plan.target_wait,
        "overloaded": {
            pid: [WEEKDAYS[d] for d in days] for pid, days in sorted(plan.overloaded.items())
        },
        "moves": [dict(m) for m in plan.moves],
        "changes": [dict(c) for c in plan.changes],
        "added_sessions": [h.to_dict() for h in plan.hires],
        "polyclinics": [{"polyclinic_id": pid, **entry} for pid, entry in
                        sorted(plan.clinics.items())],
        "network": dict(plan.network),
        "objective": dict(plan.objective),
        "goals": {**dict(plan.goals),
                  "added_sessions_for_goals": [h.to_dict() for h in plan.goal_hires]},
        "response_points": plan.points,
        "notes": list(plan.notes),
    }
    return finite(doc)


def empty_document(status: str, message: str) -> dict[str, Any]:
    """A plan document that only says why there is no plan (e.g. no polyclinic planned)."""
    return {"format_version": FORMAT_VERSION, "status": status, "message": message,
            "moves": [], "added_sessions": [], "polyclinics": [], "network": {}}
