"""The staffing response of one polyclinic: its best template and KPIs with ``k`` doctor-sessions
on a half-day, ``k`` from today's count ``- max_lend`` to ``+ max_borrow``.

Computed with the one clinic model, beside :func:`polyslot.pipeline.plan_polyclinic` (in the same
worker, on both engines), for the weekdays of the polyclinic's :class:`NetworkRole` only:

* every combination of ``am`` and ``pm`` changes of the weekday's half-days (``0..max_borrow``
  on a weekday it borrows, ``0..-max_lend`` on one it lends; each half-day keeps a doctor), so
  the network plan picks among templates that were really optimised and evaluated, never a sum
  of half-day effects;
* the point is a copy of the ClinicModel with doctor-sessions added or taken off
  (:func:`polyslot.network.halves.changed_model`), re-optimised by
  :func:`polyslot.optimize.clinic.optimize_weekday` (the regular objective, today's throughput
  relaxed as far as the staff need; the frontier's budgets: its node limit, one calibration round
  chained from the previous point's factor, five local-search moves a session, and a relative
  gap of at least :data:`GAP`, the accuracy the waiting cuts are calibrated to), its clinic day
  built and evaluated with the run's :class:`DaySettings` and the weekday's seed;
* on a weekday it borrows, the most-staffed point is computed first; when its re-optimised
  template serves fewer patients than today (it aims at today's throughput, so one with fewer
  doctors would not serve more), the others are not re-optimised (the network plan could not
  use them) and only today's template with their doctors is evaluated;
* on a weekday it borrows, today's template with the added doctors is a point too (``template
  = "today"``: one evaluation, no optimisation): the added doctors work today's bookings, so it
  serves today's patients, where the re-optimised template may place its slots in hours with
  more no-shows;
* ``(0, 0)`` is the recommended plan and its KPIs are the run's ``model`` rows (reused, not
  recomputed), as are today's;
* a lender's point whose mean wait or overtime per doctor-session exceeds the recommended
  plan's by more than ``lender_tolerance`` ends that half-day's sweep (taking another doctor can
  only make it worse), and no combination with it is computed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Mapping

import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.config import OptimizeConfig, RunConfig
from polyslot.errors import InfeasibleError, SolverError
from polyslot.evaluation.day_settings import DaySettings, day_seed, polyclinic_seed
from polyslot.network.halves import changed_model, session_counts
from polyslot.network.hiring import patient_shortfall
from polyslot.network.roles import NetworkRole
from polyslot.results import PolyclinicResult
from polyslot.staffing import (
    RESPONSE_KPIS,
    StaffingPoint,
    StaffingResponse,
    WeekdayStaffing,
)
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = [
    "response_config",
    "staffing_response",
    "result_response",
    "grid",
    "point_kpis",
    "rows_kpis",
    "kpis_frame_days",
]

Z95 = 1.959963984540054
Kpis = Mapping[str, tuple[float, float]]
#: Calibration rounds of a polyclinic's first point (from factor 1); later points chain one.
FIRST_ROUNDS = 2
#: Relative MIP gap of a point's solves (at least; the waiting cuts are calibrated to 5%).
GAP = 0.05


def response_config(config: OptimizeConfig, rounds: int = 1) -> OptimizeConfig:
    """The optimizer's settings for a staffing point: the frontier's budgets."""
    return dataclasses.replace(
        config,
        node_limit=config.frontier_node_limit,
        max_calibration_rounds=min(rounds, config.max_calibration_rounds),
        sequencing_max_iter=min(5, config.sequencing_max_iter),
        gap_rel=max(GAP, config.gap_rel),
    )


def rows_kpis(kpis: pd.DataFrame, scenario: str, weekday: int) -> dict[str, tuple[float, float]]:
    """``{kpi: (mean, se)}`` of the run's ``model`` rows of ``scenario`` on ``weekday``."""
    sub = kpis[
        (kpis["source"] == "model") & (kpis["scenario"] == scenario) & (kpis["weekday"] == weekday)
    ]
    out = {}
    for r in sub.itertuples():
        if r.kpi in RESPONSE_KPIS:
            out[str(r.kpi)] = (float(r.mean), max(0.0, float(r.ci_high) - float(r.mean)) / Z95)
    return out


def kpis_frame_days(kpis: pd.DataFrame, scenario: str) -> dict[int, Kpis]:
    """``{weekday: {kpi: (mean, se)}}`` of a run's ``model`` rows of ``scenario``."""
    days = sorted({int(d) for d in kpis["weekday"] if int(d) >= 0})
    return {d: k for d in days if (k := rows_kpis(kpis, scenario, d))}


