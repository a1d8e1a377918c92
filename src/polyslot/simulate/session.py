"""One doctor session in appointment order: the simulator's twin of the exact evaluator.

Reads a :class:`polyslot.schedule.Schedule` (all times in slots) and simulates it with SimPy:
each patient's arrival is a SimPy timeout at ``tau_k + offset_k``; the doctor process, present
from ``doctor_start``, serves patients strictly in appointment order, waiting for the next
patient if they have not arrived yet: ``S_k = max(tau_k + offset_k, D_{k-1})``,
``D_k = S_k + B_k``. A no-show has ``B_k = 0`` (the doctor learns of it at its would-be arrival
time, as in the evaluator's recursion). Waits are ``S_k - (tau_k + offset_k)`` for patients who
come (NaN for no-shows); idle before patient k is ``S_k - D_{k-1}`` (before the first:
``S_1 - doctor_start``); overtime ``(D_K - L)^+`` and end idle ``(L - D_K)^+``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from polyslot.schedule import Schedule
from polyslot.simulate.kpis import mean_ci
from polyslot.simulate.replications import run_replications

__all__ = ["SessionParams", "SessionResult", "session_replication", "simulate_session"]


@dataclass(frozen=True)
class SessionParams:
    """Pre-computed sampling tables of a schedule (picklable, shared by replications)."""

    appointment: np.ndarray  # (K,) int
    service_cdf: np.ndarray  # (K, S) cumulative PMF
    no_show: np.ndarray  # (K,)
    offsets: np.ndarray  # (K, M) int offsets (zero padded)
    offset_cdf: np.ndarray  # (K, M) cumulative PMF (1 padded)
    session_end: int
    doctor_start: int

    @classmethod
    def from_schedule(cls, schedule: Schedule) -> SessionParams:
        """Build the tables of ``schedule``."""
        pats = schedule.patients
        k = len(pats)
        s = max(len(p.service) for p in pats)
        cdf = np.ones((k, s))
        for i, p in enumerate(pats):
            c = np.cumsum(p.service)
            cdf[i, : c.size] = c
        cdf[:, -1] = 1.0
        m = max(len(p.punctuality.offsets) if p.punctuality else 1 for p in pats)
        offs = np.zeros((k, m), dtype=np.int64)
        ocdf = np.ones((k, m))
        for i, p in enumerate(pats):
            if p.punctuality is not None:
                n = len(p.punctuality.offsets)
                offs[i, :n] = p.punctuality.offsets
                ocdf[i, :n] = np.cumsum(p.punctuality.pmf)
            ocdf[i, -1] = 1.0
        return cls(
            appointment=schedule.appointments,
            service_cdf=cdf,
            no_show=np.array([p.no_show for p in pats], dtype=np.float64),
            offsets=offs,
            offset_cdf=ocdf,
            session_end=int(schedule.session_end),
            doctor_start=int(schedule.doctor_start),
        )


def _inverse(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise inverse CDF: smallest index i with cdf[k, i] > u[k]."""
    idx = (cdf <= u[:, None]).sum(axis=1)
    return np.minimum(idx, cdf.shape[1] - 1)


def _doctor(
    env: simpy.Environment,
    arrivals: Sequence[simpy.Event],
    service: list[float],
    start_out: list[float],
    end_out: list[float],
    doctor_start: float,
) -> Any:
    if doctor_start > 0:
        yield env.timeout(doctor_start)
    for k, arrived in enumerate(arrivals):
        yield arrived  # resumes at once if the patient is already there
        start_out[k] = env.now
        if service[k] > 0:
            yield env.timeout(service[k])
        end_out[k] = env.now


