"""Historical replay: recorded days under the current and another template, with CRN.

For each :class:`~polyslot.simulate.history.HistoricalDay` and each scenario, the day's
patients are the recorded ones: the same booked patients (visit type, came or not, arrival
offset from their appointment), the same walk-ins at their recorded arrival times. A scenario
is a template or ``None``:

- ``None`` ("as recorded"): recorded appointment times, doctors from the day's roster; a booked
  patient is assigned to the on-duty server ``k mod n`` (k = booking rank) for the dedicated and
  appointment disciplines.
- a :class:`~polyslot.template.SlotTemplate`: booked patients, in recorded appointment order,
  each take the free slot of their visit type nearest their recorded time (else the nearest
  free slot of any type; if none is free, the nearest slot of their type is double-booked);
  arrival = new appointment + recorded offset; doctors are the template's sessions.

Consultation times are resampled from the ClinicModel with common random numbers: patient j of
a day gets the same uniform in every scenario (seeded by (seed, day, replication)), hence the
same consultation time, so scenario differences are sharp.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.day.build import day_sessions, visit_type_specs
from polyslot.errors import InputError
from polyslot.simulate.clinic import ClinicConfig, simulate_day
from polyslot.simulate.dayplan import DayPlan, Server, ServiceSampler
from polyslot.simulate.history import HistoricalDay
from polyslot.template import SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = ["Layout", "ReplayResult", "replay", "plan_for"]


class Layout:
    """A template's slots and doctor sessions on one weekday, ready for placing patients."""

    def __init__(self, model: ClinicModel, template: SlotTemplate, weekday: int) -> None:
        slots = template.for_weekday(weekday).slots
        self.servers = (
            tuple(Server(d.name, d.start, d.end) for d in day_sessions(model, slots, weekday))
            if slots
            else ()
        )
        index = {s.name: i for i, s in enumerate(self.servers)}
        order = sorted(range(len(slots)), key=lambda i: (slots[i].start_minute, i))
        self.times = [float(slots[i].start_minute) for i in order]
        self.server = [index[slots[i].doctor_session] for i in order]
        self.by_type: dict[str, list[int]] = {}
        for pos, i in enumerate(order):
            self.by_type.setdefault(slots[i].visit_type, []).append(pos)

    def _nearest(self, positions: list[int], t: float) -> int | None:
        """Index into ``positions`` (sorted by time) of the slot nearest ``t`` (ties: earlier)."""
        if not positions:
            return None
        k = bisect.bisect_left(positions, t, key=self.times.__getitem__)
        if k == len(positions):
            return k - 1
        if k > 0 and t - self.times[positions[k - 1]] <= self.times[positions[k]] - t:
            return k - 1
        return k

    def place(
        self, appointment: np.ndarray, visit_type: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Appointment times and server indices of booked patients (see module docstring)."""
        free = {v: list(p) for v, p in self.by_type.items()}
        everything = list(range(len(self.times)))
        appt = np.empty(len(visit_type))
        server = np.empty(len(visit_type), dtype=np.int64)
        for j, (t, v) in enumerate(zip(appointment.tolist(), visit_type, strict=True)):
            k = self._nearest(free.get(v, []), t)
            if k is not None:
                pos = free[v].pop(k)
            else:
                best = None
                for w, lst in free.items():
                    kk = self._nearest(lst, t)
                    if kk is not None:
                        d = abs(self.times[lst[kk]] - t)
                        if best is None or d < best[0]:
                            best = (d, w, kk)
                if best is not None:
                    pos = free[best[1]].pop(best[2])
                else:  # template full: double-book the nearest slot of the type (or any)
                    lst = self.by_type.get(v) or everything
                    pos = lst[self._nearest(lst, t) or 0]
            appt[j] = self.times[pos]
            server[j] = self.server[pos]
        return appt, server


def plan_for(
    day: HistoricalDay,
    u: np.ndarray,
    model: ClinicModel,
    template: SlotTemplate | Layout | None,
    sampler: ServiceSampler,
    staffing: str = "roster",
) -> DayPlan:
    """The :class:`DayPlan` of ``day`` under ``template`` (None = as recorded) with uniforms
    ``u`` (one per booked patient, then one per walk-in) for the consultation times.

    ``staffing="roster"`` staffs the day with its recorded roster; ``"template"`` with the
    template's doctor sessions."""
    layout = (
        Layout(model, template, day.weekday) if isinstance(template, SlotTemplate) else template
    )
    if layout is None or not layout.times:
        appt = day.appointment
        rank = np.arange(appt.size)
    else:
        appt, rank = layout.place(day.appointment, day.visit_type)
    if layout is not None and layout.times and staffing == "template":
        servers = layout.servers
        booked = rank
    else:  # the day's roster; booked patient -> on-duty server (rank mod n)
        servers = day.servers
        booked = np.zeros(appt.size, dtype=np.int64)
        for j, (t, k) in enumerate(zip(appt.tolist(), rank.tolist(), strict=True)):
            on = [i for i, s in enumerate(servers) if s.start <= t < s.end] or list(
                range(len(servers))
            )
            booked[j] = on[k % len(on)]
    vts = day.visit_type + day.walk_in_visit_type
    return DayPlan(
        servers=servers,
        appointment=np.concatenate((appt, np.full(day.walk_in_arrival.size, np.nan))),
        arrival=np.concatenate(
            (np.where(day.came, appt + day.offset, np.nan), day.walk_in_arrival)
        ),
        service=sampler(vts, u) if vts else np.empty(0),
        visit_type=vts,
        booked_server=np.concatenate(
            (booked, np.full(day.walk_in_arrival.size, -1, dtype=np.int64))
        ),
    )


@dataclass(frozen=True)
class _Task:
    model: ClinicModel
    scenarios: tuple[tuple[str, SlotTemplate | None], ...]
    config: ClinicConfig
    seed: int
    replications: int
    staffing: str


def _replay_days(task: _Task, days: Sequence[tuple[int, HistoricalDay]]) -> list[dict[str, Any]]:
    model = with_unreserved(task.model)
    sampler = ServiceSampler(
        visit_type_specs(model, [s.visit_type for s in model.service]),
        model.slot_minutes,
        task.config.service_mode,
    )
    layouts: dict[tuple[int, int], Layout | None] = {}
    rows = []
    for d, day in days:
        n = day.appointment.size + day.walk_in_arrival.size
        for r in range(task.replications):
            ss = np.random.SeedSequence(entropy=task.seed, spawn_key=(d, r))
            u = np.random.default_rng(ss).random(n)
            for k, (name, tpl) in enumerate(task.scenarios):
                key = (k, day.weekday)
                if key not in layouts:
                    layouts[key] = None if tpl is None else Layout(task.model, tpl, day.weekday)
                plan = plan_for(day, u, task.model, layouts[key], sampler, task.staffing)
                res = simulate_day(plan, task.config)
                seen = res.records["seen"]
                rows.append(
                    {
                        "date": day.date,
                        "weekday": day.weekday,
                        "replication": r,
                        "scenario": name,
                        **res.kpis,
                        "wait_sum": float(np.nansum(res.records["wait"][seen])),
                    }
                )
    return rows


@dataclass(frozen=True)
class ReplayResult:
    """Per-day KPIs (one row per date x scenario x replication) and totals per scenario."""

    days: pd.DataFrame
    totals: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``totals`` keyed by scenario and ``days`` as a list of records."""
        return {
            "totals": {
                str(k): {c: _num(v) for c, v in row.items()}
                for k, row in self.totals.to_dict("index").items()
            },
            "days": [{c: _num(v) for c, v in r.items()} for r in self.days.to_dict("records")],
        }


def _num(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def _totals(days: pd.DataFrame) -> pd.DataFrame:
    g = days.groupby("scenario", sort=False)
    out = pd.DataFrame(
        {
            "days": g["date"].nunique(),
            "patients_seen": g["patients_seen"].sum(),
            "walk_ins_seen": g["walk_ins_seen"].sum(),
            "wait_mean": g["wait_sum"].sum() / g["patients_seen"].sum(),
            "wait_p90_mean": g["wait_p90"].mean(),
            "utilization": g["busy_minutes"].sum() / g["duty_minutes"].sum(),
            "overtime_mean": g["overtime_mean"].mean(),
            "overtime_total": g["overtime_mean"].sum(),
            "idle_mean": g["idle_mean"].mean(),
        }
    )
    out.index.name = "scenario"
    return out


def replay(
    days: Sequence[HistoricalDay],
    model: ClinicModel,
    scenarios: Mapping[str, SlotTemplate | None],
    *,
    config: ClinicConfig | None = None,
    seed: int = 0,
    replications: int = 1,
    workers: int = 1,
    staffing: str = "roster",
) -> ReplayResult:
    """Replay ``days`` under every scenario (name -> template, None = as recorded).

    ``staffing`` is ``"roster"`` (each day's recorded roster, the default) or ``"template"``
    (the template's doctor sessions). Days are split over ``workers`` processes (1 = serial);
    results do not depend on it.
    """
    if staffing not in ("roster", "template"):
        raise InputError("must be 'roster' or 'template'", field="staffing", value=staffing)
    if replications < 1:
        raise InputError("must be >= 1", field="replications", value=replications)
    task = _Task(
        model,
        tuple(scenarios.items()),
        config or ClinicConfig(),
        int(seed),
        int(replications),
        staffing,
    )
    indexed = list(enumerate(days))
    if workers <= 1 or len(indexed) < 2:
        rows = _replay_days(task, indexed)
    else:
        chunks = [indexed[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(_replay_days, [task] * workers, chunks))
        rows = [r for part in parts for r in part]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return ReplayResult(frame, pd.DataFrame())
    order = {name: i for i, name in enumerate(scenarios)}
    frame["_o"] = frame["scenario"].map(order)
    frame = frame.sort_values(["date", "replication", "_o"]).drop(columns="_o")
    return ReplayResult(frame.reset_index(drop=True), _totals(frame))
