"""Validated, frozen inputs of the first-visit / revisit capacity model, and their JSON parser.

Periods are 0-based in code: arrival periods ``i = 0 .. S-1`` (the paper's N1), planning periods
``j = 0 .. T-1`` with ``T = S + max(b, w)`` (the paper's N = N1 u N2). See docs/capacity.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from polyslot.capacity.demand import FAMILIES, DemandDistribution
from polyslot.errors import InputError

__all__ = [
    "DemandDistribution",
    "LeadTimeTargets",
    "RevisitPolicy",
    "CapacityInput",
    "parse_capacity_input",
    "FAMILIES",
]


@dataclass(frozen=True)
class LeadTimeTargets:
    """FV lead-time targets (periods): median ``u``, ``p``-th percentile ``v``, max ``w``."""

    median: int
    percentile: int
    max: int
    p: float = 90.0

    def __post_init__(self) -> None:
        for name in ("median", "percentile", "max"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InputError("must be an integer >= 0", field=f"targets.{name}", value=v)
        if not self.median <= self.percentile <= self.max:
            raise InputError(
                "targets must satisfy median <= percentile <= max",
                field="targets",
                value=(self.median, self.percentile, self.max),
            )
        if not 50.0 < self.p < 100.0:
            raise InputError("must be in (50, 100)", field="targets.p", value=self.p)


@dataclass(frozen=True)
class RevisitPolicy:
    """Revisits fall ``a..b`` periods after the previous visit, on average ``<= mean_max``."""

    min_lead: int
    max_lead: int
    mean_max: float

    def __post_init__(self) -> None:
        a, b = self.min_lead, self.max_lead
        for name, v in (("revisit.window[0]", a), ("revisit.window[1]", b)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise InputError("must be an integer >= 1", field=name, value=v)
        if a > b:
            raise InputError("window must satisfy a <= b", field="revisit.window", value=[a, b])
        if not math.isfinite(self.mean_max):
            raise InputError("must be finite", field="revisit.mean_lead_max", value=self.mean_max)


@dataclass(frozen=True)
class CapacityInput:
    """Everything the capacity model needs (see docs/capacity.md for the JSON form).

    Parameters
    ----------
    demand : tuple of DemandDistribution
        One per arrival period; ``S = len(demand)``.
    targets : LeadTimeTargets
    revisit : RevisitPolicy
    alpha, beta : float
        Discharge fractions after a first visit and after a revisit, in [0, 1).
    tau_fv, tau_rv : float
        Consultation minutes of a first visit and of a revisit.
    epsilon : float
        Allowed probability that some period's first-visit requests exceed the slots reserved.
    prebooked_fv, prebooked_rv : tuple of float
        Appointments already booked in planning periods ``0..T-1`` (padded with zeros).
    closed_periods : frozenset of int
        Planning periods in which nothing can be booked (e.g. weekends).
    capacity_bound : float or None
        Largest acceptable capacity per period (minutes); exceeding it is infeasible.
    mc_samples, seed : int
        Monte Carlo sample paths for the breach-risk check and their seed.
    """

    demand: tuple[DemandDistribution, ...]
    targets: LeadTimeTargets
    revisit: RevisitPolicy
    alpha: float
    beta: float
    tau_fv: float
    tau_rv: float
    epsilon: float = 0.05
    prebooked_fv: tuple[float, ...] = ()
    prebooked_rv: tuple[float, ...] = ()
    closed_periods: frozenset[int] = field(default_factory=frozenset)
    capacity_bound: float | None = None
    mc_samples: int = 20000
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "demand", tuple(self.demand))
        if not self.demand:
            raise InputError("needs at least one arrival period", field="demand", value=[])
        for name in ("alpha", "beta"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 <= v < 1.0):
                raise InputError("must be in [0, 1)", field=name, value=v)
        for name in ("tau_fv", "tau_rv"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError("must be a number > 0 (minutes)", field=name, value=v)
        if not (isinstance(self.epsilon, (int, float)) and 0.0 < self.epsilon < 1.0):
            raise InputError("must be in (0, 1)", field="epsilon", value=self.epsilon)
        if self.capacity_bound is not None and not self.capacity_bound > 0:
            raise InputError("must be > 0", field="capacity_bound", value=self.capacity_bound)
        if not isinstance(self.mc_samples, int) or self.mc_samples < 100:
            raise InputError("must be an integer >= 100", field="mc_samples", value=self.mc_samples)
        T = self.T
        for name in ("prebooked_fv", "prebooked_rv"):
            vals = tuple(float(v) for v in getattr(self, name))
            if len(vals) > T or any((not math.isfinite(v)) or v < 0 for v in vals):
                raise InputError(
                    f"must be at most T={T} finite counts >= 0", field=name, value=list(vals)[:5]
                )
            object.__setattr__(self, name, vals + (0.0,) * (T - len(vals)))
        closed = frozenset(int(c) for c in self.closed_periods)
        bad = sorted(c for c in closed if not 0 <= c < T)
        if bad:
            raise InputError(f"periods must be in 0..{T - 1}", field="closed_periods", value=bad)
        booked = [c for c in closed if self.prebooked_fv[c] > 0 or self.prebooked_rv[c] > 0]
        if booked:
            raise InputError(
                "closed periods cannot hold pre-booked patients",
                field="closed_periods",
                value=sorted(booked),
            )
        object.__setattr__(self, "closed_periods", closed)

    @property
    def S(self) -> int:
        """Arrival horizon (periods with first-visit demand)."""
        return len(self.demand)

    @property
    def T(self) -> int:
        """Planning horizon ``S + max(b, w)``."""
        return self.S + max(self.revisit.max_lead, self.targets.max)

    def with_epsilon(self, epsilon: float) -> CapacityInput:
        """A copy with another breach risk."""
        from dataclasses import replace

        return replace(self, epsilon=epsilon)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as accepted by :func:`parse_capacity_input`."""
        d: dict[str, Any] = {
            "epsilon": self.epsilon,
            "targets": {
                "median": self.targets.median,
                "percentile": self.targets.percentile,
                "p": self.targets.p,
                "max": self.targets.max,
            },
            "revisit": {
                "window": [self.revisit.min_lead, self.revisit.max_lead],
                "mean_lead_max": self.revisit.mean_max,
            },
            "alpha": self.alpha,
            "beta": self.beta,
            "consult_minutes": {"fv": self.tau_fv, "rv": self.tau_rv},
            "prebooked": {"fv": list(self.prebooked_fv), "rv": list(self.prebooked_rv)},
            "closed_periods": sorted(self.closed_periods),
            "demand": [dd.to_dict() for dd in self.demand],
            "mc_samples": self.mc_samples,
            "seed": self.seed,
        }
        if self.capacity_bound is not None:
            d["capacity_bound"] = self.capacity_bound
        return d


