"""The studio's pages and edits.

Every edit answers with only what changed (HTMX out-of-band swaps, a few kB): a status line
(the main swap into ``#edit-status``), the KPI panel (its ``data-by-hour`` feeds the chart's
``Plotly.react``), the edited cell and its row total for a cell edit, the whole working grid for
a change of the day (reset, undo, timeline edit, frontier point), and the change count. A
rejected edit answers 422 with the message naming the field and the value, the state intact.
The tabs' panels (change list, timelines, grids, frontier, scenarios) are loaded on demand.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from polyslot.errors import InputError
from polyslot.studio import edits
from polyslot.studio.exports import fhir_writer
from polyslot.studio.frontier import frontier_ctx
from polyslot.studio.http import BadRequest, message, read_form, render, state_of
from polyslot.studio.kpis import ANY, WHATIF_LIMITS, WhatIf
from polyslot.studio.run_data import slots_from_rows
from polyslot.studio.scenario_routes import scenarios_ctx
from polyslot.studio.state import TEMPLATES
from polyslot.studio.views import (
    cell_ctx,
    editor_ctx,
    grid_ctx,
    kpi_ctx,
    overview_rows,
    timeline,
)
from polyslot.template import WEEKDAYS

__all__ = ["router"]

router = APIRouter()
_PANELS = ("changes", "timeline", "grids", "frontier", "scenarios")


# -- pages -------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
async def overview(request: Request):
    state = state_of(request)
    columns, rows = overview_rows(state)
    sources = sorted(
        {str(r.get("source")) for r in state.run.summary().get("polyclinics", [])
         if isinstance(r, dict) and r.get("source")}
    )  # fmt: skip
    note = "source: " + ", ".join(sources) if sources else "the run's headline source"
    return render(request, "overview.html", {"columns": columns, "rows": rows, "source_note": note})


@router.get("/pc/{pid}")
async def polyclinic(request: Request, pid: str):
    pc = state_of(request).polyclinic(pid)
    days = pc.open_days or (0,)
    return RedirectResponse(request.url_for("editor", pid=pid, day=WEEKDAYS[days[0]]), 303)


@router.get("/pc/{pid}/{day}", response_class=HTMLResponse, name="editor")
async def editor(request: Request, pid: str, day: str):
    state = state_of(request)
    weekday = state.open_day(pid, day)
    ctx = await run_in_threadpool(editor_ctx, state, pid, weekday)
    return render(request, "editor.html", ctx)


@router.get("/pc/{pid}/{day}/panel/{name}", response_class=HTMLResponse)
async def panel(request: Request, pid: str, day: str, name: str):
    """A tab's content, loaded when the tab opens (and again after an edit while open)."""
    state = state_of(request)
    weekday = state.open_day(pid, day)
    if name not in _PANELS:
        raise KeyError(name)
    ctx: dict[str, Any] = {"pid": pid, "day": day, "weekday": weekday}
    if name == "changes":
        pc = state.polyclinic(pid)
        ctx["changes"] = edits.change_list(pc.current, state.working(pid))
        return render(request, "_changes.html", ctx)
    if name == "timeline":
        ctx["timeline"] = await run_in_threadpool(timeline, state, pid, weekday)
        ctx["types"] = list(state.index(pid).visit_types)
        return render(request, "_timeline.html", ctx)
    if name == "grids":
        for sc in ("current", "recommended"):
            ctx[sc] = grid_ctx(state, pid, weekday, sc)
        return render(request, "_grids.html", ctx)
    if name == "frontier":
        ctx["frontier"] = frontier_ctx(state, pid, weekday)
        ctx["error"] = None
        return render(request, "_frontier.html", ctx)
    ctx.update(scenarios_ctx(state, pid), fhir=fhir_writer() is not None)
    return render(request, "_scenarios.html", ctx)


