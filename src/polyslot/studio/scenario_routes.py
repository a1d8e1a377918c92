"""Scenarios: save the working copy under a name, list, reopen, compare two side by side, and
export any template (current, recommended, working or a saved scenario)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from polyslot.errors import InputError
from polyslot.studio.exports import EXPORT_FORMATS, export_bytes, fhir_week, fhir_writer
from polyslot.studio.http import BadRequest, message, read_form, render, state_of
from polyslot.studio.scenarios import run_identity
from polyslot.studio.state import TEMPLATES
from polyslot.studio.views import compare_ctx

__all__ = ["router", "scenarios_ctx"]

router = APIRouter()


def scenarios_ctx(state, pid: str) -> dict[str, Any]:
    """The scenarios panel: the run's templates, the working copy and the saved scenarios."""
    scenarios = state.scenarios.list(pid)
    counts = {name: len(state.template(pid, name).slots) for name in TEMPLATES}
    return {
        "fixed": TEMPLATES,
        "scenarios": scenarios,
        "names": [*TEMPLATES, *(s.name for s in scenarios)],
        "counts": counts,
        "saved": None,
        "error": None,
    }


def _known(state, pid: str, name: str, field: str) -> str:
    if name not in TEMPLATES and name not in state.scenarios.names(pid):
        raise BadRequest(
            "must be current, recommended, working or a saved scenario's name",
            field=field,
            value=name,
        )
    return name


@router.post("/pc/{pid}/{day}/scenarios", response_class=HTMLResponse)
async def save_scenario(request: Request, pid: str, day: str):
    state = state_of(request)
    state.open_day(pid, day)
    form = await read_form(request)
    saved, error, path = None, None, ""
    try:
        scenario = await run_in_threadpool(
            state.scenarios.save, state.working(pid), form.get("name", ""),
            state.whatif(pid).as_dict(),
        )  # fmt: skip
        saved = scenario.name
        path = state.scenarios.path(pid, scenario.name).relative_to(state.run.out)
    except InputError as exc:
        error = message(exc)
    ctx = {"pid": pid, "day": day, "fhir": fhir_writer() is not None, **scenarios_ctx(state, pid)}
    ctx.update(saved=saved, saved_path=str(path), error=error)
    return render(request, "_scenarios.html", ctx, 422 if error else 200)


@router.post("/pc/{pid}/{day}/scenarios/open")
async def open_scenario(request: Request, pid: str, day: str):
    """The scenario becomes the working copy (undo takes it back); the editor reloads."""
    state = state_of(request)
    state.open_day(pid, day)
    form = await read_form(request)
    name = form.get("name", "")
    try:
        scenario = state.scenarios.load(pid, name)
    except KeyError:
        raise BadRequest("no saved scenario of that name", field="name", value=name) from None
    with state.lock:
        state.working_copy(pid).set_week(scenario.template)
        state.set_origin(
            pid,
            {**scenario.info(), "current_run_id": run_identity(state.run.out, pid)},
        )
    url = f"/pc/{pid}/{day}"
    return Response(
        f"opened {scenario.name}\n",
        media_type="text/plain",
        headers={"HX-Redirect": url},
    )


@router.get("/pc/{pid}/compare", response_class=HTMLResponse)
async def compare(request: Request, pid: str):
    state = state_of(request)
    state.polyclinic(pid)
    q = request.query_params
    a = _known(state, pid, q.get("a", "current"), "a")
    b = _known(state, pid, q.get("b", "working"), "b")
    weekday = state.open_day(pid, q.get("day", "Mon"))
    ctx = await run_in_threadpool(compare_ctx, state, pid, a, b, weekday)
    return render(request, "compare.html", ctx)


@router.get("/pc/{pid}/export/{fmt}")
async def export(request: Request, pid: str, fmt: str):
    """A template as CSV / XLSX / JSON / FHIR, or the working copy's change list."""
    state = state_of(request)
    state.polyclinic(pid)
    if fmt not in EXPORT_FORMATS or (fmt == "fhir" and fhir_writer() is None):
        raise KeyError(f"format = {fmt}")
    name = _known(state, pid, request.query_params.get("template", "working"), "template")
    template = state.template(pid, name)
    week = fhir_week(state.run.out, pid) if fmt == "fhir" else None
    data = await run_in_threadpool(export_bytes, fmt, template, state.polyclinic(pid).current, week)
    media, suffix = EXPORT_FORMATS[fmt]
    filename = f"{pid}-{name.replace(' ', '_')}.{suffix}"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
