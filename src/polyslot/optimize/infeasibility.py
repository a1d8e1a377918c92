"""Explaining an infeasible allocation MIP: an elastic (slack) model names the conflicting
requirements with numbers and the smallest relaxation that restores feasibility.

Every hard requirement (coverage, staff, overbooking, rooms, throughput, change limit) gets a
nonnegative slack; the elastic model minimises their weighted sum (coverage slack in the
slot's expected doctor-minutes, halved, so that dropping demand is preferred to inventing
staff). Positive slacks are the conflicts; their values are the relaxation.
"""

from __future__ import annotations

import math

import pulp

from polyslot.distributions import expected_unmet
from polyslot.errors import InfeasibleError
from polyslot.optimize.allocation import Curves, build_allocation
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.solver import SolveStatus, solve_configured
from polyslot.optimize.weekday_inputs import (
    WeekdayInputs,
    bucket_label,
    current_throughput,
    safe_name,
)
from polyslot.template import WEEKDAYS

__all__ = ["RELAX_STEPS", "explain_infeasibility", "infeasible_message", "smallest_relaxation"]

#: What ``on_infeasible = "relax"`` may relax, in order: demand coverage and the utilisation
#: ceiling (up to the overbooking cap) first; when that is not enough, also the throughput
#: floor (serving fewer requests than today's template).
RELAX_STEPS: tuple[tuple[str, ...], ...] = (("cover", "staff"), ("cover", "staff", "throughput"))

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

    The message is one line naming every conflicting requirement, each with the setting that
    relaxes it, starting with the first, e.g. ``"Mon 09:00-10:00: chronic_followup needs 14
    slots, staff allow 9 (relax: lower chronic_followup coverage ...); ..."``.
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
    families: tuple[str, ...] | None = None,
) -> tuple[dict[str, float], InfeasibleError] | None:
    """The smallest relaxation of only ``families`` (demand coverage first, then the utilisation
    ceiling, up to the overbooking cap, then the throughput floor) that makes the MIP feasible,
    with its explanation (whose ``counts`` attribute holds the elastic solution's slots,
    feasible for the relaxed MIP); None when relaxing these families is not enough. Without
    ``families``, the steps of :data:`RELAX_STEPS` in turn."""
    for step in RELAX_STEPS if families is None else (families,):
        found = _elastic(inp, config, curve, step)
        if found is not None:
            return found
    return None


def _elastic(
    inp: WeekdayInputs,
    config: OptimizeConfig,
    curve: Curves,
    families: tuple[str, ...] | None,
) -> tuple[dict[str, float], InfeasibleError] | None:
    am = build_allocation(inp, config, curve, elastic=True, soft_families=families)
    thr = {n: v for n, v in am.slack.items() if n.split("_")[0] == "throughput"}
    if families is not None and thr:
        # the throughput floor is the last resort: first the least shortfall below today's
        # throughput (everything else relaxable), then the smallest relaxation with it
        objective = am.problem.objective
        am.problem.setObjective(pulp.lpSum(thr.values()))
        rec = solve_configured(am.problem, config)
        if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            return None
        for n, v in thr.items():
            am.problem += v <= rec.values.get(v.name, 0.0) + _TOL, f"least_{n}"
        am.problem.setObjective(objective)
    rec = solve_configured(am.problem, config)
    if rec.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return None
    slacks = {
        name: rec.values.get(var.name, 0.0)
        for name, var in am.slack.items()
        if rec.values.get(var.name, 0.0) > _TOL
    }
    found = [_explain(inp, config, name, s) for name, s in slacks.items()]
    found.sort(key=lambda cr: "slots, staff allow" not in cr[0])
    wd = WEEKDAYS[inp.weekday]
    conflicts = [c for c, _ in found] or [f"{wd}: the allocation model is infeasible"]
    relax = [r for _, r in found]
    err = InfeasibleError(infeasible_message(conflicts, relax), conflicts, relax)
    err.counts = {hv: int(round(rec.values.get(var.name, 0.0))) for hv, var in am.x.items()}
    return slacks, err


def infeasible_message(conflicts: list[str], relax: list[str]) -> str:
    """One line naming every conflicting requirement, each with the setting that relaxes it:
    ``"<conflict> (relax: <setting>); <conflict> (relax: <setting>); ..."``."""
    parts = [
        f"{c} (relax: {r.split(': ', 1)[1] if ': ' in r else r})" if r else c
        for c, r in zip(conflicts, [*relax, *[""] * (len(conflicts) - len(relax))], strict=True)
    ]
    return "; ".join(parts)


