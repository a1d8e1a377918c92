"""Build a capacity problem from the DuckDB store and a ClinicModel (``--from-data``).

* FV / RV classification: a configurable map from visit type to first visit or revisit.
* Discharge fractions and the revisit window: from each patient's sequence of visits (the
  pseudonymous ``patient_id`` is only used inside one SQL query; only counts and interval
  lengths leave it, never an identifier).
* FV demand per day: the ClinicModel's demand (mean and variance per visit type and weekday).
* Consultation minutes: the ClinicModel's service-time means, demand-weighted.
* Capacity in minutes becomes doctors needed per day with the roster's minutes per doctor.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyslot.capacity.inputs import (
    CapacityInput,
    DemandDistribution,
    LeadTimeTargets,
    RevisitPolicy,
)
from polyslot.clinic_model import ClinicModel
from polyslot.data.store import visit_sequences
from polyslot.errors import DataError, InputError

__all__ = [
    "RevisitEstimate",
    "classify_visit_types",
    "estimate_revisit_pattern",
    "read_visit_sequences",
    "capacity_input_from_model",
    "doctor_minutes_by_weekday",
    "doctors_needed",
    "plan_capacity_from_data",
]

_SEEN = ("attended", "walk_in")
FV_KEYS = ("new", "first")  # a visit type whose name contains one of these is a first visit
RV_KEYS = ("follow", "revisit", "review", "return")  # ... a revisit


@dataclass(frozen=True)
class RevisitEstimate:
    """Aggregates of patients' revisit intervals (no identifiers).

    ``alpha``/``beta``: share of first visits / revisits not followed by a revisit within
    ``followup_days``; ``min_lead``/``max_lead``: the 5% / 95% quantiles of the intervals (days)
    to the next revisit; ``mean_lead``: their mean.
    """

    alpha: float
    beta: float
    min_lead: int
    max_lead: int
    mean_lead: float
    n_fv_visits: int
    n_rv_visits: int
    n_intervals: int


def classify_visit_types(
    visit_types: Sequence[str],
    fv_types: Sequence[str] | None = None,
    rv_types: Sequence[str] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split visit types into first-visit and revisit types.

    Defaults: FV = names containing ``new`` or ``first``; RV = names containing ``follow``,
    ``revisit``, ``review`` or ``return`` (else every non-FV type).
    """
    vts = tuple(visit_types)
    if fv_types is None:
        fv = tuple(v for v in vts if any(k in v.lower() for k in FV_KEYS))
    else:
        fv = tuple(fv_types)
    if not fv:
        raise InputError("no first-visit type found; name them", field="fv_types", value=vts)
    if rv_types is None:
        rv = tuple(v for v in vts if v not in fv and any(k in v.lower() for k in RV_KEYS))
        rv = rv or tuple(v for v in vts if v not in fv)
    else:
        rv = tuple(rv_types)
    overlap = sorted(set(fv) & set(rv))
    if overlap:
        raise InputError("a visit type cannot be both FV and RV", field="rv_types", value=overlap)
    return fv, rv


def read_visit_sequences(
    store: str | os.PathLike[str],
    fv_types: Sequence[str],
    rv_types: Sequence[str],
    *,
    polyclinic_id: str | None = None,
) -> tuple[str, dict[str, np.ndarray]]:
    """Each seen visit with the gap to the same patient's next seen visit (the one store read).

    This is capacity's only access to the store: one read-only query on ``attendances``.
    The pseudonymous ``patient_id`` is used inside the SQL window only; the columns returned are
    ``is_fv``, ``is_rv``, ``gap`` (days to the next seen visit, NaN when none), ``next_rv`` and
    ``to_end`` (days to the last visit date in the data). Returns the store file and the columns.

    Raises
    ------
    DataError
        When the store cannot be opened or has no readable ``attendances`` table.
    """
    return visit_sequences(store, fv_types, rv_types, polyclinic_id)


