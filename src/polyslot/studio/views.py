"""Template contexts: the overview table, the three grids, the timelines, the KPI panel."""

from __future__ import annotations

import json
import math
from typing import Any

from polyslot.studio.edits import change_list, duty_windows, grid_counts, hhmm
from polyslot.studio.kpis import ANY, KPI_LABELS, DayKPIs
from polyslot.studio.state import StudioState
from polyslot.template import WEEKDAYS

__all__ = ["overview_rows", "workspace", "fmt"]

_SUMMARY_COLUMNS = (
    ("wait_mean_current", "Mean wait now (min)"),
    ("wait_mean_recommended", "Mean wait recommended (min)"),
    ("wait_reduction_pct", "Wait reduction (%)"),
    ("utilization_current", "Utilisation now"),
    ("utilization_recommended", "Utilisation recommended"),
    ("patients_served_current", "Patients / week now"),
    ("patients_served_recommended", "Patients / week recommended"),
)


def fmt(value: Any, digits: int = 2) -> str:
    """A number for display (``-`` for missing)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def overview_rows(state: StudioState) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Columns and rows of the network table: one row per polyclinic with a model, the
    summary's figures and verdict when the run wrote them."""
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
        verdict = rec.get("verdict") or ("skipped" if pid in skipped else "")
        rows.append(
            {
                "id": pid,
                "editable": pid in state.run.ids,
                "verdict": verdict,
                "reason": rec.get("reason") or skipped.get(pid, ""),
                "cells": [fmt(rec.get(k)) for k, _ in _SUMMARY_COLUMNS],
            }
        )
    return list(_SUMMARY_COLUMNS), rows


def _grid(template, weekday: int, hours: list[int], types: list[str]) -> dict[str, Any]:
    counts = grid_counts(template, weekday)
    rows: list[dict[str, Any]] = []
    totals = [0] * len(types)
    for h in hours:
        cells: list[dict[str, Any]] = []
        for i, vt in enumerate(types):
            n, over = counts.get((h, vt), (0, 0))
            cells.append({"vt": vt, "n": n, "over": over})
            totals[i] += n
        rows.append(
            {"hour": h, "label": f"{h:02d}:00", "cells": cells, "total": sum(c["n"] for c in cells)}
        )
    return {"rows": rows, "totals": totals, "total": sum(totals)}


def _timeline(state: StudioState, pid: str, weekday: int) -> list[dict[str, Any]]:
    index = state.index(pid)
    working = state.working(pid).for_weekday(weekday)
    windows = duty_windows(index, working, weekday)
    sessions = working.sessions()
    out = []
    for sid, (a, b) in windows.items():
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


def _kpi_rows(kpis: dict[str, DayKPIs]) -> list[dict[str, Any]]:
    rows = []
    for name, (label, unit) in KPI_LABELS.items():
        vals = {sc: float(getattr(k, name)) for sc, k in kpis.items()}
        scale = 100.0 if unit == "%" else 1.0
        rows.append(
            {
                "name": name,
                "label": label,
                "unit": unit,
                "vals": {sc: {"raw": repr(v), "text": fmt(v * scale)} for sc, v in vals.items()},
                "delta": fmt((vals["working"] - vals["current"]) * scale),
            }
        )
    return rows


def workspace(state: StudioState, pid: str, weekday: int) -> dict[str, Any]:
    """Everything the editor's workspace partial shows."""
    pc = state.polyclinic(pid)
    index = state.index(pid)
    kpis = state.kpis(pid, weekday)
    templates = {sc: state.template(pid, sc) for sc in ("current", "recommended", "working")}
    types = list(index.visit_types)
    if any(
        s.visit_type == ANY for t in templates.values() for s in t.slots if s.weekday == weekday
    ):
        types.append(ANY)
    windows = duty_windows(index, templates["working"], weekday)
    hours = {
        h for t in templates.values() for s in t.slots if s.weekday == weekday for h in [s.hour]
    }
    for a, b in windows.values():
        hours.update(range(a // 60, (b - 1) // 60 + 1))
    hours_sorted = sorted(hours)
    by_hour = {
        sc: {"x": [f"{h:02d}:00" for h in k.by_hour], "y": list(k.by_hour.values())}
        for sc, k in kpis.items()
    }
    return {
        "pid": pid,
        "weekday": weekday,
        "day": WEEKDAYS[weekday],
        "types": types,
        "grids": {sc: _grid(t, weekday, hours_sorted, types) for sc, t in templates.items()},
        "timeline": _timeline(state, pid, weekday),
        "kpis": _kpi_rows(kpis),
        "by_hour": json.dumps(by_hour),
        "edit_ms": fmt(state.last_ms, 1),
        "changes": change_list(pc.current, templates["working"]),
        "whatif": state.whatif(pid),
        "weekdays": [(d, WEEKDAYS[d]) for d in pc.weekdays],
    }
