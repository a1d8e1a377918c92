"""Exact single-session metrics for the optimizer, as thin adapters over the evaluator.

There is one Lindley recursion in polyslot: :mod:`polyslot.evaluation` (see
``docs/evaluator.md``). This module only renames its batch output into the keys the optimizer
uses (punctual patients, served in appointment order):

- ``wait`` (N, K): ``E[W_k]``, patient k's expected wait if they come;
- ``wait_mean`` (N,): the mean of ``E[W_k]`` over all K scheduled patients;
- ``total_wait_shown`` (N,): ``sum_k (1 - p_k) E[W_k]``;
- ``overtime_mean`` (N,): ``E[(C - T)^+]`` with C the completion of the last patient;
- ``total_idle_mean`` (N,): doctor idle inside ``[d, max(C, T)]``, the end of the session
  included (the evaluator batch's ``total_idle_mean`` = ``idle_before_mean + idle_end_mean``).
"""

from __future__ import annotations

import numpy as np

from polyslot.evaluation import evaluate_batch

__all__ = ["batch_metrics", "session_metrics"]


def _adapt(out: dict[str, np.ndarray], no_show: np.ndarray) -> dict[str, np.ndarray]:
    wait = out["wait_mean"]
    return {
        "wait": wait,
        "overtime_mean": out["overtime_mean"],
        "total_idle_mean": out["total_idle_mean"],
        "wait_mean": wait.mean(axis=1),
        "total_wait_shown": (wait * (1.0 - no_show)).sum(axis=-1),
    }


def batch_metrics(
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray,
    session_end: int,
    doctor_start: int = 0,
) -> dict[str, np.ndarray]:
    """Exact metrics of N schedules of the same K patients.

    Parameters
    ----------
    appointments : (N, K) int array, non-decreasing along K
    service : (K, S) or (N, K, S) PMFs in slots
    no_show : (K,) or (N, K)
    session_end, doctor_start : int (slots)

    Returns
    -------
    dict
        ``wait`` (N, K) expected wait of each patient if they come, ``wait_mean`` (N,) mean
        over patients, ``total_wait_shown`` (N,) sum of (1 - p_k) E[W_k],
        ``overtime_mean`` (N,), ``total_idle_mean`` (N,) (idle inside the session, end included).
    """
    a = np.atleast_2d(np.asarray(appointments, dtype=np.int64))
    service = np.asarray(service, dtype=np.float64)
    p = np.asarray(no_show, dtype=np.float64)
    if service.ndim == 2 and p.ndim == 1:
        out = evaluate_batch(a, service, p, session_end, doctor_start, per_patient=True)
        return _adapt(out, p)
    n = a.shape[0]
    service = np.broadcast_to(service, (n, *service.shape[-2:]))
    p = np.broadcast_to(p, (n, a.shape[1]))
    rows = [
        _adapt(
            evaluate_batch(
                a[i : i + 1], service[i], p[i], session_end, doctor_start, per_patient=True
            ),
            p[i],
        )
        for i in range(n)
    ]
    return {key: np.concatenate([r[key] for r in rows], axis=0) for key in rows[0]}


def session_metrics(
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray,
    session_end: int,
    doctor_start: int = 0,
) -> dict[str, float]:
    """:func:`batch_metrics` of one schedule, as floats (``wait`` as a list)."""
    out = batch_metrics(
        np.asarray(appointments)[None, :], service, no_show, session_end, doctor_start
    )
    return {k: (v[0].tolist() if k == "wait" else float(v[0])) for k, v in out.items()}
