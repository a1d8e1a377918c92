"""The array form of an evaluation (:class:`ArrayResult`) and the check of slot times.

Shared by :func:`~polyslot.evaluation.api.evaluate_arrays` and
:class:`~polyslot.evaluation.batch.Evaluator`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from polyslot.errors import InputError

__all__ = ["ArrayResult", "summarize", "check_times"]


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
