"""The trade-off frontier of a polyclinic and weekday, and re-optimisation from the studio.

Points come from ``out/frontier/<polyclinic_id>.json`` (written by ``polyslot run``; format in
docs/studio.md). "Re-optimise" runs the allocation MIP and the sequencing of one weekday
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
from polyslot.studio.kpis import DayKPIs
from polyslot.template import Slot, SlotTemplate

__all__ = ["POLICIES", "reoptimise", "point_for", "parse_weights"]

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
    label: str,
    template: SlotTemplate,
    weekday: int,
    kpis: DayKPIs,
    patients_per_week: float,
    weights: dict[str, float],
) -> dict[str, Any]:
    """A frontier point (the shared frontier format) for a studio-made template."""
    rows = template_rows(template.for_weekday(weekday))
    return {
        "label": label,
        "throughput_floor": float(weights.get("throughput_floor", 1.0)),
        "overtime_weight": float(weights.get("w_overtime", 1.5)),
        "wait_mean": kpis.wait_mean,
        "patients_per_week": patients_per_week,
        "overtime": kpis.overtime,
        "utilization": kpis.utilization,
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
