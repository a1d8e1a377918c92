"""The first-visit / revisit capacity plan in the report and the implementation guide.

Renders the JSON-ready sections of ``NetworkResult.capacity`` (one per polyclinic, made by
``polyslot.capacity.clinic_plans``; this module does not import the capacity package): per
weekday the FV + RV minutes needed under the chance constraint against the rostered
doctor-minutes, the first-visit slots to hold, and the breach risk. The HTML partial is
``templates/capacity.html.j2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["capacity_context", "capacity_guide_lines", "demo_capacity_section"]

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_STATUS = {
    "optimal": "optimal",
    "feasible_within_gap": "within {gap} of the best possible",
    "time_limit": "stopped at the time limit, up to {gap} above the best possible",
}


def _pct(v: float, digits: int = 1) -> str:
    return f"{100 * v:.{digits}f}%"


def _solve_note(sec: Mapping[str, Any]) -> str:
    return _STATUS.get(str(sec.get("solver_status")), "{gap}").format(gap=_pct(sec["gap"], 2))


def capacity_context(sec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Template context of one polyclinic's capacity section (None when not computed)."""
    if not sec:
        return None
    if sec.get("status") != "planned":
        return {"planned": False, "reason": str(sec.get("reason", "not computed"))}
    rows = []
    for r in sec["weekdays"]:
        total = r["minutes_needed"] + r["other_minutes"]
        rows.append(
            [
                _DAYS[int(r["weekday"])],
                f"{r['minutes_needed']:,.0f}",
                f"{r['other_minutes']:,.0f}",
                f"{r['rostered_minutes']:,.0f}",
                f"{total - r['rostered_minutes']:+,.0f}",
                str(r["fv_slots_to_hold"]),
                str(r["fv_requests_covered"]),
                str(r["doctors_needed"]),
            ]
        )
    t = sec["targets"]
    a, b = sec["revisit_window"]
    return {
        "planned": True,
        "rows": rows,
        "method": "joint chance constraint" if sec["method"] == "joint" else "Boole (Bonferroni)",
        "epsilon": _pct(sec["epsilon"], 0),
        "risk": _pct(sec["breach_risk"], 2),
        "weeks": sec["weeks"],
        "fv_types": ", ".join(sec["fv_types"]),
        "rv_types": ", ".join(sec["rv_types"]),
        "targets": f"median <= {t['median']}, p{t['p']:g} <= {t['percentile']}, "
        f"max <= {t['max']} days",
        "window": f"{a}-{b} days",
        "solve": _solve_note(sec),
    }


def capacity_guide_lines(sec: Mapping[str, Any] | None) -> list[str]:
    """Markdown lines of the guide: how many first-visit slots to hold per weekday."""
    if not sec:
        return []
    lines = ["### First-visit slots to hold", ""]
    if sec.get("status") != "planned":
        return [*lines, f"Not computed: {sec.get('reason', 'no plan')}.", ""]
    t = sec["targets"]
    lines += [
        f"Hold these first-visit ({', '.join(sec['fv_types'])}) slots each day so that new "
        f"patients are seen within the lead-time targets (median <= {t['median']}, "
        f"p{t['p']:g} <= {t['percentile']}, max <= {t['max']} days) with a breach risk of "
        f"{_pct(sec['breach_risk'], 2)} (at most {_pct(sec['epsilon'], 0)}) over "
        f"{sec['weeks']} weeks. Release a held slot to other visit types only when no "
        "first-visit request is waiting for it.",
        "",
        "| weekday | first-visit slots to hold | FV + RV minutes needed "
        "| rostered doctor-minutes |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {_DAYS[int(r['weekday'])]} | {r['fv_slots_to_hold']} | {r['minutes_needed']:,.0f} "
        f"| {r['rostered_minutes']:,.0f} |"
        for r in sec["weekdays"]
    ]
    return [*lines, ""]


def demo_capacity_section(polyclinic_id: str, planned: bool = True) -> dict[str, Any]:
    """A fabricated section of the shape ``plan_clinics`` produces (for the demo report)."""
    if not planned:
        return {
            "polyclinic_id": polyclinic_id,
            "status": "off",
            "reason": "field 'capacity.rv_types': no revisit type among the visit types "
            "['acute', 'new_patient'] (map them in polyslot.toml [capacity] rv_types)",
        }
    weekdays = [
        {
            "weekday": wd,
            "minutes_needed": 612.0 + 3 * wd,
            "other_minutes": 900.0 - 40 * wd,
            "rostered_minutes": 1440.0,
            "fv_slots_to_hold": 12 + wd % 2,
            "fv_requests_covered": 15 - wd % 3,
            "rv_expected": 24.5,
            "doctors_needed": 2,
        }
        for wd in range(5)
    ]
    return {
        "polyclinic_id": polyclinic_id,
        "status": "planned",
        "method": "joint",
        "epsilon": 0.05,
        "weeks": 4,
        "fv_types": ["new_patient"],
        "rv_types": ["chronic_followup"],
        "breach_risk": 0.0481,
        "capacity_max": 624.0,
        "solver_status": "feasible_within_gap",
        "gap": 0.0042,
        "targets": {"median": 3, "percentile": 7, "p": 90.0, "max": 14},
        "revisit_window": [14, 42],
        "weekdays": weekdays,
    }