# -- the edit machinery ------------------------------------------------------------------------
async def edit_response(
    request: Request,
    pid: str,
    day: str,
    action: Callable[[dict[str, str], int], dict[str, Any] | None] | None,
    *,
    form: dict[str, str] | None = None,
):
    """Run ``action(form, weekday)`` under the state's lock and answer with what changed.

    ``action`` returns the parts to send: ``{"cell": (hour, vt)}`` for one cell, ``{"grid":
    True}`` for the whole day, ``{"timeline": True}`` as well for a timeline edit; it raises
    EditError / BadRequest / InputError to refuse (422, state unchanged).
    """
    state = state_of(request)
    weekday = state.open_day(pid, day)
    t0 = time.perf_counter()
    error, status, parts = None, 200, {}
    try:
        if form is None:
            form = await read_form(request)
        if action is not None:

            def locked() -> dict[str, Any]:
                with state.lock:
                    return action(form or {}, weekday) or {}

            parts = await run_in_threadpool(locked)
    except (edits.EditError, BadRequest, InputError) as exc:
        error, status = message(exc), 422
        parts = getattr(exc, "parts", {}) or {}
    ctx = await run_in_threadpool(_fragments, state, pid, weekday, parts)
    ms = (time.perf_counter() - t0) * 1e3
    ctx.update(error=error, status=f"answered in {ms:.1f} ms", pid=pid, day=day)
    resp = render(request, "_edit.html", ctx, status)
    resp.headers["X-Studio-Ms"] = f"{ms:.1f}"
    return resp


def _fragments(state, pid: str, weekday: int, parts: dict[str, Any]) -> dict[str, Any]:
    pc = state.polyclinic(pid)
    working = state.working(pid)
    ctx: dict[str, Any] = {
        "k": kpi_ctx(state, pid, weekday),
        "cells": [],
        "totals": [],
        "grid": None,
        "grid_total": None,
        "timeline": None,
        "n_changes": len(edits.change_list(pc.current, working)),
    }
    if parts.get("grid"):
        ctx["grid"] = grid_ctx(state, pid, weekday)
    elif parts.get("cell"):
        hour, vt = parts["cell"]
        counts = edits.grid_counts(working, weekday)
        ctx["cells"] = [cell_ctx(counts, edits.grid_counts(pc.current, weekday), hour, vt)]
        total = sum(n for (h, _), (n, _) in counts.items() if h == hour)
        ctx["totals"] = [{"hour": hour, "total": total}]
        ctx["grid_total"] = sum(n for n, _ in counts.values())
    if parts.get("timeline"):
        ctx["timeline"] = timeline(state, pid, weekday)
        ctx["types"] = list(state.index(pid).visit_types)
    return ctx


def _hour(form: dict[str, str]) -> int:
    raw = form.get("hour", "")
    try:
        hour = int(raw)
    except ValueError:
        raise BadRequest("must be an hour 0..23", field="hour", value=raw) from None
    if not 0 <= hour < 24:
        raise BadRequest("must be an hour 0..23", field="hour", value=raw)
    return hour


# -- edits -------------------------------------------------------------------------------------
@router.post("/pc/{pid}/{day}/cell")
async def edit_cell(request: Request, pid: str, day: str):
    state = state_of(request)

    def act(form: dict[str, str], weekday: int) -> dict[str, Any]:
        hour = _hour(form)
        raw_vt = form.get("visit_type", "")
        vt = raw_vt.strip() or ANY
        op = form.get("op", "set")
        wc, index = state.working_copy(pid), state.index(pid)
        have = edits.grid_counts(wc.template, weekday).get((hour, vt), (0, 0))[0]
        counts = {"inc": have + 1, "dec": have - 1}
        if op not in ("inc", "dec", "set"):
            raise BadRequest("must be inc, dec or set", field="op", value=op)
        count: object = counts.get(op, form.get("count", ""))
        try:  # the checks (and messages) of set_count: count, visit type, duty hours
            edits.set_count(index, wc.template, weekday, hour, raw_vt, count)
        except edits.EditError as exc:
            if vt in index.visit_types or vt == ANY:
                exc.parts = {"cell": (hour, vt)}  # type: ignore[attr-defined]
            raise
        wc.set_cell(index, weekday, hour, vt, int(str(count).strip()))
        return {"cell": (hour, vt)}

    return await edit_response(request, pid, day, act)