def grid(role: str, counts: dict[str, int], limit: int) -> Iterator[tuple[int, int]]:
    """The ``(am, pm)`` changes of a weekday, fewest doctor-sessions first, ``(0, 0)`` left out:
    ``0..limit`` a half-day it borrows on, ``0..-min(limit, today - 1)`` one it lends on."""
    sign = 1 if role == "borrow" else -1

    def reach(h: str) -> int:
        n = counts.get(h, 0)
        if n == 0:
            return 0
        return limit if sign > 0 else min(limit, n - 1)

    pairs = itertools.product(range(reach("AM") + 1), range(reach("PM") + 1))
    for a, p in sorted(pairs, key=lambda ap: (ap[0] + ap[1], ap[0], ap[1])):
        if a or p:
            yield sign * a, sign * p


def point_kpis(metrics, capacity: float) -> dict[str, tuple[float, float]]:  # noqa: ANN001
    """The point's KPIs from a :class:`~polyslot.evaluation.clinic_day.DayMetrics`."""
    out = {k: (float(metrics[k].mean), float(metrics[k].se)) for k in RESPONSE_KPIS[:-1]}
    out["capacity_minutes"] = (float(capacity), 0.0)
    return out


class _Weekday:
    """The sweep of one weekday (points, gamma chain, tolerance pruning)."""

    def __init__(
        self, model: ClinicModel, config: RunConfig, weekday: int, role: NetworkRole, gamma: float
    ) -> None:
        self.model, self.config, self.weekday, self.role = model, config, weekday, role
        self.days = DaySettings.from_config(config)
        self.seed = polyclinic_seed(config.seed, model.polyclinic_id)
        self.gamma = gamma
        self.first = True

    def _evaluate(self, model: ClinicModel, slots: tuple, label: str) -> tuple[dict, float]:
        d = self.weekday
        tpl = SlotTemplate(self.model.polyclinic_id, slots, self.model.current_template
                           .bucket_minutes, label)  # fmt: skip
        day = self.days.build(model, tpl, d, label)
        metrics = self.days.evaluate(day, day_seed(self.seed, d))
        capacity = float(sum(s.end - s.start for s in day.sessions))
        return point_kpis(metrics, capacity), capacity

    def point(self, am: int, pm: int, optimise: bool = True) -> list[StaffingPoint] | str:
        """The points of ``(am, pm)`` (re-optimised unless ``optimise`` is False; borrowing:
        also today's template), or why there is none."""
        d = self.weekday
        changed, added, removed = changed_model(self.model, d, am, pm)
        today = tuple(s for s in self.model.current_template.slots if s.weekday == d)
        if not optimise:
            kept, _ = self._evaluate(changed, today, "today")
            return [StaffingPoint(am, pm, kept, today, added, removed, (), "today")]
        rounds = FIRST_ROUNDS if self.first and self.gamma == 1.0 else 1
        cfg = response_config(self.config.optimize, rounds)
        try:
            res, slots = _optimize(changed, d, cfg, self.gamma, self.days, self.seed)
        except (InfeasibleError, SolverError) as exc:
            return f"{WEEKDAYS[d]} {_label(am, pm)}: {str(exc).splitlines()[0]}"
        self.first = False
        self.gamma = res.calibration[-1].gamma
        kpis, _ = self._evaluate(changed, tuple(slots), "network")
        out = [StaffingPoint(am, pm, kpis, tuple(slots), added, removed, res.relaxation)]
        if am >= 0 and pm >= 0:
            kept, _ = self._evaluate(changed, today, "today")
            out.append(StaffingPoint(am, pm, kept, today, added, removed, (), "today"))
        return out


def _optimize(model, weekday, cfg, gamma, days, seed):  # noqa: ANN001, ANN202
    from polyslot.optimize.clinic import optimize_weekday

    return optimize_weekday(model, weekday, cfg, gamma, days=days, seed=seed, relax_throughput=True)


def _label(am: int, pm: int) -> str:
    return f"AM {am:+d}, PM {pm:+d}"