def estimate_revisit_pattern(
    store: str | os.PathLike[str],
    fv_types: Sequence[str],
    rv_types: Sequence[str],
    *,
    polyclinic_id: str | None = None,
    followup_days: int = 90,
) -> RevisitEstimate:
    """Estimate discharge fractions and the revisit window from the ``attendances`` table.

    A seen visit (status attended or walk_in) is *followed up* when the same patient's next seen
    visit is of an RV type within ``followup_days``; otherwise the patient was discharged.
    Visits in the last ``followup_days`` of the data are censored (not counted).
    """
    fv_list = list(fv_types)
    rv_list = list(rv_types)
    path, rows = read_visit_sequences(store, fv_list, rv_list, polyclinic_id=polyclinic_id)
    is_fv, is_rv, gap = rows["is_fv"], rows["is_rv"], rows["gap"]
    next_rv, to_end = rows["next_rv"], rows["to_end"]
    observed = to_end >= followup_days
    followed = next_rv & (gap >= 1) & (gap <= followup_days)
    fv_obs, rv_obs = observed & is_fv, observed & is_rv
    if fv_obs.sum() == 0 or rv_obs.sum() == 0:
        raise DataError(
            f"need first visits ({fv_list}) and revisits ({rv_list}) older than "
            f"{followup_days} days to estimate discharge fractions",
            source=path,
        )
    intervals = gap[followed & observed & (is_fv | is_rv)]
    if intervals.size == 0:
        raise DataError("no revisit intervals found", source=path)
    alpha = min(0.99, float(1 - followed[fv_obs].mean()))
    beta = min(0.99, float(1 - followed[rv_obs].mean()))
    a = max(1, int(math.floor(np.quantile(intervals, 0.05))))
    b = max(a, int(math.ceil(np.quantile(intervals, 0.95))))
    mean = float(np.clip(intervals.mean(), a, b))
    return RevisitEstimate(
        alpha, beta, a, b, mean, int(fv_obs.sum()), int(rv_obs.sum()), int(intervals.size)
    )


def _weighted_minutes(model: ClinicModel, types: Sequence[str]) -> float:
    weights = {v: sum(d.mean for d in model.demand if d.visit_type == v) for v in types}
    total = sum(weights.values())
    means = {v: model.service_for(v).mean_minutes for v in types}
    if total <= 0:
        return float(np.mean(list(means.values())))
    return float(sum(weights[v] * means[v] for v in types) / total)


def capacity_input_from_model(
    model: ClinicModel,
    revisit: RevisitEstimate,
    fv_types: Sequence[str],
    rv_types: Sequence[str],
    *,
    targets: LeadTimeTargets,
    weeks: int = 4,
    start_weekday: int = 0,
    epsilon: float = 0.05,
    seed: int = 0,
) -> CapacityInput:
    """A :class:`CapacityInput` of ``weeks`` x 7 daily periods starting on ``start_weekday``.

    FV demand of a day is the sum over FV types of the ClinicModel's weekday mean and variance
    (normal with that mean and variance, Poisson when the variance is 0); days the clinic does
    not open are closed periods with no demand.
    """
    if weeks < 1:
        raise InputError("must be >= 1", field="weeks", value=weeks)
    open_days = set(model.opening) or {d.weekday for d in model.sessions}
    S = 7 * weeks
    demand = []
    for i in range(S):
        wd = (start_weekday + i) % 7
        rates = [d for d in model.demand if d.visit_type in fv_types and d.weekday == wd]
        mean = sum(d.mean for d in rates) if wd in open_days else 0.0
        var = sum(d.variance for d in rates) if wd in open_days else 0.0
        if var > 0:
            demand.append(DemandDistribution("normal", mean=mean, sd=math.sqrt(var)))
        else:
            demand.append(DemandDistribution("poisson", mean=mean))
    T = S + max(revisit.max_lead, targets.max)
    closed = frozenset(j for j in range(T) if (start_weekday + j) % 7 not in open_days)
    return CapacityInput(
        demand=tuple(demand),
        targets=targets,
        revisit=RevisitPolicy(revisit.min_lead, revisit.max_lead, revisit.mean_lead),
        alpha=revisit.alpha,
        beta=revisit.beta,
        tau_fv=_weighted_minutes(model, fv_types),
        tau_rv=_weighted_minutes(model, rv_types),
        epsilon=epsilon,
        closed_periods=closed,
        seed=seed,
    )


