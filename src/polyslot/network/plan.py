"""The network plan: from the polyclinics' staffing responses to the doctor-sessions that move,
the templates and roster after the moves, the hiring answer and the goals.

:func:`plan_network` is one pure function of the polyclinics' inputs (:class:`ClinicInputs`,
from a run's results or a finished run's files) and the run's configuration:

1. the options of every polyclinic and weekday (its computed staffing points, valued by the
   per-polyclinic objective's weights) go to the network MIP (:mod:`polyslot.network.mip`);
   where the lenders chosen before planning fell short, more are asked once
   (:mod:`polyslot.network.topup`) and the MIP is solved again (a plan redone from its files,
   whose responses hold those lenders already, is solved once: the same plan);
2. the chosen points become the network's templates and sessions; every move is one doctor of
   the lender's half-day (its last session in id order) working the borrower's hours;
3. the hiring answer (:mod:`polyslot.network.hiring`) per overloaded polyclinic and weekday;
4. before / after per polyclinic and for the network (:mod:`polyslot.network.weekly`) and the
   goals of issue 23 (:mod:`polyslot.network.goals`).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.config import NetworkSettings, RunConfig
from polyslot.network.halves import hhmm
from polyslot.network.hiring import HireAnswer, hire, patient_shortfall
from polyslot.network.mip import NetworkProblem, NetworkSolution, Option, solve_network
from polyslot.network.respond import kpis_frame_days, staffing_response
from polyslot.network.topup import top_up
from polyslot.network.weekly import network_week, week_kpis
from polyslot.results import PolyclinicResult
from polyslot.staffing import (
    StaffingPoint,
    StaffingResponse,
    WeekdayStaffing,
    day_objective,
    half_of,
)
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = ["ClinicInputs", "NetworkPlan", "plan_network", "objective_weights"]

Kpis = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class ClinicInputs:
    """What the network plan needs of one polyclinic: its model, recommended template, the one
    model's KPIs of today's and the recommended template per weekday, its overloaded weekdays
    and its staffing response (None: it neither borrows nor lends)."""

    polyclinic_id: str
    model: ClinicModel
    recommended: SlotTemplate
    today: Mapping[int, Kpis]
    planned: Mapping[int, Kpis]
    overloaded: tuple[int, ...] = ()
    staffing: StaffingResponse | None = None

    @classmethod
    def from_result(cls, result: PolyclinicResult) -> ClinicInputs:
        """The inputs of a run's result (overloaded weekdays from its trade-off frontier)."""
        weekdays = (result.trust.get("frontier") or {}).get("weekdays", {})
        heavy = tuple(
            WEEKDAYS.index(d) for d, v in weekdays.items() if isinstance(v, Mapping)
            and v.get("overloaded") and d in WEEKDAYS
        )  # fmt: skip
        return cls(
            result.polyclinic_id,
            result.model,
            result.recommended,
            kpis_frame_days(result.kpis, "current"),
            kpis_frame_days(result.kpis, "recommended"),
            tuple(sorted(heavy)),
            result.staffing,
        )


@dataclass(frozen=True)
class NetworkPlan:
    """The network plan (see the module docstring; :func:`polyslot.network.document.plan_document`
    writes it as ``network/plan.json``)."""

    status: str
    message: str
    settings: NetworkSettings
    weights: Mapping[str, float]
    target_wait: float
    overloaded: Mapping[str, tuple[int, ...]]
    moves: tuple[dict[str, Any], ...] = ()
    changes: tuple[dict[str, Any], ...] = ()
    hires: tuple[HireAnswer, ...] = ()
    goal_hires: tuple[HireAnswer, ...] = ()
    templates: Mapping[str, SlotTemplate] = field(default_factory=dict)
    sessions: Mapping[str, tuple[DoctorSession, ...]] = field(default_factory=dict)
    clinics: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    network: Mapping[str, Any] = field(default_factory=dict)
    objective: Mapping[str, float] = field(default_factory=dict)
    goals: Mapping[str, Any] = field(default_factory=dict)
    points: int = 0
    notes: tuple[str, ...] = ()
    #: The staffing responses the plan was made from (with the lenders asked on the driver).
    staffing: Mapping[str, StaffingResponse] = field(default_factory=dict)


def objective_weights(config: RunConfig) -> dict[str, float]:
    """The per-polyclinic objective's weights (minutes) the network plan uses."""
    o = config.optimize
    return {"wait": o.w_wait, "idle": o.w_idle, "overtime": o.w_overtime, "unmet": o.w_unmet}


def _options(
    clinics: Sequence[ClinicInputs], weights: Mapping[str, float]
) -> tuple[list[Option], dict[tuple[str, int, int, int, str], StaffingPoint]]:
    options, points = [], {}
    for c in clinics:
        for w in c.staffing.weekdays if c.staffing else ():
            for p in w.points:
                wait, over = w.lender_excess(p) if p.change < 0 else (0.0, 0.0)
                short = (
                    patient_shortfall(p.kpis["patients_served"], w.today["patients_served"])
                    if p.change > 0
                    else 0.0
                )
                options.append(Option(c.polyclinic_id, w.weekday, p.am, p.pm,
                                      day_objective(p.kpis, weights), wait, over, p.template,
                                      short))
                points[(c.polyclinic_id, w.weekday, *p.key)] = p
    return options, points


