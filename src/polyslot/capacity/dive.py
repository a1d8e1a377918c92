"""Primal heuristics of the capacity solve: a day-by-day dive and the least total reservation.

:func:`dive` fixes the first-visit bookings one visit day at a time, in calendar order: the
day's cells are rounded so that the day's total is an integer (an arrival period's last
cell is rounded up) and rounded down, and the LP of what is still free is solved again, so
the later days, the revisit flows and the other reservations absorb each rounding. Rounding
down matters: a day rounded up to a whole first visit more than the LP spread there sets a peak
20 minutes (one first visit) above the bound that nothing later can lower, while the fraction
left over moves to later days, where the revisit flows even it out. Fixing whole days keeps every
day's first-visit count integer as soon as it is decided, which is what the peak depends on.
A day whose rounding leaves the LP infeasible (usually the lead-time percentile) is retried with
its short-lead cells rounded up, and else left to the final per-row rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from polyslot.capacity.highs_copy import HighsCopy, PulpCopy
from polyslot.optimize.solver import SolveRecord, SolveStatus

if TYPE_CHECKING:
    from polyslot.capacity.model import CapacityModel

__all__ = ["best_record", "dive"]

_MAX_STEPS = 60  # LP re-solves per dive: beyond, consecutive days are fixed together


def _round_day(
    cells: list[tuple[int, str]],
    vals: np.ndarray,
    last: dict[int, int],
    j: int,
    up_lead: int,
    carry: float,
) -> np.ndarray:
    """Integer cells of day ``j``, the day's total rounded down once ``carry`` (0: always;
    0.5: to the nearest) is added; cells that close their arrival period (or have a lead
    ``<= up_lead``) are rounded up."""
    forced = np.array([last[i] == j or j - i <= up_lead for i, _ in cells])
    base = np.where(forced, np.ceil(vals - 1e-6), np.floor(vals + 1e-6))
    total = math.floor(float(vals.sum()) + carry + 1e-6)
    extra = max(total, int(base.sum())) - int(base.sum())
    order = [k for k in np.argsort(-(vals - base), kind="stable") if not forced[k]]
    for k in order[:extra]:
        base[k] += 1
    return base


def dive(
    model: CapacityModel,
    copy: HighsCopy | PulpCopy,
    values: Mapping[str, float],
    caps: Mapping[str, float],
    time_limit: float,
    carry: float = 0.0,
) -> tuple[dict[str, float], Mapping[str, float]]:
    """Fix the bookings day by day from the fractional ``values`` (module docstring).

    ``caps`` are extra upper bounds kept during the dive (the integer-rounding cuts); ``carry``
    0 rounds each day's total down, 0.5 to the nearest integer. Returns
    the fixed cells (by variable name) and the last LP values; the caller rounds the cells that
    are still free and re-solves the revisit flows.
    """
    last: dict[int, int] = {}
    into: dict[int, list[tuple[int, str]]] = {}
    for (i, j), var in model.z.items():
        last[i] = max(last.get(i, -1), j)
        into.setdefault(j, []).append((i, var.name))
    fixed: dict[str, float] = {}
    days = sorted(into)
    block = max(1, math.ceil(len(days) / _MAX_STEPS))
    with copy.pinned(caps, time_limit) as step:
        for b in range(0, len(days), block):
            group = days[b : b + block]
            for up_lead in (-1, model.inp.targets.median):
                trial: dict[str, float] = {}
                for j in group:
                    cells = into[j]
                    vals = np.array([max(0.0, values.get(name, 0.0)) for _, name in cells])
                    rounded = _round_day(cells, vals, last, j, up_lead, carry)
                    trial.update(
                        (name, float(n)) for (_i, name), n in zip(cells, rounded, strict=True)
                    )
                rec = step(trial)
                if rec.status == SolveStatus.OPTIMAL:
                    fixed.update(trial)
                    values = rec.values
                    break
            else:  # left to the final rounding
                step({}, list(trial))
    return fixed, values


def best_record(records: list[SolveRecord | None]) -> SolveRecord | None:
    """The record with the least objective among those that have one."""
    cands = [r for r in records if r is not None and r.objective is not None]
    return min(cands, key=lambda r: r.objective or 0.0) if cands else None
