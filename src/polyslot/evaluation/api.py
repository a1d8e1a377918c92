"""Entry points: :func:`evaluate` (typed schedule -> :class:`Evaluation`) and the array API."""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from polyslot.errors import InputError
from polyslot.evaluation.driver import entry
from polyslot.evaluation.envelope import compute_envelope, full_horizon, wait_pmfs_from_state
from polyslot.evaluation.prepare import Prepared, horizon, new_state, prepare, prepare_schedule
from polyslot.evaluation.result import Evaluation
from polyslot.schedule import Schedule

__all__ = ["ArrayResult", "evaluate", "evaluate_arrays", "summarize", "check_times", "run_state"]


class ArrayResult(NamedTuple):
    """Result of :func:`evaluate_arrays` / :meth:`Evaluator.evaluate` (all in slots).

    ``total_idle_mean`` here is all idle inside the session: the idle before patients *plus*
    the idle at the end (``idle_before_mean + idle_end_mean``), as optimisers want it.
    (:class:`Evaluation.total_idle_mean` follows the CLI contract and excludes the end idle.)
    """

    total_wait_mean: float
    total_idle_mean: float
    overtime_mean: float
    idle_end_mean: float
    completion_mean: float
    idle_before_mean: float
    overtime_var: float
    idle_end_var: float
    wait_mean: np.ndarray
    wait_var: np.ndarray
    idle_mean: np.ndarray
    idle_var: np.ndarray


def summarize(pat: np.ndarray, sc: np.ndarray) -> ArrayResult:
    """Pack the state's outputs ``pat`` (4, K) and ``sc`` (8,) into an :class:`ArrayResult`."""
    ed, _, eot, vot, eie, vie, tw, ib = sc.tolist()
    w = pat.copy()
    return ArrayResult(tw, ib + eie, eot, eie, ed, ib, vot, vie, w[0], w[1], w[2], w[3])


def check_times(appointments: np.ndarray, session_end: int, doctor_start: int) -> np.ndarray:
    """Validate integer slot times; return appointments as a contiguous int64 array."""
    tau = np.asarray(appointments)
    if tau.size == 0:
        raise InputError("must list at least one patient", field="appointments", value=[])
    if not np.issubdtype(tau.dtype, np.integer):
        if not np.all(np.isfinite(tau)) or not np.all(tau == np.round(tau)):
            raise InputError("must be whole slots", field="appointments", value=tau.tolist())
    tau = np.ascontiguousarray(tau, dtype=np.int64)
    if np.any(tau < 0):
        raise InputError("must be >= 0", field="appointments", value=int(tau.min()))
    for name, v in (("session_end", session_end), ("doctor_start", doctor_start)):
        if int(v) != v or v < 0:
            raise InputError(f"must be an integer >= 0, got {v!r}", field=name, value=v)
    return tau


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
    from polyslot.evaluation.batch import Evaluator

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
        wait_pmfs=pmfs,
        envelope=env,
    )