def _detail_moves(
    solution: NetworkSolution,
    chosen: Mapping[tuple[str, int], StaffingPoint],
    models: Mapping[str, ClinicModel],
    gains: Mapping[tuple[str, int], float],
) -> list[dict[str, Any]]:
    """One entry per moved doctor-session, in roll-out order (the borrower's weekday with the
    largest objective gain per session first)."""
    lent: dict[tuple[str, int, str], list[str]] = {}
    hired: dict[tuple[str, int, str], list[DoctorSession]] = {}
    for (pid, d), p in chosen.items():
        halves = {s.session_id: half_of(s) for s in models[pid].sessions if s.weekday == d}
        for sid in p.removed:
            lent.setdefault((pid, d, halves[sid]), []).append(sid)
        for s in p.added:
            hired.setdefault((pid, d, half_of(s)), []).append(s)
    out: list[dict[str, Any]] = []
    for mv in solution.moves:
        for _ in range(mv.count):
            sid = lent[(mv.lender, mv.weekday, mv.half)].pop(0)
            new = hired[(mv.borrower, mv.weekday, mv.half)].pop(0)
            p = chosen[(mv.borrower, mv.weekday)]
            out.append({
                "from": mv.lender,
                "to": mv.borrower,
                "weekday": WEEKDAYS[mv.weekday],
                "session": mv.half,
                "doctor_session": sid,
                "borrower_session": new.session_id,
                "start_time": hhmm(new.start_minute),
                "end_time": hhmm(new.end_minute),
                "gain_per_session": round(gains[(mv.borrower, mv.weekday)] / max(p.change, 1), 3),
            })  # fmt: skip
    out.sort(key=lambda m: (-float(m["gain_per_session"]), WEEKDAYS.index(m["weekday"]),
                            m["session"], m["from"], m["to"], m["doctor_session"]))
    for i, m in enumerate(out, start=1):
        m["order"] = i
    return out


def _network_days(c: ClinicInputs, chosen: Mapping[tuple[str, int], StaffingPoint]) -> dict:
    days = dict(c.planned)
    for (pid, d), p in chosen.items():
        if pid == c.polyclinic_id:
            days[d] = p.kpis
    return days


def _after(
    c: ClinicInputs, chosen: Mapping[tuple[str, int], StaffingPoint]
) -> tuple[SlotTemplate, tuple[DoctorSession, ...]]:
    mine = {d: p for (pid, d), p in chosen.items() if pid == c.polyclinic_id and p.change}
    slots = [s for s in c.recommended.slots if s.weekday not in mine]
    gone = {sid for p in mine.values() for sid in p.removed}
    sessions = [s for s in c.model.sessions if s.session_id not in gone]
    for p in mine.values():
        slots.extend(p.slots)
        sessions.extend(p.added)
    slots.sort(key=lambda s: (s.weekday, s.doctor_session, s.start_minute, s.visit_type))
    sessions.sort(key=lambda s: (s.weekday, s.start_minute, s.session_id))
    tpl = SlotTemplate(c.polyclinic_id, tuple(slots), c.recommended.bucket_minutes, "network")
    return tpl, tuple(sessions)


def _driver_notes(clinics: Sequence[ClinicInputs]) -> tuple[str, ...]:
    """One note per polyclinic asked on the driver (from the responses, so that ``polyslot
    network OUT`` says the same as the run)."""
    out = []
    for c in clinics:
        days = [WEEKDAYS[w.weekday] for w in (c.staffing.weekdays if c.staffing else ())
                if w.driver]  # fmt: skip
        if days:
            out.append(f"{c.polyclinic_id} asked to lend on {', '.join(days)} (the lenders "
                       "chosen from the history fell short)")
    return tuple(out)


def _target(clinics: Sequence[ClinicInputs], settings: NetworkSettings) -> float:
    if settings.target_wait_minutes is not None:
        return float(settings.target_wait_minutes)
    waits = [
        float(w["mean"]) for c in clinics if (w := week_kpis(c.planned).get("wait_mean"))
    ]
    return float(statistics.median(waits)) if waits else float("inf")


def _borrowing(c: ClinicInputs) -> list[WeekdayStaffing]:
    return [w for w in (c.staffing.weekdays if c.staffing else ()) if w.role == "borrow"]


