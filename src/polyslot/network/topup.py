"""Ask more lenders where the first ones fell short (on the driver, once).

The lenders of a weekday are chosen before planning (:mod:`polyslot.network.roles`), by the
history's utilisation, as many as the borrowers could take. Some of their points then exceed the
lender tolerance (a half-day of three doctors rarely lends one). When the network MIP leaves a
borrower short on a half-day, that is, the borrower's best admissible option (by its objective,
ignoring who lends) has more doctor-sessions there than it got, the polyclinics not yet asked
that weekday are asked in order of their recommended plan's utilisation (the least used first)
until they could cover the shortfall: their staffing responses for that weekday are computed
here (:func:`polyslot.network.respond.staffing_response`) and the MIP is solved again. Both
engines run it on the driver with the same inputs, so their plans stay identical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from polyslot.config import RunConfig
from polyslot.network.halves import session_counts
from polyslot.network.mip import NetworkProblem, NetworkSolution, Option
from polyslot.network.roles import NetworkRole, may_share
from polyslot.staffing import HALVES, StaffingResponse

__all__ = ["shortfalls", "top_up"]


def _admissible(o: Option, tolerance: float) -> bool:
    return (
        o.patient_shortfall <= 0
        and o.wait_excess <= tolerance
        and o.overtime_excess <= tolerance
    )


def shortfalls(problem: NetworkProblem, solution: NetworkSolution) -> dict[tuple[int, str], int]:
    """``{(weekday, half): doctor-sessions}`` the borrowers wanted beyond what they got."""
    out: dict[tuple[int, str], int] = {}
    for c, d in problem.keys():
        opts = [o for o in problem.of(c, d) if _admissible(o, problem.tolerance)]
        if not any(o.am > 0 or o.pm > 0 for o in opts):
            continue
        best = min(opts, key=lambda o: (o.objective, o.am + o.pm, o.am, o.template))
        got = solution.chosen.get((c, d))
        for h in HALVES:
            more = best.change(h) - (got.change(h) if got else 0)
            if more > 0:
                out[(d, h)] = out.get((d, h), 0) + more
    return out


def top_up(
    clinics: Sequence,  # ClinicInputs (polyslot.network.plan), not imported: plan imports this
    problem: NetworkProblem,
    solution: NetworkSolution,
    config: RunConfig,
    respond: Callable[..., StaffingResponse],
) -> tuple[list, bool]:
    """``clinics`` with the responses of the lenders asked for the shortfalls (their weekdays
    marked ``driver``), and whether any was asked."""
    short = shortfalls(problem, solution)
    if not short or config.network.max_lend == 0:
        return list(clinics), False
    settings = config.network
    asked = {(c, d) for c, d in problem.keys()}
    borrowers = {d: [c for c, e in problem.keys() if e == d and any(
        o.am > 0 or o.pm > 0 for o in problem.of(c, d))] for d in {d for d, _ in short}}
    new: dict[str, list[int]] = {}
    for d in sorted(borrowers):
        need = {h: short.get((d, h), 0) for h in HALVES}
        cands = [
            c for c in clinics
            if (c.polyclinic_id, d) not in asked and d not in c.overloaded and d in c.planned
            and any(may_share(settings.groups, c.polyclinic_id, b) for b in borrowers[d])
        ]  # fmt: skip
        cands.sort(key=lambda c: (c.planned[d]["utilization"][0], c.polyclinic_id))
        for c in cands:
            if all(v <= 0 for v in need.values()):
                break
            counts = session_counts(c.model, d)
            give = {h: min(settings.max_lend, max(0, counts[h] - 1)) for h in HALVES}
            if not any(give[h] and need[h] > 0 for h in HALVES):
                continue
            new.setdefault(c.polyclinic_id, []).append(d)
            for h in HALVES:
                need[h] -= give[h]
    out = []
    for c in clinics:
        days = new.get(c.polyclinic_id)
        if not days:
            out.append(c)
            continue
        role = NetworkRole((), tuple(days), settings.max_borrow, settings.max_lend,
                           float(settings.lender_tolerance))
        extra = respond(c.model, c.recommended, c.today, c.planned, config, role).canonical()
        have = c.staffing.weekdays if c.staffing else ()
        marked = tuple(dataclasses.replace(w, driver=True) for w in extra.weekdays)
        out.append(dataclasses.replace(c, staffing=StaffingResponse(c.polyclinic_id,
                                                                    (*have, *marked))))
    return out, bool(new)
