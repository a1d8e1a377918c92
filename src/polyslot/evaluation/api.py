"""Entry points: :func:`evaluate` (typed schedule -> :class:`Evaluation`) and the array API."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from polyslot.errors import InputError
from polyslot.evaluation.arrays import ArrayResult, check_times, summarize
from polyslot.evaluation.batch import Evaluator
from polyslot.evaluation.driver import entry
from polyslot.evaluation.envelope import compute_envelope, full_horizon, wait_pmfs_from_state
from polyslot.evaluation.prepare import Prepared, horizon, new_state, prepare, prepare_schedule
from polyslot.evaluation.result import Evaluation
from polyslot.schedule import Schedule

__all__ = ["evaluate", "evaluate_arrays", "run_state"]


def run_state(tau: np.ndarray, prep: Prepared, session_end: int, doctor_start: int, H: int):
    """Allocate a state with horizon ``H`` and evaluate ``tau`` into it (returns the state)."""
    state = new_state(prep.n_patients, H, doctor_start, prep.brev.shape[1])
    prev = np.empty_like(tau)
    args = prep.kernel_args()
    r = entry(0, tau, prev, *args, prep.no_show, int(session_end), int(doctor_start), *state)
    if r < 0:  # pragma: no cover - H is always computed large enough
        raise RuntimeError(f"evaluation horizon {H} too small, needs {-r - 1}")
    return state


_LOCAL = threading.local()


def _reused_state(tau: np.ndarray, prep: Prepared, session_end: int, doctor_start: int, H: int):
    """:func:`run_state` into buffers kept per thread for this shape (a full evaluation from
    patient 0 every time; the caller copies what it returns)."""
    states = getattr(_LOCAL, "states", None)
    if states is None:
        states = _LOCAL.states = {}
    key = (prep.n_patients, int(H), int(doctor_start), prep.brev.shape[1])
    hit = states.get(key)
    if hit is None:
        if len(states) >= 8:
            states.clear()
        hit = (np.empty_like(tau), new_state(prep.n_patients, H, doctor_start, key[3]))
        states[key] = hit
    prev, state = hit
    r = entry(
        0, tau, prev, *prep.kernel_args(), prep.no_show, int(session_end), int(doctor_start),
        *state,
    )  # fmt: skip
    if r < 0:  # pragma: no cover - H is always computed large enough
        raise RuntimeError(f"evaluation horizon {H} too small, needs {-r - 1}")
    return state


_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 16


def _cached_evaluator(service, no_show, session_end: int, doctor_start: int):
    """An :class:`Evaluator` for these exact service / no-show values (small LRU by content)."""
    svc = np.ascontiguousarray(service, dtype=np.float64)
    ns = None if no_show is None else np.ascontiguousarray(no_show, dtype=np.float64)
    key = (
        svc.shape, svc.tobytes(), None if ns is None else ns.tobytes(),
        int(session_end), int(doctor_start),
    )  # fmt: skip
    with _CACHE_LOCK:
        ev = _CACHE.pop(key, None)
        if ev is None:
            ev = Evaluator(svc, ns, session_end, doctor_start)  # validates
            while len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = ev
    return ev


def evaluate_arrays(
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray | None,
    session_end: int,
    doctor_start: int = 0,
    *,
    offsets: list | None = None,
) -> ArrayResult:
    """Evaluate one session given as arrays (validated, then the exact kernel).

    Parameters
    ----------
    appointments : (K,) int array
        Appointment slots, in service order (normally non-decreasing).
    service : (K, S) float array
        Row k = consultation-time PMF of patient k if they come (slots 0..S-1, zero-padded).
    no_show : (K,) float array or None
        No-show probabilities.
    session_end, doctor_start : int
        Session end L and the doctor's arrival slot.
    offsets : list of (offsets, pmf) or None per patient, optional
        Arrival-offset PMFs (unpunctual patients).

    Returns
    -------
    ArrayResult
        ``(total_wait_mean, total_idle_mean, overtime_mean, idle_end_mean, completion_mean,
        idle_before_mean, overtime_var, idle_end_var, wait_mean, wait_var, idle_mean,
        idle_var)``. Prepared service arrays are cached by content (16 entries), so repeated
        calls with the same patients skip the preparation; :class:`Evaluator` is still faster.
    """
    tau = check_times(appointments, session_end, doctor_start)
    if offsets is None:
        ev = _cached_evaluator(service, no_show, session_end, doctor_start)
        if ev.n_patients == tau.size:
            with _CACHE_LOCK:
                return ev.evaluate(tau)
    prep = prepare(service, no_show, offsets)
    if prep.n_patients != tau.size:
        raise InputError(
            f"has {prep.n_patients} rows for {tau.size} appointments",
            field="service",
            value=prep.n_patients,
        )
    st = run_state(tau, prep, session_end, doctor_start, horizon(tau, prep, session_end))
    return summarize(st[-2], st[-1])


def evaluate(schedule: Schedule, *, wait_pmfs: bool = False, envelope: bool = False) -> Evaluation:
    """Exact evaluation of a single-doctor session (see ``docs/evaluator.md``).

    Parameters
    ----------
    schedule : Schedule
        Patients in appointment order, session end, doctor arrival.
    wait_pmfs : bool
        Also return the full PMF of each patient's wait (untruncated; slower).
    envelope : bool
        Also return the booking envelopes for slots 0..L.
    """
    if not isinstance(schedule, Schedule):
        raise InputError("must be a polyslot.schedule.Schedule", field="schedule", value=schedule)
    prep = prepare_schedule(schedule)
    tau = schedule.appointments
    L, ds = int(schedule.session_end), int(schedule.doctor_start)
    H = horizon(tau, prep, L)
    if wait_pmfs:
        H = full_horizon(tau, prep, L, ds)
    D, LO, HI, _, ED, VD, _, pat, sc = _reused_state(tau, prep, L, ds, H)
    pmfs = wait_pmfs_from_state(tau, prep, D, LO, HI) if wait_pmfs else None
    env = compute_envelope(tau, L, D, LO, HI, ED, VD) if envelope else None
    return evaluation_from_state(tau, prep, L, ds, pat, sc, wait_pmfs=pmfs, envelope=env)


def evaluation_from_state(
    tau: np.ndarray,
    prep: Prepared,
    L: int,
    ds: int,
    pat: np.ndarray,
    sc: np.ndarray,
    **extra: Any,
) -> Evaluation:
    """The :class:`Evaluation` record of one pass of the kernel.

    ``pat`` holds the per-patient wait / idle means and variances, ``sc`` the session scalars
    (completion, overtime and end-idle means and variances); ``extra`` are the optional fields
    (``wait_pmfs``, ``envelope``, ``wait_cdf``).
    """
    return Evaluation(
        appointment=tau,
        no_show=prep.no_show.copy(),
        wait_mean=pat[0].copy(),
        wait_var=pat[1].copy(),
        idle_mean=pat[2].copy(),
        idle_var=pat[3].copy(),
        overtime_mean=float(sc[2]),
        overtime_var=float(sc[3]),
        idle_end_mean=float(sc[4]),
        idle_end_var=float(sc[5]),
        completion_mean=float(sc[0]),
        completion_var=float(sc[1]),
        busy_mean=float(prep.bmean.sum()),
        session_end=L,
        doctor_start=ds,
        **extra,
    )
