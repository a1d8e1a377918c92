"""Exact single-session evaluation used by the optimizer (batched, with shared prefixes).

A batched, prefix-resumable Lindley recursion for punctual patients on a slot grid (the
optimizer's hot loop); the tests check it against brute-force enumeration and against
:mod:`polyslot.evaluation`:

- ``V_k`` = work in the system just before patient k's appointment (``V_1 = max(d - a_1, 0)``);
  patient k, if they come, waits ``W_k = V_k``;
- after k: ``V_k + S_k B_k`` (``S_k`` ~ Bernoulli(1 - p_k)), then ``V_{k+1} = max(. - g_k, 0)``
  with ``g_k = a_{k+1} - a_k``;
- completion ``C = a_K + V_K + S_K B_K``; overtime ``(C - T)^+``; doctor idle inside
  ``[d, max(C, T)]`` is ``max(C, T) - d - sum_k S_k B_k`` (the end of the session included).
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft

__all__ = ["batch_metrics", "session_metrics", "lindley_suffix"]


_TRIM = 1e-13


def _conv(v: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise full convolution of (N, W) with (S,) or (N, S), via FFT for long inputs."""
    w, s_len = v.shape[1], b.shape[-1]
    if w * s_len <= 2048:
        out = np.zeros((v.shape[0], w + s_len - 1))
        bb = b if b.ndim == 2 else np.broadcast_to(b, (v.shape[0], s_len))
        for s in np.flatnonzero(bb.any(axis=0)):
            out[:, s : s + w] += bb[:, s : s + 1] * v
        return out
    n = w + s_len - 1
    size = sp_fft.next_fast_len(n, real=True)
    fv = sp_fft.rfft(v, size, axis=1)
    fb = sp_fft.rfft(b, size, axis=-1)
    out = sp_fft.irfft(fv * fb, size, axis=1)[:, :n]
    np.maximum(out, 0.0, out=out)
    return out


def lindley_suffix(
    init: np.ndarray | None,
    init_a: int,
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray,
    session_end: int,
    doctor_start: int = 0,
    keep_states: bool = False,
) -> dict[str, object]:
    """Run the recursion over patients ``appointments[:, :]`` of N candidate schedules.

    ``init`` is the post-service work distribution of the patient before the suffix (whose
    appointment is ``init_a``), or None to start an empty session. With ``keep_states`` the
    post-service distributions of every patient are returned (N must be 1).
    """
    a = np.asarray(appointments, dtype=np.int64)
    n, k_count = a.shape
    service = np.asarray(service, dtype=np.float64)
    p = np.asarray(no_show, dtype=np.float64)
    if service.ndim == 2:
        service = np.broadcast_to(service, (n, *service.shape))
    if p.ndim == 1:
        p = np.broadcast_to(p, (n, k_count))
    if init is None:
        start = np.maximum(doctor_start - a[:, 0], 0)
        v = np.zeros((n, int(start.max()) + 1))
        v[np.arange(n), start] = 1.0
    else:
        v = _shift(np.broadcast_to(init, (n, init.size)), a[:, 0] - init_a)
    waits = np.empty((n, k_count))
    states = []
    for k in range(k_count):
        waits[:, k] = v @ np.arange(v.shape[1], dtype=np.float64)
        pk = p[:, k : k + 1]
        b = service[:, k, :]
        nzb = np.flatnonzero(b.any(axis=0))
        b = b[:, : int(nzb[-1]) + 1] if nzb.size else b[:, :1]
        new = _conv(v, b[0] if n == 1 or not (b != b[:1]).any() else b) * (1.0 - pk)
        new[:, : v.shape[1]] += pk * v
        if keep_states:
            states.append(new[0].copy())
        if k + 1 == k_count:
            v = new
            break
        v = _shift(new, a[:, k + 1] - a[:, k])
    grid = np.arange(v.shape[1], dtype=np.float64)
    comp = a[:, -1][:, None] + grid[None, :]
    overtime = (v * np.maximum(comp - session_end, 0.0)).sum(axis=1)
    work = ((1.0 - p) * (service @ np.arange(service.shape[-1], dtype=np.float64))).sum(axis=1)
    return {"wait": waits, "overtime_mean": overtime, "work": work, "states": states}


def _shift(new: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Row-wise ``max(X - gap, 0)`` of work distributions, trimmed of a negligible tail."""
    w_new = new.shape[1]
    nxt = np.zeros((new.shape[0], w_new))
    for g in np.unique(gaps):
        rows = np.flatnonzero(gaps == g)
        g = int(g)
        if g == 0:
            nxt[rows] = new[rows]
            continue
        g = min(g, w_new)
        nxt[rows, : w_new - g] = new[rows, g:]
        nxt[rows, 0] += new[rows, :g].sum(axis=1)
    nz = np.flatnonzero((nxt > _TRIM).any(axis=0))
    last = int(nz[-1]) + 1 if nz.size else 1
    return nxt[:, :last]


def _lindley_batch(
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray,
    session_end: int,
    doctor_start: int = 0,
) -> dict[str, np.ndarray]:
    a = np.asarray(appointments, dtype=np.int64)
    if a.ndim == 1:
        a = a[None, :]
    out = lindley_suffix(None, 0, a, service, no_show, session_end, doctor_start)
    idle = session_end + out["overtime_mean"] - doctor_start - out["work"]
    return {"wait": out["wait"], "overtime_mean": out["overtime_mean"], "total_idle_mean": idle}


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
        ``overtime_mean`` (N,), ``total_idle_mean`` (N,).
    """
    out = _lindley_batch(appointments, service, no_show, session_end, doctor_start)
    p = np.asarray(no_show, dtype=np.float64)
    out["wait_mean"] = out["wait"].mean(axis=1)
    out["total_wait_shown"] = (out["wait"] * (1.0 - p)).sum(axis=-1)
    return out


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