def doctor_minutes_by_weekday(model: ClinicModel) -> dict[int, float]:
    """Consultation minutes one doctor works per weekday: session minutes / doctors on duty."""
    out: dict[int, float] = {}
    for wd in {s.weekday for s in model.sessions}:
        minutes = sum(s.end_minute - s.start_minute for s in model.sessions if s.weekday == wd)
        doctors = max((h.value for h in model.staffing if h.weekday == wd), default=0.0)
        out[wd] = minutes / doctors if doctors > 0 else minutes
    return out


def doctors_needed(
    capacity_by_period: Sequence[float], model: ClinicModel, start_weekday: int = 0
) -> list[int]:
    """Doctors needed per period: ``ceil(c_j / minutes per doctor on that weekday)``."""
    per_doc = doctor_minutes_by_weekday(model)
    out = []
    for j, c in enumerate(capacity_by_period):
        m = per_doc.get((start_weekday + j) % 7, 0.0)
        out.append(int(math.ceil(c / m - 1e-9)) if m > 0 and c > 0 else 0)
    return out


def plan_capacity_from_data(
    store: str | os.PathLike[str],
    model: ClinicModel,
    *,
    targets: LeadTimeTargets,
    fv_types: Sequence[str] | None = None,
    rv_types: Sequence[str] | None = None,
    weeks: int = 4,
    start_weekday: int = 0,
    epsilon: float = 0.05,
    method: str = "bonferroni",
    polyclinic_id: str | None = None,
    followup_days: int = 90,
    seed: int = 0,
    solver: str = "highs",
    gap_rel: float = 0.01,
    time_limit: float = 60.0,
) -> dict[str, Any]:
    """The ``--from-data`` pipeline: estimate, build, solve; the contract plus doctors per day.

    Returns the keys of :meth:`CapacityPlan.to_dict` plus ``doctors_by_period``,
    ``doctors_max`` and ``inputs`` (the aggregates used: no patient identifier).
    """
    from polyslot.capacity.model import plan_capacity

    fv, rv = classify_visit_types(model.visit_types, fv_types, rv_types)
    est = estimate_revisit_pattern(
        store, fv, rv, polyclinic_id=polyclinic_id, followup_days=followup_days
    )
    inp = capacity_input_from_model(
        model,
        est,
        fv,
        rv,
        targets=targets,
        weeks=weeks,
        start_weekday=start_weekday,
        epsilon=epsilon,
        seed=seed,
    )
    plan = plan_capacity(inp, method, solver=solver, gap_rel=gap_rel, time_limit=time_limit)
    doctors = doctors_needed(plan.capacity_by_period, model, start_weekday)
    out = plan.to_dict()
    out["doctors_by_period"] = doctors
    out["doctors_max"] = max(doctors, default=0)
    out["inputs"] = inputs_echo(polyclinic_id, weeks, fv, rv, est, inp, start_weekday=start_weekday)
    return out


def inputs_echo(
    polyclinic_id: str | None,
    weeks: int,
    fv: Sequence[str],
    rv: Sequence[str],
    est: RevisitEstimate,
    inp: CapacityInput,
    *,
    start_weekday: int | None = None,
) -> dict[str, Any]:
    """The aggregates a data-driven plan was built from, echoed in its ``inputs`` (no patient
    identifier); ``start_weekday`` follows ``weeks`` when given."""
    head: dict[str, Any] = {"polyclinic_id": polyclinic_id, "weeks": weeks}
    if start_weekday is not None:
        head["start_weekday"] = start_weekday
    return {
        **head,
        "fv_types": list(fv),
        "rv_types": list(rv),
        "alpha": est.alpha,
        "beta": est.beta,
        "revisit_window": [est.min_lead, est.max_lead],
        "revisit_mean_lead": est.mean_lead,
        "tau_fv": inp.tau_fv,
        "tau_rv": inp.tau_rv,
        "n_fv_visits": est.n_fv_visits,
        "n_rv_visits": est.n_rv_visits,
    }