def _lend_points(
    sweep: _Weekday, counts: dict[str, int], base: WeekdayStaffing
) -> tuple[list[StaffingPoint], list[str]]:
    """A lending weekday's points (fewest sessions first; a half-day's sweep ends at the first
    point beyond the tolerance) and the notes of those not computed."""
    tol = sweep.role.lender_tolerance
    points: list[StaffingPoint] = []
    notes: list[str] = []
    stop = {"AM": math.inf, "PM": math.inf}  # |change| from which a half-day exceeds tolerance
    failed: set[tuple[int, int]] = set()
    for am, pm in grid("lend", counts, sweep.role.max_lend):
        if abs(am) >= stop["AM"] or abs(pm) >= stop["PM"]:
            continue
        if am and pm and ((am, 0) in failed or (0, pm) in failed):
            continue
        got = sweep.point(am, pm)
        if isinstance(got, str):
            notes.append(got)
            failed.add((am, pm))
            continue
        wait, over = base.lender_excess(got[0])
        if wait > tol or over > tol:
            notes.append(
                f"{WEEKDAYS[sweep.weekday]} {_label(am, pm)}: mean wait +{wait:.2f} min, "
                f"overtime +{over:.2f} min per doctor-session (lender_tolerance {tol:g})"
            )
            failed.add((am, pm))
            if not pm:
                stop["AM"] = min(stop["AM"], abs(am))
            if not am:
                stop["PM"] = min(stop["PM"], abs(pm))
            continue
        points.extend(got)
    return points, notes


def _borrow_points(
    sweep: _Weekday, counts: dict[str, int], base: WeekdayStaffing
) -> tuple[list[StaffingPoint], list[str]]:
    """A borrowing weekday's points: the most-staffed one first; when its re-optimised template
    already serves fewer patients than today (it aims at today's throughput, so one with fewer
    doctors would not serve more), the others keep today's template only (the network MIP
    could not use them: ``keep_patients``)."""
    pairs = list(grid("borrow", counts, sweep.role.max_borrow))
    if not pairs:
        return [], []
    found: dict[tuple[int, int], list[StaffingPoint]] = {}
    notes: list[str] = []
    top = pairs[-1]
    got = sweep.point(*top)
    optimise = True
    if isinstance(got, str):
        notes.append(got)
    else:
        found[top] = got
        short = patient_shortfall(got[0].kpis["patients_served"], base.today["patients_served"])
        if short > 0 and len(pairs) > 1:
            optimise = False
            notes.append(
                f"{WEEKDAYS[sweep.weekday]}: fewer doctors not re-optimised (with "
                f"{_label(*top)} the re-optimised template serves {short:.1f} patients a day "
                "fewer than today); today's template with them is evaluated"
            )
    for am, pm in pairs[:-1]:
        more = sweep.point(am, pm, optimise)
        if isinstance(more, str):
            notes.append(more)
        else:
            found[(am, pm)] = more
    return [p for pair in pairs if pair in found for p in found[pair]], notes


def staffing_response(
    model: ClinicModel,
    recommended: SlotTemplate,
    today: Mapping[int, Kpis],
    planned: Mapping[int, Kpis],
    config: RunConfig,
    role: NetworkRole,
) -> StaffingResponse:
    """The staffing response of ``model``'s polyclinic on the weekdays of ``role`` (see the
    module docstring); ``today`` and ``planned`` are the one model's KPIs of today's and the
    recommended template per weekday (the run's ``model`` rows)."""
    out = []
    gamma = 1.0
    for d in sorted(set(role.borrow) | set(role.lend)):
        counts = session_counts(model, d)
        if not sum(counts.values()) or d not in today or d not in planned:
            continue
        kind = "borrow" if d in role.borrow else "lend"
        slots = tuple(s for s in recommended.slots if s.weekday == d)
        base_point = StaffingPoint(0, 0, planned[d], slots)
        base = WeekdayStaffing(d, kind, counts, today[d], (base_point,))
        sweep = _Weekday(model, config, d, role, gamma)
        points, notes = (_borrow_points if kind == "borrow" else _lend_points)(sweep, counts, base)
        gamma = sweep.gamma
        out.append(dataclasses.replace(base, points=(base_point, *points), notes=tuple(notes)))
    return StaffingResponse(model.polyclinic_id, tuple(out))


def result_response(
    result: PolyclinicResult, config: RunConfig, role: NetworkRole
) -> StaffingResponse:
    """:func:`staffing_response` of a run's result (its model rows reused)."""
    return staffing_response(
        result.model,
        result.recommended,
        kpis_frame_days(result.kpis, "current"),
        kpis_frame_days(result.kpis, "recommended"),
        config,
        role,
    )
