"""A polyclinic day in SimPy: doctor sessions, appointments, walk-ins, late arrivals, overtime.

Processes: one arrival process releases patients at their arrival times and routes them to a
queue (see :mod:`polyslot.simulate.disciplines`); one server process per doctor session takes
patients from its queue (a SimPy ``Store``, or a ``PriorityStore`` keyed by appointment time
for the ``appointment`` discipline) and holds them for their consultation time.

Duty and overtime: a session's server starts at its ``start``. At its ``end`` it stops taking
patients, except that it runs on while patients are waiting for it and no other doctor can take
them: with the pooled queue, while no other session is on duty; with a dedicated queue, until
its own queue is empty. A consultation in progress is always finished. A doctor also stays past
the session end until their booked patients who are still on the way have arrived (patients who
come, and are not turned walk-in by the late policy; no-shows are not waited for), as a doctor
with the day's list does. So the day runs on until everyone present is seen; patients who arrive
when no doctor is or will be on duty are counted ``unseen``. Breaks are gaps between a doctor's
sessions.

Late policy: a booked patient arriving more than ``late_threshold`` minutes after the
appointment is seen as a walk-in (queue key = arrival, any doctor), ``None`` disables it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from polyslot.errors import InputError
from polyslot.simulate.dayplan import DayPlan
from polyslot.simulate.disciplines import Discipline, parse_discipline
from polyslot.simulate.kpis import day_kpis

__all__ = ["ClinicConfig", "DayResult", "simulate_day"]


@dataclass(frozen=True)
class ClinicConfig:
    """How the clinic runs a day.

    Parameters
    ----------
    discipline : Discipline or str
        ``fcfs`` (pooled, default), ``dedicated`` or ``appointment``.
    late_threshold : float or None
        Minutes late beyond which a booked patient is seen as a walk-in (None = never).
    service_mode : str
        ``pmf`` (the ClinicModel's slot-grid PMF) or ``lognormal`` (continuous, mean and cv).
    walk_in_visit_type : str or None
        Visit type of walk-ins whose type the model does not give (default: the model's first).
    """

    discipline: Discipline | str = Discipline.POOLED
    late_threshold: float | None = 15.0
    service_mode: str = "pmf"
    walk_in_visit_type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "discipline", parse_discipline(self.discipline))
        lt = self.late_threshold
        if lt is not None and not (math.isfinite(lt) and lt >= 0):
            raise InputError("must be a number >= 0 or null", field="late_threshold", value=lt)
        if self.service_mode not in ("pmf", "lognormal"):
            raise InputError(
                "must be 'pmf' or 'lognormal'", field="service_mode", value=self.service_mode
            )


@dataclass(frozen=True)
class DayResult:
    """Tidy per-patient records (column -> array) and the day's KPIs."""

    records: dict[str, np.ndarray]
    kpis: dict[str, float]

    def to_frame(self) -> Any:
        """The records as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.records)


class _Day:
    def __init__(self, env: simpy.Environment, plan: DayPlan, config: ClinicConfig) -> None:
        self.env = env
        self.plan = plan
        self.disc = parse_discipline(config.discipline)
        n = plan.size
        self.start = np.full(n, np.nan)
        self.end = np.full(n, np.nan)
        self.doctor = np.full(n, -1, dtype=np.int64)
        walk = plan.booked_server < 0
        lateness = plan.arrival - plan.appointment
        late = np.zeros(n, dtype=bool)
        if config.late_threshold is not None:
            late = ~walk & (np.nan_to_num(lateness, nan=-np.inf) > config.late_threshold)
        self.as_walk = walk | late
        self.key = np.where(self.as_walk, plan.arrival, plan.appointment).tolist()
        # a doctor stays past the session end for their booked patients still on the way
        # (those who come and are not turned walk-in by the late policy)
        expected = ~self.as_walk & np.isfinite(plan.arrival)
        self.release = [s.end for s in plan.servers]
        for i in np.flatnonzero(expected).tolist():
            b = int(plan.booked_server[i])
            self.release[b] = max(self.release[b], float(plan.arrival[i]))
        self.service = plan.service.tolist()
        ns = len(plan.servers)
        self.alive = [True] * ns
        self.busy = [False] * ns
        self.waiting: list[Any] = [None] * ns
        self.busy_total = [0.0] * ns
        self.busy_duty = [0.0] * ns
        self.last_end = [s.end for s in plan.servers]
        if self.disc.pooled:
            shared = simpy.Store(env)
            self.queues = [shared] * ns
        elif self.disc is Discipline.PER_DOCTOR:
            self.queues = [simpy.PriorityStore(env) for _ in range(ns)]
        else:
            self.queues = [simpy.Store(env) for _ in range(ns)]

    # -- routing -----------------------------------------------------------------------------
    def _on_duty(self, s: int, now: float) -> bool:
        srv = self.plan.servers[s]
        return self.alive[s] and srv.start <= now < srv.end

    def _shortest(self) -> int | None:
        now = self.env.now
        ns = len(self.plan.servers)
        load = [len(self.queues[s].items) + self.busy[s] for s in range(ns)]
        for pick in (
            [s for s in range(ns) if self._on_duty(s, now)],
            [s for s in range(ns) if self.alive[s] and self.plan.servers[s].start <= now],
        ):
            if pick:
                return min(pick, key=lambda s: (load[s], s))
        later = [s for s in range(ns) if self.plan.servers[s].start > now]
        return min(later, key=lambda s: (self.plan.servers[s].start, s)) if later else None

    def _route(self, i: int) -> None:
        if self.disc.pooled:
            self.queues[0].put(i)
            return
        s = int(self.plan.booked_server[i])
        if self.as_walk[i] or not self.alive[s]:
            shortest = self._shortest()
            if shortest is None:
                return  # nobody on duty now or later: unseen
            s = shortest
        if self.disc is Discipline.PER_DOCTOR:
            self.queues[s].put(simpy.PriorityItem((self.key[i], i), i))
        else:
            self.queues[s].put(i)

    def arrivals(self, order: list[int], times: list[float]) -> Any:
        env = self.env
        for i, t in zip(order, times, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            self._route(i)

    # -- doctors -----------------------------------------------------------------------------
    def _others_on_duty(self, s: int) -> bool:
        now = self.env.now
        return any(self._on_duty(o, now) for o in range(len(self.plan.servers)) if o != s)

    def _wake(self, s: int) -> None:
        """At session end, release an idle doctor's pending request (it then re-checks duty)."""
        get = self.waiting[s]
        if get is not None and not get.triggered:
            get.cancel()
            get.succeed(None)

    def server(self, s: int) -> Any:
        env = self.env
        srv = self.plan.servers[s]
        q = self.queues[s]
        prio = self.disc is Discipline.PER_DOCTOR
        if srv.start > env.now:
            yield env.timeout(srv.start - env.now)
        release = self.release[s]
        end_ev = env.timeout(release - env.now)
        end_ev.callbacks.append(lambda _ev: self._wake(s))
        while True:
            if env.now >= release and (
                not q.items or (self.disc.pooled and self._others_on_duty(s))
            ):
                break
            get = q.get()
            if not get.triggered:
                self.waiting[s] = get  # idle: woken by a patient or by the session end
            item = yield get
            self.waiting[s] = None
            if item is None:  # session end while idle
                continue
            i = item.item if prio else item
            t0 = env.now
            self.busy[s] = True
            self.start[i] = t0
            self.doctor[i] = s
            d = self.service[i]
            if d > 0:
                yield env.timeout(d)
            t1 = env.now
            self.end[i] = t1
            self.busy[s] = False
            self.busy_total[s] += t1 - t0
            self.busy_duty[s] += max(0.0, min(t1, srv.end) - max(t0, srv.start))
            self.last_end[s] = max(self.last_end[s], t1)
        self.alive[s] = False


def simulate_day(plan: DayPlan, config: ClinicConfig | None = None) -> DayResult:
    """Simulate one clinic day with SimPy.

    Returns
    -------
    DayResult
        ``records`` with the columns of :data:`polyslot.simulate.kpis.RECORD_COLUMNS` (times in
        minutes after midnight; ``doctor`` is the session name, ``""`` if unseen) and ``kpis``.
    """
    config = config or ClinicConfig()
    came = np.isfinite(plan.arrival)
    idx = np.flatnonzero(came)
    appt_key = np.where(np.isfinite(plan.appointment), plan.appointment, plan.arrival)
    order = idx[np.lexsort((idx, appt_key[idx], plan.arrival[idx]))]
    t0 = min([float(plan.arrival[order[0]])] if order.size else [], default=0.0)
    t0 = min(t0, min(s.start for s in plan.servers))
    env = simpy.Environment(initial_time=t0)
    day = _Day(env, plan, config)
    env.process(day.arrivals(order.tolist(), plan.arrival[order].tolist()))
    for s in range(len(plan.servers)):
        env.process(day.server(s))
    env.run()
    seen = np.isfinite(day.start)
    names = np.array([s.name for s in plan.servers] + [""], dtype=object)
    walk = plan.booked_server < 0
    records = {
        "appointment": plan.appointment,
        "arrival": plan.arrival,
        "start": day.start,
        "end": day.end,
        "wait": day.start - plan.arrival,
        "doctor": names[day.doctor],
        "visit_type": np.asarray(plan.visit_type, dtype=object),
        "walk_in": walk,
        "seen_as_walk_in": day.as_walk & came,
        "no_show": ~came,
        "seen": seen,
    }
    servers = plan.servers
    duty = float(sum(s.end - s.start for s in servers))
    busy_duty = float(sum(day.busy_duty))
    close = max(s.end for s in servers)
    last = float(np.nanmax(day.end)) if seen.any() else close
    kpis = day_kpis(
        records,
        busy=float(sum(day.busy_total)),
        duty=duty,
        idle=duty - busy_duty,
        overtime=max(0.0, last - close),
        doctor_overtime=float(
            sum(max(0.0, e - s.end) for e, s in zip(day.last_end, servers, strict=True))
        ),
    )
    return DayResult(records, kpis)
