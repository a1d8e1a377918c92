"""The trade-off frontier of a polyclinic and weekday, and re-optimisation from the studio.

Points come from ``out/frontier/<polyclinic_id>.json`` (written by ``polyslot run``; format in
docs/studio.md). The studio plots every point, and the current, recommended and working
templates and the saved scenarios, with its own KPI engine (:meth:`StudioState.day`): one
weekday, one source, mean wait (minutes) against patients served per day; the file's figures
(a simulated week) are kept as each point's ``run`` for the hover text.

"Re-optimise" runs the allocation MIP and the sequencing of one weekday
(:func:`polyslot.optimize.clinic.optimize_weekday`) with the planner's weights and policy and adds
the result as a new point.

Policies set the weights the planner did not type: ``balanced`` keeps the optimizer's defaults;
``throughput`` doubles the penalty of unmet requests and of idle doctor time (more patients
seen); ``on_time`` doubles the weights of waiting and overtime (shorter days, shorter waits).
A throughput floor below 1 lets the MIP serve that share of today's throughput only (the
frontier's other knob). The policy is also handed to the optimizer's configuration.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.errors import InputError
from polyslot.report.export import template_rows
from polyslot.studio.edits import replace_day
from polyslot.studio.kpis import DayKPIs
from polyslot.studio.run_data import slots_from_rows
from polyslot.studio.state import StudioState
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = [
    "POLICIES",
    "reoptimise",
    "point_for",
    "parse_weights",
    "frontier_ctx",
    "frontier_json",
]

POLICIES: dict[str, dict[str, float]] = {
    "balanced": {},
    "throughput": {"w_unmet": 120.0, "w_idle": 1.0},
    "on_time": {"w_wait": 2.0, "w_overtime": 3.0},
}


def parse_weights(policy: str, form: dict[str, Any]) -> dict[str, float]:
    """Optimizer weights from the form (``w_wait``, ``w_idle``, ``w_overtime``) over the
    policy's presets; raises InputError naming a bad field."""
    if policy not in POLICIES:
        raise InputError(f"must be one of {', '.join(POLICIES)}", field="policy", value=policy)
    out = dict(POLICIES[policy])
    for name in ("w_wait", "w_idle", "w_overtime", "throughput_floor"):
        raw = form.get(name)
        if raw in (None, ""):
            continue
        try:
            v = float(str(raw))
        except ValueError:
            raise InputError("must be a number", field=name, value=raw) from None
        lo, hi = (0.05, 1.0) if name == "throughput_floor" else (0.0, 1000.0)
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(f"must be in [{lo:g}, {hi:g}]", field=name, value=raw)
        out[name] = v
    return out


def reoptimise(
    model: ClinicModel, weekday: int, weights: dict[str, float], policy: str = "balanced"
) -> list[Slot]:
    """Slots of ``weekday`` from the MIP and sequencing with ``weights`` (and the throughput
    floor, when given) under ``policy``."""
    from polyslot.optimize.clinic import optimize_weekday
    from polyslot.optimize.config import OptimizeConfig

    changes: dict[str, Any] = dict(weights)
    known = {f.name for f in dataclasses.fields(OptimizeConfig)}
    changes = {k: v for k, v in changes.items() if k in known}
    if "policy" in known:
        changes["policy"] = policy
    config = OptimizeConfig(sequencing_max_iter=5, time_limit=20.0, **changes)
    _, slots = optimize_weekday(model, weekday, config)
    return list(slots)


def point_for(
    label: str, template: SlotTemplate, weekday: int, weights: dict[str, float]
) -> dict[str, Any]:
    """A frontier point (the shared frontier format, without figures: the studio evaluates
    every point with its own engine) for a studio-made template."""
    rows = template_rows(template.for_weekday(weekday))
    return {
        "label": label,
        "throughput_floor": float(weights.get("throughput_floor", 1.0)),
        "overtime_weight": float(weights.get("w_overtime", 1.5)),
        "slots": [
            {
                "start_time": r.start_time,
                "duration_minutes": int(r.duration_minutes),
                "visit_type": r.visit_type,
                "doctor_session": r.doctor_session,
                "overbooked": bool(r.overbooked),
            }
            for r in rows.itertuples(index=False)
        ],
        "studio": True,
    }


def _xy(kpis: DayKPIs) -> dict[str, Any]:
    return {
        "wait_mean": kpis.wait_mean,
        "wait_mean_se": kpis.se.get("wait_mean"),
        "patients_served": kpis.patients_served,
        "patients_served_se": kpis.se.get("patients_served"),
        "overtime": kpis.overtime,
        "utilization": kpis.utilization,
        "source": kpis.source,
    }


def frontier_ctx(state: StudioState, pid: str, weekday: int) -> dict[str, Any]:
    """What the frontier panel says about its points (file present, count, engine)."""
    pc = state.polyclinic(pid)
    points, chosen = pc.frontier_points(weekday)
    source = state.day(pid, state.working(pid), weekday).source
    return {"has_file": pc.frontier is not None, "n": len(points), "chosen": chosen,
            "source": source}  # fmt: skip


def frontier_json(state: StudioState, pid: str, weekday: int) -> dict[str, Any]:
    """Every point of ``weekday`` evaluated by the studio's KPI engine (one source, one unit:
    mean wait in minutes, patients served per day): the run's frontier points and the
    re-optimised ones (``points``, loadable by index), and the current, recommended and
    working templates and every saved scenario (``markers``)."""
    pc = state.polyclinic(pid)
    points, chosen = pc.frontier_points(weekday)
    out_points = []
    for i, p in enumerate(points):
        try:
            slots = slots_from_rows(p.get("slots", []), weekday)
        except (KeyError, TypeError, ValueError, InputError):
            continue
        tpl = replace_day(pc.current, weekday, slots)
        run = {k: p.get(k) for k in ("wait_mean", "patients_per_week") if k in p}
        out_points.append(
            {"index": i, "label": str(p.get("label", i)), "studio": bool(p.get("studio")),
             "run": run, **_xy(state.day(pid, tpl, weekday))}
        )  # fmt: skip
    markers = [
        {"kind": name, "label": name, **_xy(state.day(pid, state.template(pid, name), weekday))}
        for name in ("current", "recommended", "working")
    ]
    for sc in state.scenarios.list(pid):
        markers.append(
            {"kind": "scenario", "label": sc.name, "stale": sc.stale,
             **_xy(state.day(pid, sc.template, weekday))}
        )  # fmt: skip
    return {
        "has_file": pc.frontier is not None,
        "policy": (pc.frontier or {}).get("policy"),
        "chosen": chosen,
        "weekday": WEEKDAYS[weekday],
        "source": state.day(pid, state.working(pid), weekday).source,
        "units": {"wait_mean": "min", "patients_served": "patients/day"},
        "points": out_points,
        "markers": markers,
    }