@router.post("/pc/{pid}/{day}/timeline")
async def edit_timeline(request: Request, pid: str, day: str):
    state = state_of(request)

    def act(form: dict[str, str], weekday: int) -> dict[str, Any]:
        index, wc = state.index(pid), state.working_copy(pid)
        working = wc.template
        op, sid = form.get("op", ""), form.get("session", "")
        if op == "add":
            new = edits.add_slot(
                index, working, weekday, sid, form.get("start_time", ""),
                form.get("visit_type", ""), form.get("overbooked", "") in ("1", "true", "on"),
            )  # fmt: skip
        elif op == "remove":
            new = edits.remove_slot(index, working, weekday, sid, form.get("slot", ""))
        elif op == "move":
            new = edits.move_slot(
                index, working, weekday, sid, form.get("slot", ""), form.get("start_time", "")
            )
        elif op == "type":
            new = edits.retype_slot(
                index, working, weekday, sid, form.get("slot", ""), form.get("visit_type", "")
            )
        else:
            raise BadRequest("must be add, remove, move or type", field="op", value=op)
        wc.set_day(weekday, new.for_weekday(weekday).slots)
        return {"grid": True, "timeline": True}

    return await edit_response(request, pid, day, act)


@router.post("/pc/{pid}/{day}/reset")
async def reset(request: Request, pid: str, day: str):
    state = state_of(request)

    def act(form: dict[str, str], weekday: int) -> dict[str, Any]:
        source = form.get("to", "recommended")
        if source not in ("current", "recommended"):
            raise BadRequest("must be current or recommended", field="to", value=source)
        day_slots = state.template(pid, source).for_weekday(weekday).slots
        state.working_copy(pid).set_day(weekday, day_slots)
        return {"grid": True}

    return await edit_response(request, pid, day, act)


@router.post("/pc/{pid}/{day}/undo")
async def undo(request: Request, pid: str, day: str):
    state = state_of(request)

    def act(form: dict[str, str], weekday: int) -> dict[str, Any]:
        if not state.working_copy(pid).undo():
            raise BadRequest("nothing to undo", field="undo", value=0)
        return {"grid": True}

    return await edit_response(request, pid, day, act)


@router.post("/pc/{pid}/{day}/whatif")
async def whatif(request: Request, pid: str, day: str):
    state = state_of(request)

    def act(form: dict[str, str], weekday: int) -> dict[str, Any]:
        values = {}
        for name, value in state.whatif(pid).as_dict().items():
            raw = form.get(name, repr(value))
            try:
                values[name] = float(raw)
            except ValueError:
                raise BadRequest("must be a number", field=name, value=raw) from None
            lo, hi = WHATIF_LIMITS[name]
            if not lo <= values[name] <= hi:  # the sliders' range (NaN fails too)
                raise BadRequest(f"must be a factor in [{lo:g}, {hi:g}]", field=name, value=raw)
        state.set_whatif(pid, WhatIf(**values))
        return {}

    return await edit_response(request, pid, day, act)


@router.post("/pc/{pid}/{day}/frontier/load")
async def frontier_load(request: Request, pid: str, day: str):
    state = state_of(request)

    def act(form: dict[str, str], weekday: int) -> dict[str, Any]:
        points, _ = state.polyclinic(pid).frontier_points(weekday)
        raw = form.get("point", "")
        try:
            i = int(raw)
            if i < 0:
                raise IndexError
            point = points[i]
        except (ValueError, IndexError):
            raise BadRequest(
                f"must be a point number 0..{len(points) - 1}", field="point", value=raw
            ) from None
        try:
            slots = slots_from_rows(point.get("slots", []), weekday)
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise BadRequest(
                f"unreadable frontier slots ({exc})", field="point", value=raw
            ) from None
        state.working_copy(pid).set_day(weekday, slots)
        return {"grid": True}

    return await edit_response(request, pid, day, act)


def template_names(state, pid: str) -> list[str]:
    """``current``, ``recommended``, ``working`` and the saved scenarios' names."""
    return [*TEMPLATES, *state.scenarios.names(pid)]