def plan_network(clinics: Sequence[ClinicInputs], config: RunConfig) -> NetworkPlan:
    """The network plan of ``clinics`` (see the module docstring)."""
    from polyslot.network.goals import goals

    settings = config.network
    weights = objective_weights(config)
    clinics = sorted(clinics, key=lambda c: c.polyclinic_id)
    heavy = {c.polyclinic_id: tuple(c.overloaded) for c in clinics if c.overloaded}
    target = _target(clinics, settings)
    base = NetworkPlan("no_overloaded", "", settings, weights, target, heavy)
    today = {c.polyclinic_id: dict(c.today) for c in clinics}
    planned = {c.polyclinic_id: dict(c.planned) for c in clinics}
    if not heavy:
        return _finish(base, clinics, {}, "no polyclinic is overloaded: no doctor-session moves "
                       "and nothing to hire", today, planned)
    options, points = _options(clinics, weights)
    problem = NetworkProblem(tuple(options), settings.groups, settings.max_moves_per_week,
                             settings.lender_tolerance)
    solution = solve_network(problem)
    # a plan redone from its files has its driver-asked lenders already: no second round
    done = any(w.driver for c in clinics if c.staffing for w in c.staffing.weekdays)
    asked = False
    if not done:
        clinics, asked = top_up(clinics, problem, solution, config, staffing_response)
    if asked:  # more lenders were asked: solve again with their points
        options, points = _options(clinics, weights)
        problem = dataclasses.replace(problem, options=tuple(options))
        solution = solve_network(problem)
    chosen = {
        k: points[(k[0], k[1], o.am, o.pm, o.template)] for k, o in solution.chosen.items()
    }
    gains = {
        k: day_objective(points[(k[0], k[1], 0, 0, "optimised")].kpis, weights) - o.objective
        for k, o in solution.chosen.items()
    }
    changes = tuple(
        {
            "polyclinic_id": k[0],
            "weekday": WEEKDAYS[k[1]],
            "AM": o.am,
            "PM": o.pm,
            "template": o.template,
            "objective_recommended": round(o.objective + gains[k], 3),
            "objective_network": round(o.objective, 3),
            "lender_wait_excess": round(o.wait_excess, 4),
            "lender_overtime_excess": round(o.overtime_excess, 4),
        }
        for k, o in sorted(solution.chosen.items())
        if (o.am, o.pm) != (0, 0)
    )
    models = {c.polyclinic_id: c.model for c in clinics}
    moves = _detail_moves(solution, chosen, models, gains)
    hires = tuple(hire(c.polyclinic_id, w, target, weights) for c in clinics for w in _borrowing(c))
    plan = NetworkPlan(
        "moves" if moves else "no_moves", "", settings, weights, target, heavy,
        moves=tuple(moves), hires=hires, changes=changes,
        objective={"recommended": round(solution.baseline, 3),
                   "network": round(solution.objective, 3)},
        points=sum(c.staffing.points for c in clinics if c.staffing),
        notes=_driver_notes(clinics),
        staffing={c.polyclinic_id: c.staffing for c in clinics if c.staffing},
    )  # fmt: skip
    if moves:
        n = len(moves)
        message = (
            f"{n} doctor-session{'s' if n != 1 else ''} a week move "
            f"({', '.join(sorted({m['from'] for m in moves}))} -> "
            f"{', '.join(sorted({m['to'] for m in moves}))})"
        )
    elif not options or all((o.am, o.pm) == (0, 0) for o in options):
        message = ("no polyclinic can lend on the overloaded weekdays within the limits: no "
                   "doctor-session moves; see the hiring answer")
    else:
        message = ("no move lowers the network's objective within the limits: no "
                   "doctor-session moves; see the hiring answer")
    plan = _finish(plan, clinics, chosen, message, today, planned)
    return _with_goals(plan, clinics, goals)


def _finish(
    plan: NetworkPlan,
    clinics: Sequence[ClinicInputs],
    chosen: Mapping[tuple[str, int], StaffingPoint],
    message: str,
    today: Mapping[str, Mapping[int, Kpis]],
    planned: Mapping[str, Mapping[int, Kpis]],
) -> NetworkPlan:
    templates, sessions, entries, after = {}, {}, {}, {}
    for c in clinics:
        tpl, ses = _after(c, chosen)
        templates[c.polyclinic_id], sessions[c.polyclinic_id] = tpl, ses
        after[c.polyclinic_id] = _network_days(c, chosen)
        changed = sorted(d for (pid, d), p in chosen.items() if pid == c.polyclinic_id
                         and p.change)
        role = ("borrows" if any(p.change > 0 for (pid, _), p in chosen.items()
                                 if pid == c.polyclinic_id) else
                "lends" if changed else "unchanged")  # fmt: skip
        entries[c.polyclinic_id] = {
            "role": role,
            "overloaded": [WEEKDAYS[d] for d in c.overloaded],
            "changed_weekdays": [WEEKDAYS[d] for d in changed],
            "today": week_kpis(today[c.polyclinic_id]),
            "recommended": week_kpis(planned[c.polyclinic_id]),
            "network": week_kpis(after[c.polyclinic_id]),
        }
    network = {
        "today": network_week(today),
        "recommended": network_week(planned),
        "network": network_week(after),
    }
    return _replace(plan, message=message, templates=templates, sessions=sessions,
                    clinics=entries, network=network)


def _replace(plan: NetworkPlan, **changes: Any) -> NetworkPlan:
    return dataclasses.replace(plan, **changes)


def _with_goals(plan: NetworkPlan, clinics: Sequence[ClinicInputs], goals: Any) -> NetworkPlan:
    result = goals(plan, clinics)
    return _replace(plan, goals=result["goals"], goal_hires=tuple(result["hires"]))
