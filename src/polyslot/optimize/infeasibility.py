"""Explaining an infeasible allocation MIP: an elastic (slack) model names the conflicting
requirements with numbers and the smallest relaxation that restores feasibility.

Every hard requirement (coverage, staff, overbooking, rooms, throughput, change limit) gets a
nonnegative slack; the elastic model minimises their weighted sum (coverage slack in the
slot's expected doctor-minutes, halved, so that dropping demand is preferred to inventing
staff). Positive slacks are the conflicts; their values are the relaxation.
"""

from __future__ import annotations

import math

from polyslot.errors import InfeasibleError
from polyslot.optimize.allocation import Curves, build_allocation
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.solver import SolveStatus, solve_configured
from polyslot.optimize.weekday_inputs import WeekdayInputs, bucket_label, safe_name
from polyslot.template import WEEKDAYS

__all__ = ["explain_infeasibility", "smallest_relaxation"]

_TOL = 1e-6


def _span(inp: WeekdayInputs, hs: list[int]) -> str:
    """``"Mon 09:00-10:00"`` or ``"Mon 08:00-12:00, 13:00-17:00"`` (contiguous runs merged)."""
    if not hs:
        return WEEKDAYS[inp.weekday]
    runs: list[list[int]] = []
    for h in hs:
        if runs and inp.buckets[h] == inp.buckets[runs[-1][-1]] + inp.bucket_minutes:
            runs[-1].append(h)
        else:
            runs.append([h])
    parts = []
    for run in runs:
        first, last = inp.buckets[run[0]], inp.buckets[run[-1]] + inp.bucket_minutes
        parts.append(bucket_label(inp.weekday, first, last - first).split(" ", 1)[1])
    return f"{WEEKDAYS[inp.weekday]} " + ", ".join(parts)


def explain_infeasibility(
    inp: WeekdayInputs, config: OptimizeConfig, curve: Curves
) -> InfeasibleError:
    """Build and solve the elastic model and return the :class:`InfeasibleError` to raise.

    The message's first line names the first conflict, e.g.
    ``"Mon 09:00-10:00: chronic_followup needs 14 slots, staff allow 9"``.
    """
    result = _elastic(inp, config, curve, None)
    if result is None:
        wd = WEEKDAYS[inp.weekday]
        return InfeasibleError(f"{wd}: the allocation model is infeasible even with all slacks")
    return result[1]


def smallest_relaxation(
    inp: WeekdayInputs,
    config: OptimizeConfig,
    curve: Curves,
    families: tuple[str, ...] = ("cover", "staff"),
) -> tuple[dict[str, float], InfeasibleError] | None:
    """The smallest relaxation of only ``families`` (demand coverage first, then the utilisation
    ceiling, up to the overbooking cap) that makes the MIP feasible, with its explanation (whose
    ``counts`` attribute holds the elastic solution's slots, feasible for the relaxed MIP); None
    when relaxing these families is not enough."""
    return _elastic(inp, config, curve, families)


def _elastic(inp, config, curve, families):
    am = build_allocation(inp, config, curve, elastic=True, soft_families=families)
    rec = solve_configured(am.problem, config)
    wd = WEEKDAYS[inp.weekday]
    if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return None
    slacks = {
        name: rec.values.get(var.name, 0.0)
        for name, var in am.slack.items()
        if rec.values.get(var.name, 0.0) > _TOL
    }
    conflicts: list[str] = []
    relax: list[str] = []
    vn = [safe_name(v) for v in inp.visit_types]
    tags = {f"{b // 60:02d}{b % 60:02d}": h for h, b in enumerate(inp.buckets)}
    for name, var in am.slack.items():
        s = rec.values.get(var.name, 0.0)
        if s <= _TOL:
            continue
        if name.startswith("cover_"):
            v = vn.index(name[len("cover_") :])
            vt = inp.visit_types[v]
            need = inp.need(v, config.epsilon)
            allow = int(math.floor(need - s + 1e-6))
            hs = [h for h in range(len(inp.buckets)) if inp.allowed[h][v]]
            where = _span(inp, hs)
            conflicts.append(f"{where}: {vt} needs {need} slots, staff allow {allow}")
            p = max((inp.no_show[h][v] for h in hs), default=0.0)
            minutes = (need - allow) * (1 - p) * inp.mean_service[v] / config.utilisation_ceiling
            relax.append(
                f"{where}: lower {vt} coverage from {need} to {allow} slots "
                f"(raise epsilon above {config.epsilon}) or add {math.ceil(minutes)} "
                "doctor-minutes"
            )
        elif name.split("_")[0] in ("staff", "overbook", "rooms"):
            kind, tag = name.split("_", 1)
            h = tags[tag]
            cap = inp.capacity(h)
            limit = {
                "staff": config.utilisation_ceiling * cap,
                "overbook": (1 + config.overbooking_cap) * cap,
                "rooms": (config.rooms or 0) * inp.bucket_minutes,
            }[kind]
            what = {
                "staff": "staff allow",
                "overbook": "the overbooking cap allows",
                "rooms": "rooms allow",
            }[kind]
            conflicts.append(
                f"{inp.label(h)}: workload needs {limit + s:.1f} min, {what} {limit:.1f} min"
            )
            what = {
                "staff": f"add {math.ceil(s)} doctor-minutes or allow utilisation above "
                f"{config.utilisation_ceiling}",
                "overbook": f"raise the overbooking cap by {math.ceil(s)} booked minutes",
                "rooms": f"add {math.ceil(s)} room-minutes",
            }[kind]
            relax.append(f"{inp.label(h)}: {what}")
        elif name == "throughput":
            conflicts.append(
                f"{wd}: serving the current template's demand needs {s:.1f} more requests "
                "than staff allow"
            )
            relax.append(f"{wd}: accept throughput {s:.1f} requests below the current template")
        elif name.startswith("change_"):
            conflicts.append(
                f"{wd}: {name} needs {s:.0f} slots beyond max_change={config.max_change}"
            )
            relax.append(f"{wd}: raise max_change by {math.ceil(s)} ({name})")
    order = sorted(range(len(conflicts)), key=lambda i: "slots, staff allow" not in conflicts[i])
    conflicts = [conflicts[i] for i in order]
    relax = [relax[i] for i in order]
    if not conflicts:
        conflicts.append(f"{wd}: the allocation model is infeasible")
    msg = conflicts[0] + (f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else "")
    err = InfeasibleError(msg, conflicts, relax)
    err.counts = {hv: int(round(rec.values.get(var.name, 0.0))) for hv, var in am.x.items()}
    return slacks, err
