"""The network page: the run's network plan (moves, before / after per polyclinic) and a
what-if: add or take off one doctor in one session of a polyclinic, optionally with the opposite
change at another one, and see both polyclinics' KPIs of that weekday change
(:mod:`polyslot.studio.network`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from polyslot.errors import InputError
from polyslot.studio.http import message, read_form, render, state_of
from polyslot.studio.kpi_format import kpi_text
from polyslot.studio.kpis import KPI_KEYS, KPI_LABELS
from polyslot.studio.network import NetworkStudio
from polyslot.template import WEEKDAYS

__all__ = ["router", "network_of"]

router = APIRouter()


def network_of(state: Any) -> NetworkStudio:
    """The state's :class:`NetworkStudio` (made once)."""
    with state.lock:
        net = getattr(state, "network", None)
        if net is None:
            net = NetworkStudio(state)
            state.network = net
        return net


def _week(entry: dict[str, Any] | None, kpi: str, digits: int = 0) -> str:
    e = (entry or {}).get(kpi) or {}
    if e.get("mean") is None:
        return "-"
    return f"{e['mean']:,.{digits}f}"


def _rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for e in [*doc.get("polyclinics", []), {"polyclinic_id": "NETWORK", **doc.get("network", {})}]:
        cells = []
        for kpi, digits in (("patients_served", 0), ("overtime", 0), ("wait_mean", 1)):
            cells += [_week(e.get(s), kpi, digits) for s in ("today", "recommended", "network")]
        out.append({"id": e["polyclinic_id"], "role": e.get("role", ""), "cells": cells})
    return out


@router.get("/network", response_class=HTMLResponse)
async def network_page(request: Request):
    state = state_of(request)
    net = network_of(state)
    doc = net.document()
    ctx = {
        "doc": doc,
        "rows": _rows(doc) if doc.get("polyclinics") else [],
        "moves": doc.get("moves", []),
        "ids": net.ids(),
        "weekdays": WEEKDAYS[:6] if all(
            WEEKDAYS.index("Sun") not in state.polyclinic(p).open_days for p in net.ids()
        ) else WEEKDAYS,
    }  # fmt: skip
    return render(request, "network.html", ctx)


@router.post("/network/what-if", response_class=HTMLResponse)
async def network_what_if(request: Request):
    state = state_of(request)
    net = network_of(state)
    form = await read_form(request)
    try:
        change = net.parse(form)
        rows = await run_in_threadpool(net.what_if, change)
    except InputError as exc:
        return render(request, "_network_result.html", {"error": message(exc)}, 422)
    table = [
        {
            "polyclinic": r["polyclinic"],
            "change": r["change"],
            "doctors": r["doctors"],
            "kpis": [
                {"key": k, "label": f"{KPI_LABELS[k][0]} ({KPI_LABELS[k][1]})",
                 "before": kpi_text(r["before"], k), "after": kpi_text(r["after"], k),
                 "raw_before": r["before"].value(k), "raw_after": r["after"].value(k)}
                for k in KPI_KEYS
            ],  # fmt: skip
            "note": r["after"].note,
        }
        for r in rows
    ]
    ctx = {"error": None, "table": table, "weekday": WEEKDAYS[change.weekday],
           "half": change.half}  # fmt: skip
    return render(request, "_network_result.html", ctx)
