"""Capacity plans for ``polyslot run``: one per polyclinic whose FV and RV types can be told apart.

:func:`plan_clinics` is the one function the run calls (settings from the ``[capacity]`` table of
``polyslot.toml``, docs/configuration.md). Each polyclinic gets a JSON-ready section: the
minutes first visits and revisits need per weekday under the chance constraint next to the
rostered doctor-minutes, the first-visit slots to hold per weekday, the breach risk, and the full
plan (the ``polyslot capacity`` JSON). A polyclinic whose visit types cannot be split into first
visits and revisits, or whose history has no revisits to measure, gets ``{"status": "off",
"reason": ...}`` instead.

Revisits of patients first seen *before* the plan starts are pre-booked at their steady-state
expectation (:func:`carried_over_revisits`), so the first weeks are not artificially light.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from polyslot.capacity.from_store import (
    FV_KEYS,
    RV_KEYS,
    RevisitEstimate,
    capacity_input_from_model,
    doctor_minutes_by_weekday,
    estimate_revisit_pattern,
    inputs_echo,
)
from polyslot.capacity.inputs import CapacityInput, LeadTimeTargets
from polyslot.capacity.model import METHODS, plan_capacity
from polyslot.clinic_model import ClinicModel
from polyslot.errors import ConfigError, InputError, PolyslotError

__all__ = [
    "CapacitySettings",
    "carried_over_revisits",
    "split_visit_types",
    "plan_clinic",
    "plan_clinics",
]


@dataclass(frozen=True)
class CapacitySettings:
    """The ``[capacity]`` table of ``polyslot.toml`` (docs/configuration.md)."""

    enabled: bool = True
    fv_types: tuple[str, ...] = ()
    rv_types: tuple[str, ...] = ()
    weeks: int = 4
    epsilon: float = 0.05
    method: str = "joint"
    median: int = 3
    percentile: int = 7
    p: float = 90.0
    max: int = 14
    followup_days: int = 90
    gap: float = 0.01
    time_limit: float = 120.0
    node_limit: int = 100

    def __post_init__(self) -> None:
        object.__setattr__(self, "fv_types", tuple(str(v) for v in self.fv_types))
        object.__setattr__(self, "rv_types", tuple(str(v) for v in self.rv_types))
        checks = (
            ("method", self.method in METHODS, f"one of {METHODS}"),
            ("weeks", _int(self.weeks) and self.weeks >= 1, "an integer >= 1"),
            ("epsilon", _num(self.epsilon) and 0 < self.epsilon < 1, "a number in (0, 1)"),
            ("followup_days", _int(self.followup_days) and self.followup_days >= 1, ">= 1"),
            ("gap", _num(self.gap) and 0 <= self.gap < 1, "a number in [0, 1)"),
            ("time_limit", _num(self.time_limit) and self.time_limit > 0, "seconds > 0"),
            ("node_limit", _int(self.node_limit) and self.node_limit >= 1, "an integer >= 1"),
            ("enabled", isinstance(self.enabled, bool), "true or false"),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(
                    f"must be {expected}", field=f"capacity.{name}", value=getattr(self, name)
                )
        try:
            self.targets()
        except InputError as exc:
            raise ConfigError(str(exc), field="capacity", value=exc.value) from None

    def targets(self) -> LeadTimeTargets:
        """The FV lead-time targets (days)."""
        return LeadTimeTargets(self.median, self.percentile, self.max, float(self.p))

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any] | None, source: str | None = None
    ) -> CapacitySettings:
        """Validate the ``[capacity]`` table; an unknown key or a bad value raises ConfigError
        naming ``source``, the key and the value."""
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(
                f"unknown key (expected one of {', '.join(sorted(names))})",
                source=source,
                field=f"capacity.{unknown[0]}",
                value=unknown[0],
            )
        try:
            return cls(**data)
        except ConfigError as exc:
            if source is None:
                raise
            raise ConfigError(
                str(exc).split(": ", 1)[-1], source=source, field=exc.field, value=exc.value
            ) from None


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _window_shares(a: int, b: int, mean: float) -> dict[int, float]:
    """Revisit lead shares: uniform on the widest sub-window of ``[a, b]`` with mean ``mean``."""
    lo, hi = (a, min(b, round(2 * mean - a))) if mean - a <= b - mean else (round(2 * mean - b), b)
    lo, hi = max(a, lo), max(max(a, lo), hi)
    return {d: 1.0 / (hi - lo + 1) for d in range(lo, hi + 1)}


def carried_over_revisits(
    inp: CapacityInput,
    est: RevisitEstimate,
    fv_mean_by_weekday: Sequence[float],
    rv_mean_by_weekday: Sequence[float],
    start_weekday: int = 0,
) -> tuple[float, ...]:
    """Expected revisits in periods ``0..T-1`` of patients seen before period 0.

    Before the plan the clinic is taken to be in its observed steady state: on each open day it
    saw its mean FV and RV demand (the ClinicModel's), and each visit was followed up with
    probability ``1 - alpha`` (FV) or ``1 - beta`` (RV), at a lead spread uniformly around the
    mean lead ``mean_lead`` inside ``[a, b]`` over the open days. The follow-ups that land on or
    after period 0 are returned; the MILP books their own follow-ups (pre-booked patients enter
    the RV flows).
    """
    T = inp.T
    shares = _window_shares(est.min_lead, est.max_lead, est.mean_lead)
    out = [0.0] * T
    for k in range(-est.max_lead, 0):
        wd = (start_weekday + k) % 7
        fv, rv = fv_mean_by_weekday[wd], rv_mean_by_weekday[wd]
        if fv + rv <= 0:
            continue
        follow = (1 - est.alpha) * fv + (1 - est.beta) * rv
        open_after = {
            k + d: s
            for d, s in shares.items()
            if k + d < 0
            and fv_mean_by_weekday[(start_weekday + k + d) % 7] > 0
            or 0 <= k + d < T
            and k + d not in inp.closed_periods
        }
        total = sum(open_after.values())
        for day, share in open_after.items():
            if day >= 0:
                out[day] += follow * share / total
    return tuple(round(v, 9) for v in out)


def _mean_demand(model: ClinicModel, types: Sequence[str]) -> list[float]:
    """Mean daily demand of ``types`` per weekday 0..6."""
    return [
        sum(d.mean for d in model.demand if d.visit_type in types and d.weekday == wd)
        for wd in range(7)
    ]


def _rostered_minutes(model: ClinicModel) -> dict[int, float]:
    """Doctor-minutes on the roster per weekday (sum of the doctor sessions)."""
    out: dict[int, float] = {}
    for s in model.sessions:
        out[s.weekday] = out.get(s.weekday, 0.0) + (s.end_minute - s.start_minute)
    return out


def _other_minutes(model: ClinicModel, types: set[str]) -> dict[int, float]:
    """Expected minutes per weekday of the visit types outside the FV / RV model (e.g. acute)."""
    out: dict[int, float] = {}
    for d in model.demand:
        if d.visit_type not in types:
            minutes = d.mean * model.service_for(d.visit_type).mean_minutes
            out[d.weekday] = out.get(d.weekday, 0.0) + minutes
    return out


def _weekday_rows(plan: dict[str, Any], model: ClinicModel, types: set[str]) -> list[dict]:
    S = len(plan["reserved_fv_slots"])
    rostered, other = _rostered_minutes(model), _other_minutes(model, types)
    per_doctor = doctor_minutes_by_weekday(model)
    rows = []
    for wd in sorted(rostered):
        days = [j for j in range(S) if j % 7 == wd]
        need = max(plan["capacity_by_period"][j] for j in days)
        rows.append(
            {
                "weekday": wd,
                "minutes_needed": need,
                "other_minutes": round(other.get(wd, 0.0), 3),
                "rostered_minutes": rostered[wd],
                "fv_slots_to_hold": int(math.ceil(max(plan["fv_seen"][j] for j in days) - 1e-9)),
                "fv_requests_covered": max(plan["reserved_fv_slots"][j] for j in days),
                "rv_expected": round(sum(plan["rv_seen"][j] for j in days) / len(days), 3),
                "doctors_needed": int(math.ceil(need / per_doctor[wd] - 1e-9))
                if per_doctor.get(wd, 0) > 0
                else 0,
            }
        )
    return rows


def split_visit_types(
    model: ClinicModel, settings: CapacitySettings
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """First-visit and revisit types of ``model``: the configured ones present in the model, or
    by name (FV: ``new``/``first``; RV: ``follow``/``revisit``/``review``/``return``).

    Raises
    ------
    InputError
        When either list is empty or a type is in both: FV and RV cannot be told apart.
    """
    vts = model.visit_types

    def pick(configured: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, ...]:
        if configured:
            return tuple(v for v in vts if v in configured)
        return tuple(v for v in vts if any(k in v.lower() for k in keys))

    fv = pick(settings.fv_types, FV_KEYS)
    rv = tuple(v for v in pick(settings.rv_types, RV_KEYS) if v not in fv or settings.rv_types)
    for name, types in (("fv_types", fv), ("rv_types", rv)):
        if not types:
            kind = "first-visit" if name == "fv_types" else "revisit"
            raise InputError(
                f"no {kind} type among the visit types {list(vts)} (map them in polyslot.toml "
                f"[capacity] {name})",
                field=f"capacity.{name}",
            )
    both = sorted(set(fv) & set(rv))
    if both:
        raise InputError("a visit type cannot be both FV and RV", field="capacity", value=both)
    return fv, rv


def _reason(exc: PolyslotError) -> str:
    """One line saying why, without the store's path (outputs must not depend on where the
    run wrote its files)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    source = getattr(exc, "source", None)
    if source and text.startswith(f"{source}: "):
        text = text[len(str(source)) + 2 :]
    return text.replace(str(source), "the store") if source else text


