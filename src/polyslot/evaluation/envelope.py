"""Booking envelopes and full wait PMFs, read off the departure PMFs the kernel leaves behind.

Row ``j`` of ``D`` is the PMF of ``D_j``, the departure of the j-th patient (row 0 = the
doctor's arrival). An extra punctual patient booked at slot ``t`` behind the ``j`` patients
booked at or before ``t`` waits ``(D_j - t)^+`` (remaining work) while the doctor has been idle
for ``(t - D_j)^+`` (running idle time). Both only need ``D_j`` below ``t <= L``, which the
kernel keeps exactly, plus the exact mean and variance of ``D_j``.
"""

from __future__ import annotations

import numpy as np

from polyslot.evaluation.lindley import end_moments
from polyslot.evaluation.prepare import Prepared, horizon
from polyslot.evaluation.result import Envelope

__all__ = ["compute_envelope", "full_horizon", "wait_pmfs_from_state"]


def compute_envelope(
    tau: np.ndarray,
    session_end: int,
    D: np.ndarray,
    LO: np.ndarray,
    HI: np.ndarray,
    ED: np.ndarray,
    VD: np.ndarray,
) -> Envelope:
    """Remaining-work mean/variance and running-idle mean for every slot ``t = 0..L``.

    ``tau`` must be non-decreasing (a :class:`polyslot.schedule.Schedule` guarantees it).
    """
    L = int(session_end)
    n = L + 1
    rw_mean = np.zeros(n)
    rw_var = np.zeros(n)
    idle = np.zeros(n)
    booked = np.searchsorted(tau, np.arange(n), side="right")
    for t in range(n):
        j = int(booked[t])
        rw_mean[t], rw_var[t], idle[t], _ = end_moments(
            D[j], int(LO[j]), int(HI[j]), float(ED[j]), float(VD[j]), t
        )
    return Envelope(rw_mean, rw_var, idle)


def full_horizon(tau: np.ndarray, prep: Prepared, session_end: int, doctor_start: int) -> int:
    """A horizon above every reachable departure slot (no truncation at all)."""
    latest = max(int(doctor_start), int(np.max(tau + prep.max_offset)))
    return max(latest + int(prep.bhi.sum()), horizon(tau, prep, session_end))


def wait_pmfs_from_state(
    tau: np.ndarray, prep: Prepared, D: np.ndarray, LO: np.ndarray, HI: np.ndarray
) -> list[np.ndarray]:
    """Full PMF of each patient's wait ``W_k = (D_{k-1} - A_k)^+`` (needs untruncated rows)."""
    out = []
    for k in range(prep.n_patients):
        lo, hi = int(LO[k]), int(HI[k])
        row = np.zeros(max(hi + 1, 0))
        if hi >= lo:
            row[lo : hi + 1] = D[k, lo : hi + 1]
        cdf = np.cumsum(row)
        amin = int(tau[k] + prep.olo[k])
        top = max(hi - amin, 0)
        pmf = np.zeros(top + 1)
        for j in range(int(prep.olen[k])):
            q = float(prep.opmf[k, j])
            if q == 0.0:
                continue
            a = amin + j
            pmf[0] += q * (cdf[min(a, hi)] if a >= 0 and hi >= 0 else 0.0)
            x0 = max(a + 1, 0)
            if x0 <= hi:
                pmf[x0 - a : hi - a + 1] += q * row[x0 : hi + 1]
        out.append(pmf)
    return out
