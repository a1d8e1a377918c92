"""Template contexts: the overview table, the working grid and its cells, the KPI panel, the
timelines, the change list, the comparison of two templates."""

from __future__ import annotations

from typing import Any

from polyslot.studio.chart import line_chart
from polyslot.studio.edits import change_list, duty_windows, grid_counts, hhmm
from polyslot.studio.kpi_format import fmt, kpi_text
from polyslot.studio.kpis import ANY, KPI_LABELS, WHATIF_LIMITS, WHATIF_STEP, DayKPIs
from polyslot.studio.state import TEMPLATES, StudioState
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = [
    "overview_rows",
    "kpi_ctx",
    "grid_ctx",
    "cell_ctx",
    "timeline",
    "editor_ctx",
    "compare_ctx",
    "sliders",
]

#: summary.json column, label, scale (utilisation: fraction -> percent, as in the editor).
_SUMMARY_COLUMNS = (
    ("wait_mean_current", "Mean wait now (min)", 1.0),
    ("wait_mean_recommended", "Mean wait recommended (min)", 1.0),
    ("wait_reduction_pct", "Wait reduction (%)", 1.0),
    ("utilization_current", "Utilisation now (%)", 100.0),
    ("utilization_recommended", "Utilisation recommended (%)", 100.0),
    ("patients_served_current", "Patients / week now", 1.0),
    ("patients_served_recommended", "Patients / week recommended", 1.0),
)
_WHATIF_LABELS = {
    "no_show": "No-show rate",
    "duration_mean": "Consultation mean",
    "duration_cv": "Consultation variability",
    "demand": "Demand",
    "punctuality": "Lateness (punctuality)",
}


def _scaled(value: Any, scale: float) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value * scale


def overview_rows(state: StudioState) -> tuple[list[str], list[dict[str, Any]]]:
    """Column labels and rows of the network table: one row per polyclinic with a model, the
    summary's figures (a simulated average week) and verdict when the run wrote them."""
    summary = state.run.summary()
    by_id = {
        str(r.get("polyclinic_id")): r
        for r in summary.get("polyclinics", [])
        if isinstance(r, dict)
    }
    skipped = {
        str(r.get("polyclinic_id")): str(r.get("reason", ""))
        for r in summary.get("skipped", [])
        if isinstance(r, dict)
    }
    rows = []
    for pid in sorted(set(state.run.ids) | set(by_id) | set(skipped)):
        rec = by_id.get(pid, {})
        rows.append(
            {
                "id": pid,
                "editable": pid in state.run.ids,
                "verdict": rec.get("verdict") or ("skipped" if pid in skipped else ""),
                "reason": rec.get("reason") or skipped.get(pid, ""),
                "cells": [
                    {"key": k, "text": fmt(_scaled(rec.get(k), scale)), "raw": rec.get(k)}
                    for k, _, scale in _SUMMARY_COLUMNS
                ],
            }
        )
    return [label for _, label, _ in _SUMMARY_COLUMNS], rows


def kpi_ctx(state: StudioState, pid: str, weekday: int) -> dict[str, Any]:
    """The KPI panel: three templates' KPIs, working - current, the wait-by-hour chart, the
    version of what it shows."""
    kpis: dict[str, DayKPIs] = state.kpis(pid, weekday)
    rows = []
    for name, (label, unit) in KPI_LABELS.items():
        vals = {sc: k.value(name) for sc, k in kpis.items()}
        scale = 100.0 if unit == "%" else 1.0
        rows.append(
            {
                "name": name,
                "label": label,
                "unit": unit,
                "vals": {
                    sc: {"raw": repr(v), "text": kpi_text(kpis[sc], name)} for sc, v in vals.items()
                },
                "delta": fmt((vals["working"] - vals["current"]) * scale),
            }
        )
    wc = state.working_copy(pid)
    return {
        "kpis": rows,
        "chart": line_chart({sc: k.by_hour for sc, k in kpis.items()}),
        "source": kpis["working"].source,
        "note": kpis["working"].note,
        "version": state.version(pid),
        "undo": wc.undo_depth,
        "kpi_ms": fmt(state.last_ms, 1),
        "day": WEEKDAYS[weekday],
        "pid": pid,
    }