def session_replication(params: SessionParams, seed: np.random.SeedSequence) -> dict[str, Any]:
    """One replication: a pure function (params, seed) -> record.

    Returns
    -------
    dict
        ``wait`` (K,) with NaN for no-shows, ``idle`` (K,), ``came`` (K,) bool, scalars
        ``overtime``, ``idle_end``, ``total_wait``, ``completion``.
    """
    rng = np.random.default_rng(seed)
    k = params.appointment.size
    came = rng.random(k) >= params.no_show
    service = _inverse(params.service_cdf, rng.random(k)).astype(np.float64) * came
    offset = params.offsets[np.arange(k), _inverse(params.offset_cdf, rng.random(k))]
    arrival = (params.appointment + offset).astype(np.float64)
    t0 = float(min(arrival.min(), params.doctor_start, 0))
    env = simpy.Environment(initial_time=t0)
    events = [env.timeout(a - t0) for a in arrival.tolist()]
    start = [0.0] * k
    end = [0.0] * k
    env.process(_doctor(env, events, service.tolist(), start, end, params.doctor_start - t0))
    env.run()
    s = np.asarray(start)
    d = np.asarray(end)
    prev = np.concatenate(([float(params.doctor_start)], d[:-1]))
    wait = np.where(came, s - arrival, np.nan)
    done = float(d[-1])
    return {
        "wait": wait,
        "idle": s - prev,
        "came": came,
        "overtime": max(done - params.session_end, 0.0),
        "idle_end": max(params.session_end - done, 0.0),
        "total_wait": float(np.nansum(wait)),
        "completion": done,
    }


@dataclass(frozen=True)
class SessionResult:
    """Replicated session estimates (all in slots) with 95% CI half-widths."""

    appointment: np.ndarray
    wait_mean: np.ndarray
    wait_ci: np.ndarray
    idle_mean: np.ndarray
    overtime_mean: float
    overtime_ci: float
    idle_end_mean: float
    total_wait_mean: float
    total_wait_ci: float
    completion_mean: float
    replications: int
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``polyslot simulate SCHEDULE.json``."""

        def f(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {
            "patients": [
                {
                    "appointment": int(a),
                    "wait_mean": f(w),
                    "wait_ci": f(c),
                    "idle_mean": f(i),
                }
                for a, w, c, i in zip(
                    self.appointment, self.wait_mean, self.wait_ci, self.idle_mean, strict=True
                )
            ],
            "overtime_mean": f(self.overtime_mean),
            "overtime_ci": f(self.overtime_ci),
            "idle_end_mean": f(self.idle_end_mean),
            "total_wait_mean": f(self.total_wait_mean),
            "total_wait_ci": f(self.total_wait_ci),
            "completion_mean": f(self.completion_mean),
            "replications": int(self.replications),
            "converged": bool(self.converged),
        }


def simulate_session(
    schedule: Schedule,
    *,
    replications: int = 1000,
    seed: int = 0,
    target_rel: float | None = None,
    target_abs: float | None = None,
    min_replications: int = 10,
    workers: int = 1,
) -> SessionResult:
    """Simulate ``schedule`` in appointment order and estimate the evaluator's quantities.

    ``wait_mean[k]`` is the mean wait of patient k over the replications in which k came (the
    evaluator's conditional mean); ``total_wait_mean`` is the mean over replications of the sum
    of waits (= sum (1 - p_k) E[W_k]). With ``target_rel``/``target_abs`` the run stops when the
    95% half-width of ``total_wait_mean`` meets the target (``replications`` is then the cap).
    """
    params = SessionParams.from_schedule(schedule)
    run = run_replications(
        session_replication,
        params,
        seed,
        replications=replications,
        metric=lambda r: r["total_wait"],
        target_rel=target_rel,
        target_abs=target_abs,
        min_replications=min_replications,
        workers=workers,
    )
    recs = run.records
    waits = np.vstack([r["wait"] for r in recs])
    k = params.appointment.size
    cis = [mean_ci(waits[:, j]) for j in range(k)]
    ot = mean_ci([r["overtime"] for r in recs])
    tw = mean_ci([r["total_wait"] for r in recs])
    return SessionResult(
        appointment=params.appointment,
        wait_mean=np.array([c[0] for c in cis]),
        wait_ci=np.array([c[1] for c in cis]),
        idle_mean=np.vstack([r["idle"] for r in recs]).mean(axis=0),
        overtime_mean=ot[0],
        overtime_ci=ot[1],
        idle_end_mean=float(np.mean([r["idle_end"] for r in recs])),
        total_wait_mean=tw[0],
        total_wait_ci=tw[1],
        completion_mean=float(np.mean([r["completion"] for r in recs])),
        replications=run.replications,
        converged=run.converged,
    )
