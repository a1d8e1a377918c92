"""Stage 1: the allocation MIP of one polyclinic x weekday (slots per bucket per visit type).

Its inputs (:mod:`.weekday_inputs`), building the model (this module), solving it
(:mod:`.solver`) and reading the solution are kept apart. Every constraint is named
``<family>_<bucket>_<visit type>`` so LP files and infeasibility reports are readable. The
formulation, in the notation of the code, is in docs/model.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulp

from polyslot.distributions import expected_unmet
from polyslot.optimize.allocation_waiting import WaitingCurve
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.weekday_inputs import (
    WeekdayInputs,
    current_throughput,
    safe_name,
)
from polyslot.template import WEEKDAYS

__all__ = ["AllocationModel", "build_allocation", "FRONTIER_BAND", "PENALTY"]

#: Weight of a relaxed requirement's slack in the objective of the relaxed MIP, per unit of the
#: elastic model's weight (a missed slot, a staff minute): far above any other term.
PENALTY = 100.0


THROUGHPUT_TOL = 1e-3  # requests per day the recommended template may serve below the current


#: Slots of each visit type a frontier point may book beyond its share of today's booked
#: minutes: each visit type's slots are whole numbers while the floor scales its throughput,
#: so rounding up may cost one slot of every type (with one slot of the longest type only,
#: feasibility jumped on and off between neighbouring floors).
FRONTIER_BAND = 1.0


@dataclass
class AllocationModel:
    """A built MIP with handles to its variables and the constraint families' names."""

    problem: pulp.LpProblem
    x: dict[tuple[int, int], pulp.LpVariable]
    wait: dict[int, pulp.LpVariable]
    backlog: dict[int, pulp.LpVariable]
    unused: dict[int, pulp.LpVariable]
    mismatch: dict[tuple[int, int], pulp.LpVariable]
    unmet: dict[int, pulp.LpVariable]
    slack: dict[str, pulp.LpVariable]
    terms: dict[str, pulp.LpAffineExpression]

    def load(self, inp: WeekdayInputs, h: int) -> pulp.LpAffineExpression:
        """Expected workload minutes of bucket ``h`` (booked + walk-ins)."""
        return _load(inp, self.x, h)


def _load(inp: WeekdayInputs, x: dict, h: int) -> pulp.LpAffineExpression:
    walk = inp.walk_in_load[h] if inp.walk_in_load else 0.0
    return (
        pulp.lpSum(
            x[h, v] * (1 - inp.no_show[h][v]) * inp.mean_service[v]
            for v in range(len(inp.visit_types))
            if (h, v) in x
        )
        + walk
    )


@dataclass
class _Slacks:
    """The allowance of each hard requirement: a slack variable (elastic model, its families),
    the given ``relax`` allowance, or nothing."""

    elastic: bool
    soft_families: tuple[str, ...] | None
    relax: dict[str, float]
    slack: dict[str, pulp.LpVariable] = field(default_factory=dict)
    penalised: frozenset[str] = frozenset()
    penalised_families: tuple[str, ...] = ()

    def __call__(self, name: str, cap: float | None = None) -> pulp.LpAffineExpression | float:
        family = name.split("_")[0]
        if family in self.penalised_families and name.startswith(family + "_"):
            ub = cap if family == "staff" else None  # staff up to the overbooking cap
            self.slack[name] = pulp.LpVariable(f"slack_{name}", lowBound=0, upBound=ub)
            return self.slack[name]
        if name in self.penalised:
            # staff keeps its allowance as a bound (the overbooking cap); the rest is priced
            ub = self.relax.get(name, 0.0) + 1.0 if family == "staff" else None
            self.slack[name] = pulp.LpVariable(f"slack_{name}", lowBound=0, upBound=ub)
            return self.slack[name]
        if not self.elastic or (
            self.soft_families is not None and family not in self.soft_families
        ):
            return self.relax.get(name, 0.0)
        ub = cap if (self.soft_families is not None and family == "staff") else None
        self.slack[name] = pulp.LpVariable(f"slack_{name}", lowBound=0, upBound=ub)
        return self.slack[name]