def _get(data: Mapping[str, Any], key: str, source: str | None, path: str) -> Any:
    if not isinstance(data, Mapping):
        raise InputError("must be a JSON object", source=source, field=path, value=data)
    if key not in data:
        raise InputError("is required", source=source, field=f"{path}.{key}".lstrip("."))
    return data[key]


def _num(v: Any, source: str | None, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError("must be a number", source=source, field=path, value=v)
    return float(v)


def _int(v: Any, source: str | None, path: str) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError("must be an integer", source=source, field=path, value=v)
    return v


def _parse_demand(item: Any, k: int, source: str | None) -> DemandDistribution:
    path = f"demand[{k}]"
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return DemandDistribution("poisson", mean=float(item))
    fam = _get(item, "dist", source, path)
    try:
        if fam == "empirical":
            vals = _get(item, "values", source, path)
            if not isinstance(vals, Sequence) or isinstance(vals, str):
                raise InputError("must be a list of counts", field="values", value=vals)
            return DemandDistribution(
                "empirical", values=tuple(_num(v, source, f"{path}.values") for v in vals)
            )
        mean = _num(_get(item, "mean", source, path), source, f"{path}.mean")
        if fam == "normal":
            sd = _num(_get(item, "sd", source, path), source, f"{path}.sd")
            return DemandDistribution("normal", mean=mean, sd=sd)
        return DemandDistribution(str(fam), mean=mean)
    except InputError as exc:
        if exc.source:
            raise
        raise InputError(
            str(exc).split(": ", 1)[-1], source=source, field=f"{path}.{exc.field}", value=exc.value
        ) from None


def parse_capacity_input(data: Mapping[str, Any], source: str | None = None) -> CapacityInput:
    """Validate the JSON form of a capacity problem (docs/capacity.md) into a CapacityInput.

    Raises
    ------
    InputError
        Naming ``source``, the field, the value and what was expected.
    """
    tg = _get(data, "targets", source, "")
    rv = _get(data, "revisit", source, "")
    cm = _get(data, "consult_minutes", source, "")
    window = _get(rv, "window", source, "revisit")
    if not isinstance(window, Sequence) or isinstance(window, str) or len(window) != 2:
        raise InputError("must be [a, b]", source=source, field="revisit.window", value=window)
    demand_raw = _get(data, "demand", source, "")
    if not isinstance(demand_raw, Sequence) or isinstance(demand_raw, str):
        raise InputError("must be a list", source=source, field="demand", value=demand_raw)
    pre = data.get("prebooked", {}) or {}
    bound = data.get("capacity_bound")
    try:
        return CapacityInput(
            demand=tuple(_parse_demand(d, k, source) for k, d in enumerate(demand_raw)),
            targets=LeadTimeTargets(
                median=_int(_get(tg, "median", source, "targets"), source, "targets.median"),
                percentile=_int(
                    _get(tg, "percentile", source, "targets"), source, "targets.percentile"
                ),
                max=_int(_get(tg, "max", source, "targets"), source, "targets.max"),
                p=_num(tg.get("p", 90.0), source, "targets.p"),
            ),
            revisit=RevisitPolicy(
                min_lead=_int(window[0], source, "revisit.window[0]"),
                max_lead=_int(window[1], source, "revisit.window[1]"),
                mean_max=_num(
                    _get(rv, "mean_lead_max", source, "revisit"), source, "revisit.mean_lead_max"
                ),
            ),
            alpha=_num(_get(data, "alpha", source, ""), source, "alpha"),
            beta=_num(_get(data, "beta", source, ""), source, "beta"),
            tau_fv=_num(_get(cm, "fv", source, "consult_minutes"), source, "consult_minutes.fv"),
            tau_rv=_num(_get(cm, "rv", source, "consult_minutes"), source, "consult_minutes.rv"),
            epsilon=_num(data.get("epsilon", 0.05), source, "epsilon"),
            prebooked_fv=tuple(pre.get("fv", ())),
            prebooked_rv=tuple(pre.get("rv", ())),
            closed_periods=frozenset(
                _int(c, source, "closed_periods") for c in data.get("closed_periods", ())
            ),
            capacity_bound=None if bound is None else _num(bound, source, "capacity_bound"),
            mc_samples=_int(data.get("mc_samples", 20000), source, "mc_samples"),
            seed=_int(data.get("seed", 0), source, "seed"),
        )
    except InputError as exc:
        if exc.source or source is None:
            raise
        raise InputError(
            str(exc).split(": ", 1)[-1], source=source, field=exc.field, value=exc.value
        ) from None