def plan_clinic(
    store: str | os.PathLike[str], model: ClinicModel, settings: CapacitySettings
) -> dict[str, Any]:
    """The capacity section of one polyclinic (``status`` ``planned`` or ``off`` with a reason)."""
    pid = model.polyclinic_id
    try:
        fv, rv = split_visit_types(model, settings)
        est = estimate_revisit_pattern(
            store, fv, rv, polyclinic_id=pid, followup_days=settings.followup_days
        )
        inp = capacity_input_from_model(
            model,
            est,
            fv,
            rv,
            targets=settings.targets(),
            weeks=settings.weeks,
            epsilon=settings.epsilon,
        )
        fv_mean, rv_mean = _mean_demand(model, fv), _mean_demand(model, rv)
        inp = replace(inp, prebooked_rv=carried_over_revisits(inp, est, fv_mean, rv_mean))
        result = plan_capacity(
            inp,
            settings.method,
            gap_rel=settings.gap,
            time_limit=settings.time_limit,
            node_limit=settings.node_limit,
        )
    except PolyslotError as exc:
        return {"polyclinic_id": pid, "status": "off", "reason": _reason(exc)}
    plan = result.to_dict()
    plan["inputs"] = inputs_echo(pid, settings.weeks, fv, rv, est, inp)
    return {
        "polyclinic_id": pid,
        "status": "planned",
        "method": settings.method,
        "epsilon": settings.epsilon,
        "weeks": settings.weeks,
        "fv_types": list(fv),
        "rv_types": list(rv),
        "breach_risk": plan["violation_risk"]["exact"],
        "capacity_max": plan["capacity_max"],
        "solver_status": plan["status"],
        "gap": plan["gap"],
        "targets": plan["targets"],
        "revisit_window": [est.min_lead, est.max_lead],
        "weekdays": _weekday_rows(plan, model, set(fv) | set(rv)),
        "plan": plan,
    }


def plan_clinics(
    store: str | os.PathLike[str],
    models: Mapping[str, ClinicModel],
    settings: Mapping[str, Any] | CapacitySettings | None = None,
) -> dict[str, dict[str, Any]]:
    """Capacity sections of every polyclinic, keyed by id (empty when ``enabled = false``).

    Parameters
    ----------
    store : path-like
        The run's store (folder or ``polyslot.duckdb``); its ``attendances`` give the revisit
        pattern.
    models : mapping of str to ClinicModel
        The estimated models (FV demand, consultation minutes, roster).
    settings : mapping or CapacitySettings, optional
        The ``[capacity]`` table of ``polyslot.toml``.
    """
    cfg = (
        settings
        if isinstance(settings, CapacitySettings)
        else CapacitySettings.from_mapping(settings)
    )
    if not cfg.enabled:
        return {}
    return {pid: plan_clinic(store, models[pid], cfg) for pid in sorted(models)}