@dataclass
class _Build:
    """What every constraint family needs while the MIP is built."""

    prob: pulp.LpProblem
    inp: WeekdayInputs
    config: OptimizeConfig
    tag: list[str]  # bucket labels HHMM
    vn: list[str]  # visit type names safe for LP files
    x: dict[tuple[int, int], pulp.LpVariable]
    soft: _Slacks
    #: The throughput floor: ``config.throughput_floor``, or a variable in [0, 1] when the MIP
    #: looks for the largest floor the staff allow (:func:`build_allocation` ``max_floor``).
    floor: float | pulp.LpVariable = 1.0


Curves = WaitingCurve | Mapping[int, WaitingCurve]


def _curve_of(curves: Curves, servers: float) -> tuple[int, WaitingCurve]:
    """The curve a bucket with ``servers`` doctors uses and its doctor count: a single curve is
    one doctor's (scaled to ``servers``); of a mapping ``{doctors: curve}`` the nearest count."""
    if isinstance(curves, WaitingCurve):
        return 1, curves
    c = max(1, int(round(servers)))
    best = min(curves, key=lambda k: (abs(k - c), k))
    return best, curves[best]


def _bucket_rows(
    b: _Build,
    curve: Curves,
    gamma: float,
    backlog: dict[int, pulp.LpVariable],
    unused: dict[int, pulp.LpVariable],
    wait: dict[int, pulp.LpVariable],
    late: dict[int, pulp.LpVariable],
) -> None:
    """Per bucket: staff, overbooking and room ceilings, backlog, unused time, waiting cuts
    and, at a block's end, the overtime cuts."""
    inp, config, prob, x, tag, soft = b.inp, b.config, b.prob, b.x, b.tag, b.soft
    nv = len(inp.visit_types)
    for h in range(len(inp.buckets)):
        cap = inp.capacity(h)
        load = _load(inp, x, h)
        prev = backlog[h - 1] if h > 0 and not inp.block_end[h - 1] else 0.0
        if inp.servers[h] == 0:
            prob += backlog[h] == 0, f"break_{tag[h]}"
            prob += unused[h] == 0, f"break_unused_{tag[h]}"
            prob += wait[h] == 0, f"break_wait_{tag[h]}"
            continue
        booked = pulp.lpSum(x[h, v] * inp.mean_service[v] for v in range(nv) if (h, v) in x)
        if any((h, v) in x for v in range(nv)):
            prob += (
                load
                <= config.utilisation_ceiling * cap
                + soft(
                    f"staff_{tag[h]}",
                    max(0.0, 1.0 + config.overbooking_cap - config.utilisation_ceiling) * cap,
                ),
                f"staff_{tag[h]}",
            )
            prob += (
                booked <= (1 + config.overbooking_cap) * cap + soft(f"overbook_{tag[h]}"),
                f"overbook_{tag[h]}",
            )
            if config.rooms is not None:
                prob += (
                    load <= config.rooms * inp.bucket_minutes + soft(f"rooms_{tag[h]}"),
                    f"rooms_{tag[h]}",
                )
        prob += backlog[h] >= prev + load - cap, f"backlog_{tag[h]}"
        prob += unused[h] >= cap - load - prev, f"unused_{tag[h]}"
        s = inp.servers[h]
        c, cv = _curve_of(curve, s)
        rho = s / c
        for j, (lj, fj, sj) in enumerate(cv.segments()):
            prob += (
                wait[h] >= gamma * (rho * fj + sj * (load + prev - rho * lj)),
                f"wait_{tag[h]}_seg{j}",
            )
        if h in late:  # a block's last bucket: stochastic overtime beyond the fluid backlog
            prob += late[h] >= backlog[h], f"late_{tag[h]}"
            for j, (lj, fj, sj) in enumerate(cv.overtime_segments()):
                prob += (
                    late[h] >= rho * fj + sj * (load + prev - rho * lj),
                    f"late_{tag[h]}_seg{j}",
                )


