"""The studio's routes: pages, HTMX partials, exports and a small JSON API.

Every edit route answers with the workspace partial (grids, timelines, KPIs, change list); a
rejected edit answers 422 with the same partial and the message naming the field and value.
Forms are URL-encoded (what HTMX sends) and parsed here, so no route can fail on a malformed
body: anything unexpected becomes an inline message.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from polyslot.errors import InputError, PolyslotError
from polyslot.studio import edits
from polyslot.studio.exports import EXPORT_FORMATS, export_bytes, fhir_week, fhir_writer
from polyslot.studio.frontier import parse_weights, point_for, reoptimise
from polyslot.studio.kpis import WhatIf, day_kpis
from polyslot.studio.run_data import slots_from_rows
from polyslot.studio.simulate import SCENARIOS
from polyslot.studio.views import overview_rows, workspace
from polyslot.template import WEEKDAYS

__all__ = ["router", "MAX_FORM_BYTES"]

router = APIRouter()
#: Largest request body read (a form of the studio is a few hundred bytes).
MAX_FORM_BYTES = 64_000


class BadRequest(ValueError):
    """A malformed request: shown inline like a rejected edit."""

    def __init__(self, message: str, *, field: str, value: object) -> None:
        self.field, self.value, self.message = field, value, message
        super().__init__(message)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadRequest("request too large", field="body", value=f"{len(body)} bytes")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadRequest("not UTF-8 form data", field="body", value="?") from None
    return {k: v[-1] for k, v in parsed.items()}


def _weekday(day: str) -> int:
    if day not in WEEKDAYS:
        raise KeyError(day)
    return WEEKDAYS.index(day)


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200):
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def _state(request: Request):
    return request.app.state.studio


def _message(exc: Exception) -> str:
    if isinstance(exc, edits.EditError | BadRequest):
        return f"{exc.field} = {exc.value}: {exc.message}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


async def _work(request: Request, pid: str, day: str, action=None, status: int = 200):
    """Read the form, apply ``action(form, weekday)`` (sync; a rejected edit raises), then
    render the workspace."""
    state = _state(request)
    weekday = _weekday(day)
    state.polyclinic(pid)
    error = None
    t0 = time.perf_counter()
    if action is not None:
        try:
            form = await _form(request)
            await run_in_threadpool(action, form, weekday)
        except (edits.EditError, BadRequest, InputError) as exc:
            error, status = _message(exc), 422
    ctx = await run_in_threadpool(workspace, state, pid, weekday)
    ctx["error"] = error
    ctx["server_ms"] = f"{(time.perf_counter() - t0) * 1e3:.1f}"
    resp = _render(request, "_work.html", ctx, status)
    resp.headers["X-Studio-Ms"] = ctx["server_ms"]
    return resp


# -- pages -------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
async def overview(request: Request):
    columns, rows = overview_rows(_state(request))
    return _render(request, "overview.html", {"columns": columns, "rows": rows})


@router.get("/pc/{pid}")
async def polyclinic(request: Request, pid: str):
    pc = _state(request).polyclinic(pid)
    days = pc.weekdays or (0,)
    return RedirectResponse(request.url_for("editor", pid=pid, day=WEEKDAYS[days[0]]), 303)


@router.get("/pc/{pid}/{day}", response_class=HTMLResponse, name="editor")
async def editor(request: Request, pid: str, day: str):
    state = _state(request)
    weekday = _weekday(day)
    ctx = await run_in_threadpool(workspace, state, pid, weekday)
    ctx.update(error=None, server_ms=ctx["edit_ms"], fhir=fhir_writer() is not None)
    ctx["frontier"] = _frontier_ctx(state, pid, weekday)
    return _render(request, "editor.html", ctx)


# -- edits -------------------------------------------------------------------------------------
@router.post("/pc/{pid}/{day}/cell")
async def edit_cell(request: Request, pid: str, day: str):
    state = _state(request)

    def act(form: dict[str, str], weekday: int) -> None:
        try:
            hour = int(form.get("hour", ""))
        except ValueError:
            raise BadRequest(
                "must be an hour 0..23", field="hour", value=form.get("hour")
            ) from None
        vt = form.get("visit_type", "")
        op = form.get("op", "set")
        working = state.working(pid)
        current = edits.grid_counts(working, weekday).get((hour, vt.strip() or "any"), (0, 0))[0]
        if op == "inc":
            count: object = current + 1
        elif op == "dec":
            count = current - 1
        elif op == "set":
            count = form.get("count", "")
        else:
            raise BadRequest("must be inc, dec or set", field="op", value=op)
        new = edits.set_count(state.index(pid), working, weekday, hour, vt, count)
        state.set_working(pid, new)

    return await _work(request, pid, day, act)


@router.post("/pc/{pid}/{day}/timeline")
async def edit_timeline(request: Request, pid: str, day: str):
    state = _state(request)

    def act(form: dict[str, str], weekday: int) -> None:
        index, working = state.index(pid), state.working(pid)
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
        state.set_working(pid, new)

    return await _work(request, pid, day, act)


@router.post("/pc/{pid}/{day}/reset")
async def reset(request: Request, pid: str, day: str):
    state = _state(request)

    def act(form: dict[str, str], weekday: int) -> None:
        source = form.get("to", "recommended")
        if source not in ("current", "recommended"):
            raise BadRequest("must be current or recommended", field="to", value=source)
        day_slots = state.template(pid, source).for_weekday(weekday).slots
        state.set_working(pid, edits.replace_day(state.working(pid), weekday, day_slots))

    return await _work(request, pid, day, act)


@router.post("/pc/{pid}/{day}/whatif")
async def whatif(request: Request, pid: str, day: str):
    state = _state(request)

    def act(form: dict[str, str], weekday: int) -> None:
        values = {}
        for name in ("no_show", "duration_mean", "duration_cv", "demand", "punctuality"):
            raw = form.get(name, "1")
            try:
                values[name] = float(raw)
            except ValueError:
                raise BadRequest("must be a number", field=name, value=raw) from None
        state.set_whatif(pid, WhatIf(**values))

    return await _work(request, pid, day, act)


# -- simulation --------------------------------------------------------------------------------
@router.post("/pc/{pid}/{day}/simulate", response_class=HTMLResponse)
async def simulate(request: Request, pid: str, day: str):
    form = await _form(request)
    state = _state(request)
    weekday = _weekday(day)
    try:
        reps = int(form.get("replications", "30"))
        if not 2 <= reps <= 500:
            raise ValueError
    except ValueError:
        return _render(
            request, "_sim.html",
            {"job": None, "error": f"replications = {form.get('replications')}: must be 2..500"},
            422,
        )  # fmt: skip
    index = state.index(pid)
    templates = {sc: state.template(pid, sc) for sc in SCENARIOS}
    job = state.jobs.start(index.model, templates, weekday, replications=reps, seed=weekday + 1)
    return _render(request, "_sim.html", {"job": job, "error": None, "scenarios": SCENARIOS})


@router.get("/sim/{job_id}", response_class=HTMLResponse)
async def sim_progress(request: Request, job_id: str):
    job = _state(request).jobs.get(job_id)
    if job is None:
        raise KeyError(job_id)
    return _render(request, "_sim.html", {"job": job, "error": job.error, "scenarios": SCENARIOS})


# -- frontier ----------------------------------------------------------------------------------
def _frontier_ctx(state, pid: str, weekday: int) -> dict[str, Any]:
    pc = state.polyclinic(pid)
    points, chosen = pc.frontier_points(weekday)
    return {"has_file": pc.frontier is not None, "n": len(points), "chosen": chosen}


@router.get("/pc/{pid}/{day}/frontier.json")
async def frontier_json(request: Request, pid: str, day: str):
    pc = _state(request).polyclinic(pid)
    points, chosen = pc.frontier_points(_weekday(day))
    keys = ("label", "wait_mean", "patients_per_week", "overtime", "utilization", "studio")
    return JSONResponse(
        {
            "has_file": pc.frontier is not None,
            "policy": (pc.frontier or {}).get("policy"),
            "chosen": chosen,
            "points": [{k: p.get(k) for k in keys} for p in points],
        }
    )


@router.post("/pc/{pid}/{day}/frontier/load")
async def frontier_load(request: Request, pid: str, day: str):
    state = _state(request)

    def act(form: dict[str, str], weekday: int) -> None:
        points, _ = state.polyclinic(pid).frontier_points(weekday)
        raw = form.get("point", "")
        try:
            i = int(raw)
            point = points[i]
            if i < 0:
                raise IndexError
        except (ValueError, IndexError):
            raise BadRequest(f"must be 0..{len(points) - 1}", field="point", value=raw) from None
        try:
            slots = slots_from_rows(point.get("slots", []), weekday)
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise BadRequest(
                f"unreadable frontier slots ({exc})", field="point", value=raw
            ) from None
        state.set_working(pid, edits.replace_day(state.working(pid), weekday, slots))

    return await _work(request, pid, day, act)


@router.post("/pc/{pid}/{day}/reoptimise", response_class=HTMLResponse)
async def reoptimise_route(request: Request, pid: str, day: str):
    form = await _form(request)
    state = _state(request)
    weekday = _weekday(day)
    pc = state.polyclinic(pid)
    policy = form.get("policy", "balanced")
    try:
        weights = parse_weights(policy, form)
        index = state.index(pid)
        slots = await run_in_threadpool(reoptimise, index.model, weekday, weights, policy)
        new = edits.replace_day(state.working(pid), weekday, tuple(slots))
        k = day_kpis(index, new, weekday, demand=state.whatif(pid).demand)
        week = sum(
            day_kpis(index, new, d, demand=state.whatif(pid).demand).patients_served
            for d in new.weekdays
        )
        label = f"re-optimised ({policy}, " + ", ".join(f"{a}={b:g}" for a, b in weights.items())
        pc.extra_points.setdefault(weekday, []).append(
            point_for(label.rstrip(", ") + ")", new, weekday, k, week, weights)
        )
        error = None
    except PolyslotError as exc:
        error = _message(exc)
    ctx = {"frontier": _frontier_ctx(state, pid, weekday), "pid": pid, "day": day, "error": error}
    return _render(request, "_frontier.html", ctx, 422 if error else 200)


# -- exports, save, API ------------------------------------------------------------------------
@router.get("/pc/{pid}/export/{fmt}")
async def export(request: Request, pid: str, fmt: str):
    state = _state(request)
    if fmt not in EXPORT_FORMATS:
        raise KeyError(fmt)
    working = state.working(pid)
    week = fhir_week(state.run.out, pid) if fmt == "fhir" else None
    data = await run_in_threadpool(export_bytes, fmt, working, state.polyclinic(pid).current, week)
    media, suffix = EXPORT_FORMATS[fmt]
    name = f"{pid}-working.{suffix}"
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/pc/{pid}/save", response_class=HTMLResponse)
async def save(request: Request, pid: str):
    state = _state(request)
    path = await run_in_threadpool(state.run.save_edit, state.working(pid))
    rel = path.relative_to(state.run.out)
    return HTMLResponse(f'<span class="ok" id="saved">saved to {rel}</span>')


@router.get("/api/pc/{pid}/{day}/kpis")
async def api_kpis(request: Request, pid: str, day: str):
    state = _state(request)
    kpis = await run_in_threadpool(state.kpis, pid, _weekday(day))
    return JSONResponse(
        {"weekday": day, "ms": state.last_ms, **{sc: k.as_dict() for sc, k in kpis.items()}}
    )