def _types_hours(state: StudioState, pid: str, weekday: int) -> tuple[list[str], list[int]]:
    index = state.index(pid)
    templates = [state.template(pid, sc) for sc in TEMPLATES]
    types = list(index.visit_types)
    day = [s for t in templates for s in t.slots if s.weekday == weekday]
    if any(s.visit_type == ANY for s in day):
        types.append(ANY)
    hours = {s.hour for s in day}
    for a, b in duty_windows(index, templates[-1], weekday).values():
        hours.update(range(a // 60, (b - 1) // 60 + 1))
    return types, sorted(hours)


def cell_ctx(
    counts: dict[tuple[int, str], tuple[int, int]],
    current: dict[tuple[int, str], tuple[int, int]],
    hour: int,
    vt: str,
) -> dict[str, Any]:
    """One editable cell of the working grid."""
    n, over = counts.get((hour, vt), (0, 0))
    return {
        "hour": hour,
        "vt": vt,
        "n": n,
        "over": over,
        "label": f"{hour:02d}:00",
        "now": current.get((hour, vt), (0, 0))[0],
        "changed": n != current.get((hour, vt), (0, 0))[0],
    }


def _grid_of(template: SlotTemplate, current: SlotTemplate, weekday: int, types, hours):
    counts = grid_counts(template, weekday)
    cur = grid_counts(current, weekday)
    rows = []
    for h in hours:
        cells = [cell_ctx(counts, cur, h, vt) for vt in types]
        rows.append(
            {"hour": h, "label": f"{h:02d}:00", "cells": cells, "total": sum(c["n"] for c in cells)}
        )
    return {"rows": rows, "total": sum(r["total"] for r in rows)}


def grid_ctx(state: StudioState, pid: str, weekday: int, name: str = "working") -> dict[str, Any]:
    """The grid of one template (default: the working copy) on ``weekday``."""
    types, hours = _types_hours(state, pid, weekday)
    grid = _grid_of(state.template(pid, name), state.polyclinic(pid).current, weekday, types, hours)
    return {"types": types, "grid": grid, "name": name, "pid": pid, "day": WEEKDAYS[weekday]}


def timeline(state: StudioState, pid: str, weekday: int) -> list[dict[str, Any]]:
    """One bar per doctor session of the working copy's day."""
    index = state.index(pid)
    working = state.working(pid).for_weekday(weekday)
    types = list(index.visit_types)
    sessions = working.sessions()
    out = []
    for sid, (a, b) in duty_windows(index, working, weekday).items():
        slots = [s for s in sessions.get(sid, ()) if s.weekday == weekday]
        span = max(b - a, 1)
        out.append(
            {
                "id": sid,
                "window": f"{hhmm(a)}-{hhmm(b)}",
                "slots": [
                    {
                        "i": i,
                        "time": s.start_time,
                        "vt": s.visit_type,
                        "color": types.index(s.visit_type) if s.visit_type in types else 0,
                        "any": s.visit_type == ANY,
                        "over": s.overbooked,
                        "left": round(100 * (s.start_minute - a) / span, 2),
                        "width": round(max(100 * s.duration_minutes / span, 0.6), 2),
                    }
                    for i, s in enumerate(slots)
                ],
            }
        )
    return out


def sliders(state: StudioState, pid: str) -> list[dict[str, Any]]:
    """The what-if sliders: limits from :data:`~polyslot.studio.kpis.WHATIF_LIMITS` (the
    server's own check), labels with two decimals."""
    wi = state.whatif(pid).as_dict()
    return [
        {
            "name": name,
            "label": _WHATIF_LABELS[name],
            "min": lo,
            "max": hi,
            "step": WHATIF_STEP,
            "value": wi[name],
            "text": f"\u00d7{wi[name]:.2f}",
        }
        for name, (lo, hi) in WHATIF_LIMITS.items()
    ]


def editor_ctx(state: StudioState, pid: str, weekday: int) -> dict[str, Any]:
    """Everything the editor page shows at first (the tabs load their panels on demand)."""
    pc = state.polyclinic(pid)
    ctx = kpi_ctx(state, pid, weekday)
    ctx.update(grid_ctx(state, pid, weekday))
    ctx.update(
        weekday=weekday,
        weekdays=[(d, WEEKDAYS[d]) for d in pc.open_days],
        sliders=sliders(state, pid),
        n_changes=len(change_list(pc.current, state.working(pid))),
        origin=state.origin(pid),
    )
    return ctx


def compare_ctx(state: StudioState, pid: str, a: str, b: str, weekday: int) -> dict[str, Any]:
    """Two templates side by side on ``weekday``: KPIs (b - a) and the cells whose counts
    differ, plus the week's change list from a to b."""
    ta, tb = state.template(pid, a), state.template(pid, b)
    ka, kb = state.day(pid, ta, weekday), state.day(pid, tb, weekday)
    rows = []
    for name, (label, unit) in KPI_LABELS.items():
        scale = 100.0 if unit == "%" else 1.0
        rows.append(
            {
                "name": name,
                "label": label,
                "unit": unit,
                "a": kpi_text(ka, name),
                "b": kpi_text(kb, name),
                "a_raw": repr(ka.value(name)),
                "b_raw": repr(kb.value(name)),
                "delta": fmt((kb.value(name) - ka.value(name)) * scale),
            }
        )
    ca, cb = grid_counts(ta, weekday), grid_counts(tb, weekday)
    cells = [
        {"label": f"{h:02d}:00", "vt": vt, "a": ca.get((h, vt), (0, 0))[0],
         "b": cb.get((h, vt), (0, 0))[0]}
        for h, vt in sorted(set(ca) | set(cb))
        if ca.get((h, vt), (0, 0))[0] != cb.get((h, vt), (0, 0))[0]
    ]  # fmt: skip
    return {
        "pid": pid,
        "a": a,
        "b": b,
        "day": WEEKDAYS[weekday],
        "weekday": weekday,
        "weekdays": [(d, WEEKDAYS[d]) for d in state.polyclinic(pid).open_days],
        "rows": rows,
        "cells": cells,
        "week": change_list(ta, tb),
        "source": ka.source,
        "note": ka.note,
        "slots": {"a": ka.slots, "b": kb.slots},
    }