def _demand_rows(
    b: _Build,
    mismatch: dict[tuple[int, int], pulp.LpVariable],
    unmet: dict[int, pulp.LpVariable],
    total: dict[int, pulp.LpAffineExpression],
) -> None:
    """Preferred hours, coverage of each visit type, its unmet-demand cuts, and throughput."""
    inp, config, prob, x, tag, vn, soft = b.inp, b.config, b.prob, b.x, b.tag, b.vn, b.soft
    nv = len(inp.visit_types)
    fl = b.floor
    below = isinstance(fl, pulp.LpVariable) or fl < 1.0  # a frontier point (or its search)
    for (h, v), m in mismatch.items():
        want = inp.preference[h][v] * inp.demand_mean[v]
        prob += m >= want - (x[h, v] if (h, v) in x else 0.0), f"pref_{tag[h]}_{vn[v]}"
    for v in range(nv):
        need = inp.need(v, config.epsilon)
        if not isinstance(fl, pulp.LpVariable) and fl < 1.0:
            need = int(math.floor(need * fl))  # a frontier point: coverage lowered with the floor
        prob += total[v] >= need - soft(f"cover_{vn[v]}"), f"cover_{vn[v]}"
        mean, var = inp.demand_mean[v], inp.demand_var[v]
        sd = math.sqrt(max(var, 0.0))
        # tangents of the convex E[(D - s)^+] at the whole numbers where it bends (within
        # 3.5 SD of the mean, and at the coverage); below, the asymptote mean - s is tight
        # to 1e-3 SD, above, zero (the variable's bound) to 1e-4 SD
        points = set(range(max(0, int(mean - 3.5 * sd) - 1), int(math.ceil(mean + 3.5 * sd)) + 2))
        points |= {max(0, need - 1), need}
        for s_pt in sorted(points):
            g = expected_unmet(mean, var, s_pt)
            g1 = expected_unmet(mean, var, s_pt + 1) - g
            prob += unmet[v] >= g + g1 * (total[v] - s_pt), f"unmet_{vn[v]}_s{s_pt}"
        prob += unmet[v] >= mean - total[v], f"unmet_{vn[v]}_asymptote"
    thr = current_throughput(inp) * fl
    prob += (
        pulp.lpSum(inp.demand_mean[v] - unmet[v] for v in range(nv))
        >= thr - THROUGHPUT_TOL - soft("throughput"),
        "throughput_not_below_current",
    )
    for v in range(nv):
        # per visit type too: slots moved from a type whose demand needs them to one whose
        # demand cannot use them would serve fewer patients at the same total
        cur = sum(inp.current[h][v] for h in range(len(inp.buckets)))
        if cur == 0:
            continue
        own = inp.demand_mean[v] - expected_unmet(inp.demand_mean[v], inp.demand_var[v], cur)
        prob += (
            inp.demand_mean[v] - unmet[v]
            >= own * fl - THROUGHPUT_TOL - soft(f"throughput_{vn[v]}"),
            f"throughput_{vn[v]}",
        )
    if below:
        # a frontier point books at most this share of today's booked minutes: the sweep then
        # trades patients for shorter days instead of filling every free minute again
        nb = len(inp.buckets)
        today = sum(inp.current[h][v] * inp.mean_service[v] for h in range(nb) for v in range(nv))
        prob += (
            pulp.lpSum(x[h, v] * inp.mean_service[v] for (h, v) in x)
            <= fl * today + FRONTIER_BAND * sum(inp.mean_service) + soft("throughput_target"),
            "throughput_target",
        )