def _explain(inp: WeekdayInputs, config: OptimizeConfig, name: str, s: float) -> tuple[str, str]:
    """``(conflict, relaxation)`` of the requirement ``name`` violated by ``s``."""
    wd = WEEKDAYS[inp.weekday]
    kind = name.split("_")[0]
    if kind == "cover":
        return _cover(inp, config, name, s)
    if kind in ("staff", "overbook", "rooms"):
        return _bucket(inp, config, name, s)
    if kind == "throughput":
        return _throughput(inp, config, name, s)
    if kind == "change":
        return (
            f"{wd}: {name} needs {s:.0f} slots beyond max_change={config.max_change}",
            f"{wd}: raise optimize.max_change to {(config.max_change or 0) + math.ceil(s)} "
            f"({name})",
        )
    return f"{wd}: {name} is violated by {s:.3g}", f"{wd}: relax {name} by {s:.3g}"


def _cover(inp: WeekdayInputs, config: OptimizeConfig, name: str, s: float) -> tuple[str, str]:
    vn = [safe_name(v) for v in inp.visit_types]
    v = vn.index(name[len("cover_") :])
    vt = inp.visit_types[v]
    need = inp.need(v, config.epsilon)
    allow = int(math.floor(need - s + 1e-6))
    hs = [h for h in range(len(inp.buckets)) if inp.allowed[h][v]]
    where = _span(inp, hs)
    p = max((inp.no_show[h][v] for h in hs), default=0.0)
    minutes = (need - allow) * (1 - p) * inp.mean_service[v] / config.utilisation_ceiling
    hours = (
        f", or allow {vt} in more hours (optimize.allowed_hours)"
        if vt in config.allowed_hours
        else ""
    )
    return (
        f"{where}: {vt} needs {need} slots, staff allow {allow}",
        f"{where}: lower {vt} coverage from {need} to {allow} slots (raise optimize.epsilon "
        f"above {config.epsilon}) or add {math.ceil(minutes)} doctor-minutes{hours}",
    )


def _bucket(inp: WeekdayInputs, config: OptimizeConfig, name: str, s: float) -> tuple[str, str]:
    kind, tag = name.split("_", 1)
    h = {f"{b // 60:02d}{b % 60:02d}": i for i, b in enumerate(inp.buckets)}[tag]
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
    }
    fix = {
        "staff": f"add {math.ceil(s)} doctor-minutes or raise optimize.utilisation_ceiling "
        f"above {config.utilisation_ceiling}",
        "overbook": f"raise optimize.overbooking_cap above {config.overbooking_cap} "
        f"({math.ceil(s)} more booked minutes)",
        "rooms": f"raise optimize.rooms above {config.rooms} ({math.ceil(s)} room-minutes)",
    }
    return (
        f"{inp.label(h)}: workload needs {limit + s:.1f} min, {what[kind]} {limit:.1f} min",
        f"{inp.label(h)}: {fix[kind]}",
    )


def _throughput(inp: WeekdayInputs, config: OptimizeConfig, name: str, s: float) -> tuple[str, str]:
    wd = WEEKDAYS[inp.weekday]
    floor = config.throughput_floor
    if name == "throughput_target":
        return (
            f"{wd}: booking at most {floor:.0%} of today's booked minutes needs {s:.1f} more "
            "minutes",
            f"{wd}: raise optimize.throughput_floor above {floor}",
        )
    if name == "throughput":
        today, what = current_throughput(inp), "today's template serves"
    else:
        vn = [safe_name(v) for v in inp.visit_types]
        v = vn.index(name[len("throughput_") :])
        cur = sum(inp.current[h][v] for h in range(len(inp.buckets)))
        dm, dv = inp.demand_mean[v], inp.demand_var[v]
        today = dm - expected_unmet(dm, dv, cur)
        what = f"today's template serves of {inp.visit_types[v]}"
    need = today * floor
    can = max(0.0, need - s)
    share = math.floor(100 * can / today) / 100 if today > 0 else 0.0
    return (
        f"{wd}: serving the {need:.2f} requests {what} needs {s:.2f} more than staff allow",
        f"{wd}: accept {s:.2f} requests fewer than {what} (optimize.throughput_floor "
        f'{share:.2f}, or on_infeasible = "relax")',
    )
