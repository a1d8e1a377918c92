"""The studio's JSON API, simulation jobs, the frontier's data and re-optimisation.

``GET /api/kpis?polyclinic=PC&weekday=Mon&template=current|recommended|working`` gives one
template's KPIs in the document of ``polyslot kpis --json``
(:func:`polyslot.report.run_kpis.kpis_document`: the one clinic model with the run's settings
and seed, each KPI's mean, standard error and 95% CI to six decimals); for ``current`` and
``recommended`` without what-if factors it is the command's output, to the last digit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from polyslot.errors import PolyslotError
from polyslot.report.run_kpis import kpis_document
from polyslot.studio import edits
from polyslot.studio.frontier import (
    frontier_ctx,
    frontier_json,
    parse_weights,
    point_for,
    reoptimise,
)
from polyslot.studio.http import BadRequest, message, read_form, render, state_of
from polyslot.studio.kpi_format import kpi_record
from polyslot.studio.kpis import WhatIf
from polyslot.studio.simulate import SCENARIOS
from polyslot.studio.state import TEMPLATES

__all__ = ["router"]

router = APIRouter()


def _param(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if value is None or value == "":
        raise BadRequest("is required", field=name, value="")
    return value


# -- JSON API ----------------------------------------------------------------------------------
@router.get("/api/kpis")
async def api_kpis(request: Request):
    """One template's KPIs on one weekday (the contract shared with ``polyslot kpis``)."""
    state = state_of(request)
    pid = _param(request, "polyclinic")
    day = _param(request, "weekday")
    name = request.query_params.get("template", "working")
    if pid not in state.run.ids:
        raise KeyError(f"polyclinic = {pid}")
    try:
        weekday = state.open_day(pid, day)
    except KeyError:
        raise KeyError(f"weekday = {day} (closed or unknown at {pid})") from None
    if name not in TEMPLATES and name not in state.scenarios.names(pid):
        raise BadRequest(
            "must be current, recommended, working or a saved scenario's name",
            field="template",
            value=name,
        )
    day_, metrics = await run_in_threadpool(
        state.evaluated, pid, state.template(pid, name), weekday
    )
    doc = kpis_document(pid, weekday, name, day_, metrics)
    whatif = state.whatif(pid)
    if whatif != WhatIf():  # numbers under what-if factors: say which
        doc["whatif"] = whatif.as_dict()
    return JSONResponse(doc)


@router.get("/api/pc/{pid}/{day}/kpis")
async def api_day_kpis(request: Request, pid: str, day: str):
    """The three templates' KPIs of one weekday and the time taken."""
    state = state_of(request)
    weekday = state.open_day(pid, day)
    kpis = await run_in_threadpool(state.kpis, pid, weekday)
    return JSONResponse(
        {
            "weekday": day,
            "ms": state.last_ms,
            "source": kpis["working"].source,
            **{sc: kpi_record(k) for sc, k in kpis.items()},
        }
    )


@router.get("/api/pc/{pid}/scenarios")
async def api_scenarios(request: Request, pid: str):
    """The saved scenarios of a polyclinic (names, times, run, stale)."""
    state = state_of(request)
    state.polyclinic(pid)
    return JSONResponse([s.info() for s in state.scenarios.list(pid)])


# -- simulation --------------------------------------------------------------------------------
@router.post("/pc/{pid}/{day}/simulate", response_class=HTMLResponse)
async def simulate(request: Request, pid: str, day: str):
    state = state_of(request)
    weekday = state.open_day(pid, day)
    form = await read_form(request)
    raw = form.get("replications", "30")
    try:
        reps = int(raw)
        if not 2 <= reps <= 500:
            raise ValueError
    except ValueError:
        return render(
            request, "_sim.html",
            {"job": None, "error": f"replications = {raw}: must be a whole number 2..500"}, 422,
        )  # fmt: skip
    model = state.engine(pid).model
    templates = {sc: state.template(pid, sc) for sc in SCENARIOS}
    job = state.jobs.start(model, templates, weekday, replications=reps, seed=weekday + 1)
    return render(request, "_sim.html", {"job": job, "error": None, "scenarios": SCENARIOS})


@router.get("/sim/{job_id}", response_class=HTMLResponse)
async def sim_progress(request: Request, job_id: str):
    job = state_of(request).jobs.get(job_id)
    if job is None:
        raise KeyError(f"job = {job_id}")
    return render(request, "_sim.html", {"job": job, "error": job.error, "scenarios": SCENARIOS})


# -- frontier ----------------------------------------------------------------------------------
@router.get("/pc/{pid}/{day}/frontier.json")
async def frontier_data(request: Request, pid: str, day: str):
    state = state_of(request)
    weekday = state.open_day(pid, day)
    return JSONResponse(await run_in_threadpool(frontier_json, state, pid, weekday))


@router.post("/pc/{pid}/{day}/reoptimise", response_class=HTMLResponse)
async def reoptimise_route(request: Request, pid: str, day: str):
    state = state_of(request)
    weekday = state.open_day(pid, day)
    form = await read_form(request)
    pc = state.polyclinic(pid)
    policy = form.get("policy", "balanced")
    error = None
    try:
        weights = parse_weights(policy, form)
        label = f"re-optimised ({policy}, " + ", ".join(f"{a}={b:g}" for a, b in weights.items())
        label = label.rstrip(", ") + ")"
        try:
            slots = await run_in_threadpool(
                reoptimise, state.engine(pid).model, weekday, weights, policy
            )
        except PolyslotError as exc:
            raise BadRequest(
                f"re-optimisation failed: {str(exc).splitlines()[0]}", field="weights", value=label
            ) from None
        new = edits.replace_day(state.working(pid), weekday, tuple(slots))
        pc.extra_points.setdefault(weekday, []).append(point_for(label, new, weekday, weights))
    except (PolyslotError, BadRequest) as exc:
        error = message(exc)
    ctx: dict[str, Any] = {
        "frontier": frontier_ctx(state, pid, weekday),
        "pid": pid,
        "day": day,
        "error": error,
    }
    return render(request, "_frontier.html", ctx, 422 if error else 200)