def _change_rows(b: _Build, max_change: int) -> None:
    """Each cell within ``max_change`` slots of the current template."""
    inp, prob, tag, vn, soft = b.inp, b.prob, b.tag, b.vn, b.soft
    for (h, v), var in b.x.items():
        cur = inp.current[h][v]
        prob += (
            var <= cur + max_change + soft(f"change_up_{tag[h]}_{vn[v]}"),
            f"change_up_{tag[h]}_{vn[v]}",
        )
        prob += (
            var >= cur - max_change - soft(f"change_down_{tag[h]}_{vn[v]}"),
            f"change_down_{tag[h]}_{vn[v]}",
        )


def _slack_weights(b: _Build) -> dict[str, float]:
    """Weights of the elastic objective: a missed slot costs its expected consultation (half of
    it), a staff minute 10 when staff is softened last, anything else 1."""
    inp, vn = b.inp, b.vn
    weights = {}
    for name in b.soft.slack:
        if name.startswith("cover_"):
            v = vn.index(name[len("cover_") :])
            p_min = min(inp.no_show[h][v] for h in range(len(inp.buckets)))
            weights[name] = 0.5 * (1 - p_min) * inp.mean_service[v]
        elif b.soft.soft_families is not None and name.startswith("staff_"):
            weights[name] = 10.0
        else:
            weights[name] = 1.0
    return weights


def _penalty_weights(b: _Build) -> dict[str, float]:
    """Weights of the penalised slacks (see :func:`build_allocation` ``penalise``)."""
    inp, vn = b.inp, b.vn
    weights = {}
    for name in b.soft.slack:
        if name.startswith("cover_"):
            v = vn.index(name[len("cover_") :])
            weights[name] = max(inp.mean_service[v], 1.0)
        else:
            weights[name] = 1.0
    return weights


def build_allocation(
    inp: WeekdayInputs,
    config: OptimizeConfig,
    curve: Curves,
    gamma: float = 1.0,
    *,
    elastic: bool = False,
    soft_families: tuple[str, ...] | None = None,
    relax: dict[str, float] | None = None,
    max_floor: bool = False,
    penalise: Mapping[str, float] | None = None,
    penalise_families: tuple[str, ...] = (),
) -> AllocationModel:
    """Build the allocation MIP (or its elastic version, whose objective is total slack).

    Parameters
    ----------
    inp : WeekdayInputs
    config : OptimizeConfig
    curve : WaitingCurve or mapping of int to WaitingCurve
        The day's waiting curves: one doctor's (scaled to each bucket's doctors), or one per
        number of doctors sharing a queue (:mod:`polyslot.optimize.waiting_curves`); the cuts
        are scaled by ``gamma``.
    gamma : float
        Calibration factor of the waiting cuts.
    elastic : bool
        Add a nonnegative slack to every hard requirement and minimise their weighted sum.
    soft_families : tuple of str, optional
        With ``elastic``: only these constraint families get slacks (e.g. ``("cover",
        "staff")``); staff slack is then capped at the remaining ``(1 - ceiling)`` of capacity
        and weighted 10 per minute, so demand targets are relaxed before staff.
    relax : dict, optional
        Allowances per constraint name (slots off ``cover_<v>``, minutes on ``staff_<h>``),
        e.g. the slacks of an elastic solve.
    max_floor : bool
        With ``elastic``: the throughput floor becomes a variable ``floor`` in [0, 1] and the
        objective maximises it (the largest share of today's throughput the staff allow,
        requirements outside ``soft_families`` held); ``terms["floor"]`` is that variable.
    penalise : mapping of str to float, optional
        Requirements (constraint names) relaxed by a slack variable that the objective charges
        :data:`PENALTY` times its weight per unit (a missed slot of a visit type's coverage its
        expected consultation, a staff minute 1, bounded by its allowance plus a minute): the
        relaxed MIP of ``on_infeasible = "relax"`` for demand coverage and the utilisation
        ceiling (the values are the smallest relaxation's allowances; a relaxed throughput floor
        stays a hard allowance, ``relax``). The slack stays at the
        smallest relaxation (the penalty dwarfs every other term) while nearly every template
        is feasible, so the solver finds incumbents at once (with the allowances as hard bounds
        the feasible set is a sliver and finding a first template took most of the solve).
    penalise_families : tuple of str
        Every requirement of these families (e.g. ``("cover", "staff")``) priced the same way
        (staff up to the overbooking cap): one solve finds a template and its relaxation, for
        the points of the trade-off frontier, whose relaxation is not reported.
    """
    wd = WEEKDAYS[inp.weekday]
    prob = pulp.LpProblem(f"alloc_{wd}" + ("_elastic" if elastic else ""), pulp.LpMinimize)
    nb, nv = len(inp.buckets), len(inp.visit_types)
    tag = [f"{inp.buckets[h] // 60:02d}{inp.buckets[h] % 60:02d}" for h in range(nb)]
    vn = [safe_name(v) for v in inp.visit_types]
    x = {
        (h, v): pulp.LpVariable(f"x_{tag[h]}_{vn[v]}", lowBound=0, cat=pulp.LpInteger)
        for h in range(nb)
        for v in range(nv)
        if inp.allowed[h][v]
    }
    floor: float | pulp.LpVariable = config.throughput_floor
    if elastic and max_floor:
        floor = pulp.LpVariable("throughput_floor", lowBound=0, upBound=1)
    allowances = {**dict(relax or {}), **dict(penalise or {})}
    soft = _Slacks(
        elastic,
        soft_families,
        allowances,
        penalised=frozenset(penalise or ()),
        penalised_families=tuple(penalise_families),
    )
    b = _Build(prob, inp, config, tag, vn, x, soft, floor)
    backlog = {h: pulp.LpVariable(f"backlog_{tag[h]}", lowBound=0) for h in range(nb)}
    unused = {h: pulp.LpVariable(f"unused_{tag[h]}", lowBound=0) for h in range(nb)}
    wait = {h: pulp.LpVariable(f"wait_{tag[h]}", lowBound=0) for h in range(nb)}
    late = {
        h: pulp.LpVariable(f"late_{tag[h]}", lowBound=0) for h in range(nb) if inp.block_end[h]
    }
    mismatch = {
        (h, v): pulp.LpVariable(f"mismatch_{tag[h]}_{vn[v]}", lowBound=0)
        for h in range(nb)
        for v in range(nv)
        if inp.preference[h][v] > 0
    }
    unmet = {v: pulp.LpVariable(f"unmet_{vn[v]}", lowBound=0) for v in range(nv)}
    total = {v: pulp.lpSum(x[h, v] for h in range(nb) if (h, v) in x) for v in range(nv)}

    _bucket_rows(b, curve, gamma, backlog, unused, wait, late)
    _demand_rows(b, mismatch, unmet, total)
    if config.max_change is not None:
        _change_rows(b, config.max_change)
    terms = {
        "wait": pulp.lpSum(wait.values()),
        "idle": pulp.lpSum(unused.values()),
        "overtime": pulp.lpSum(late.values()),
        "preference": pulp.lpSum(mismatch.values()),
        "unmet": pulp.lpSum(unmet.values()),
    }
    slack = b.soft.slack
    if isinstance(floor, pulp.LpVariable):
        terms["floor"] = pulp.LpAffineExpression(floor)
        prob += -1.0 * floor
    elif elastic:
        weights = _slack_weights(b)
        prob += pulp.lpSum(weights[n] * s for n, s in slack.items()) + 1e-6 * pulp.lpSum(x.values())
    else:
        weights = _penalty_weights(b)
        prob += (
            config.w_wait * terms["wait"]
            + config.w_idle * terms["idle"]
            + config.w_overtime * terms["overtime"]
            + config.w_preference * terms["preference"]
            + config.w_unmet * terms["unmet"]
            + pulp.lpSum(PENALTY * weights[n] * s for n, s in slack.items())
        )
    return AllocationModel(prob, x, wait, backlog, unused, mismatch, unmet, slack, terms)
