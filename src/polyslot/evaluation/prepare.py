"""Turn per-patient service PMFs, no-show probabilities and arrival offsets into kernel arrays.

The effective consultation time of patient ``k`` is ``B_k = 0`` with probability ``p_k`` and
``B_k ~ service[k]`` otherwise, so its PMF is ``p_k * delta_0 + (1 - p_k) * service[k]``.
The kernel loops only over the support ``[blo, bhi]`` of that PMF and skips zero entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from polyslot.errors import InputError

__all__ = ["Prepared", "prepare", "horizon", "new_state", "prepare_schedule", "MAX_STATE_CELLS"]

#: Largest state (patients x horizon slots) allocated, ~2 GB of float64.
MAX_STATE_CELLS = 250_000_000


@dataclass(frozen=True, eq=False)
class Prepared:
    """Kernel-ready arrays for K patients (see :func:`prepare`)."""

    bpmf: np.ndarray  # (K, S) effective service PMF incl. no-show
    brev: np.ndarray  # (K, S) reversed support: brev[k, i] = bpmf[k, bhi[k] - i]
    blo: np.ndarray  # (K,) first slot with positive mass
    bhi: np.ndarray  # (K,) last slot with positive mass
    bmean: np.ndarray  # (K,) E[B_k] incl. no-show (0 for a no-show)
    bvar: np.ndarray  # (K,) Var B_k incl. no-show
    olo: np.ndarray  # (K,) smallest arrival offset
    opmf: np.ndarray  # (K, O) offset PMF, opmf[k, j] = P(offset = olo[k] + j)
    olen: np.ndarray  # (K,) number of offset values
    omean: np.ndarray  # (K,) E[offset]
    ovar: np.ndarray  # (K,) Var offset
    no_show: np.ndarray  # (K,)
    service_mean: np.ndarray  # (K,) E[B_k | comes]

    @property
    def n_patients(self) -> int:
        """Number of patients K."""
        return int(self.bpmf.shape[0])

    @cached_property
    def max_offset(self) -> np.ndarray:
        """Largest arrival offset of each patient (int64, (K,))."""
        return self.olo + self.olen - 1

    def kernel_args(self) -> tuple:
        """The service/offset arguments of :func:`polyslot.evaluation.lindley.core`, in order."""
        return (
            self.brev, self.blo, self.bhi, self.bmean, self.bvar,
            self.olo, self.opmf, self.olen, self.omean, self.ovar,
        )  # fmt: skip


def prepare(
    service: np.ndarray,
    no_show: np.ndarray | None = None,
    offsets: Sequence[tuple[Any, Any] | None] | None = None,
) -> Prepared:
    """Build :class:`Prepared` arrays.

    Parameters
    ----------
    service : (K, S) float array
        Row ``k`` is the consultation-time PMF (slots 0..S-1) of patient k if they come.
    no_show : (K,) float array, optional
        No-show probabilities (default 0).
    offsets : list of (offsets, pmf) per patient, or None for all punctual
        Integer arrival offsets in slots (negative = early) and their probabilities; an entry
        may be None for a punctual patient.
    """
    service = np.atleast_2d(np.asarray(service, dtype=np.float64))
    K, S = service.shape
    if K == 0 or S == 0:
        raise InputError("needs at least one patient and one slot", field="service", value=K)
    if not np.all(np.isfinite(service)) or np.any(service < 0):
        raise InputError("must be finite and >= 0", field="service", value="negative/non-finite")
    sums = service.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > 1e-6):
        k = int(np.argmax(np.abs(sums - 1.0)))
        raise InputError(f"row {k} sums to {sums[k]!r}", field="service", value=float(sums[k]))
    p = np.zeros(K) if no_show is None else np.asarray(no_show, dtype=np.float64).reshape(K)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise InputError("must be probabilities in [0, 1]", field="no_show", value=p.tolist())
    service = service / sums[:, None]
    bpmf = np.ascontiguousarray(service * (1.0 - p)[:, None])
    bpmf[:, 0] += p
    slots = np.arange(S, dtype=np.float64)
    pos = bpmf > 0
    blo = np.argmax(pos, axis=1).astype(np.int64)
    bhi = (S - 1 - np.argmax(pos[:, ::-1], axis=1)).astype(np.int64)
    bmean = bpmf @ slots
    bvar = np.maximum(bpmf @ (slots * slots) - bmean * bmean, 0.0)
    service_mean = service @ slots
    idx = bhi[:, None] - np.arange(S)[None, :]
    brev = np.where(idx >= blo[:, None], np.take_along_axis(bpmf, np.maximum(idx, 0), 1), 0.0)

    olo = np.zeros(K, dtype=np.int64)
    olen = np.ones(K, dtype=np.int64)
    rows: list[np.ndarray] = [np.ones(1)] * K
    if offsets is None or all(entry is None for entry in offsets):
        zeros = np.zeros(K)
        return Prepared(
            bpmf, brev, blo, bhi, bmean, bvar, olo, np.ones((K, 1)), olen, zeros, zeros.copy(),
            p, service_mean,
        )  # fmt: skip
    if len(offsets) != K:
        raise InputError(f"needs {K} entries", field="offsets", value=len(offsets))
    omean = np.zeros(K)
    ovar = np.zeros(K)
    # patients sharing one offset PMF (the same objects) share its dense row and moments
    done: dict[tuple[int, int], tuple[int, int, np.ndarray, float, float]] = {}
    for k, entry in enumerate(offsets):
        if entry is None:
            continue
        key = (id(entry[0]), id(entry[1]))
        hit = done.get(key)
        if hit is None:
            hit = _offset_row(entry)
            done[key] = hit
        olo[k], olen[k], rows[k], omean[k], ovar[k] = hit
    opmf = np.zeros((K, int(olen.max())))
    for k in range(K):
        opmf[k, : olen[k]] = rows[k]
    return Prepared(
        bpmf, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, p,
        service_mean,
    )  # fmt: skip


def _offset_row(entry) -> tuple[int, int, np.ndarray, float, float]:
    """Smallest offset, length, dense PMF row, mean and variance of one ``(offsets, pmf)``."""
    offs, probs = (np.asarray(v) for v in entry)
    offs = offs.astype(np.int64)
    lo = int(offs.min())
    dense = np.zeros(int(offs.max()) - lo + 1)
    np.add.at(dense, offs - lo, np.asarray(probs, dtype=np.float64))
    dense /= dense.sum()
    nz = np.flatnonzero(dense)
    dense = dense[nz[0] : nz[-1] + 1]
    first = lo + int(nz[0])
    v = first + np.arange(dense.size, dtype=np.float64)
    mean = float(dense @ v)
    return first, int(dense.size), dense, mean, max(float(dense @ (v * v)) - mean**2, 0.0)


def prepare_schedule(schedule) -> Prepared:
    """:class:`Prepared` arrays of a :class:`polyslot.schedule.Schedule` (cached by content:
    see :mod:`polyslot.evaluation.prepcache`)."""
    from polyslot.evaluation.prepcache import cached_prepare

    return cached_prepare(schedule, _prepare_schedule)


def _prepare_schedule(schedule) -> Prepared:
    pats = schedule.patients
    S = max(len(p.service) for p in pats)
    service = np.zeros((len(pats), S))
    first: dict[int, int] = {}  # patients sharing one service tuple: convert it once
    for k, p in enumerate(pats):
        j = first.setdefault(id(p.service), k)
        if j == k:
            service[k, : len(p.service)] = p.service
        else:
            service[k] = service[j]
    offsets = [
        None if p.punctuality is None else (p.punctuality.offsets, p.punctuality.pmf) for p in pats
    ]
    return prepare(service, np.array([p.no_show for p in pats], dtype=np.float64), offsets)


def horizon(tau: np.ndarray, prep: Prepared, session_end: int) -> int:
    """Absolute horizon H: the departure PMFs are needed only on slots ``0..H``."""
    latest = int(np.max(tau + prep.max_offset)) if len(tau) else 0
    return max(int(session_end), latest) - 1 if max(int(session_end), latest) > 0 else 0


def new_state(K: int, H: int, doctor_start: int, width: int):
    """Allocate ``(D, LO, HI, TOP, ED, VD, sbuf, pat, sc)``, row 0 = the doctor's arrival.

    ``TOP[k]`` is the largest reachable value of row k (not capped at H).

    ``width`` is the service PMF width S (``Prepared.brev.shape[1]``).
    """
    H = max(int(H), 0)
    if (K + 1) * (H + 9) > MAX_STATE_CELLS:
        raise InputError(
            f"needs a horizon of {H} slots for {K} patients (over {MAX_STATE_CELLS:,} cells); "
            "check the appointment slots and session end",
            field="appointments",
            value=H,
        )
    D = np.empty((K + 1, H + 9))
    LO = np.empty(K + 1, dtype=np.int64)
    HI = np.empty(K + 1, dtype=np.int64)
    TOP = np.empty(K + 1, dtype=np.int64)
    TOP[0] = doctor_start
    ED = np.empty(K + 1)
    VD = np.empty(K + 1)
    LO[0] = doctor_start
    if doctor_start <= H:
        D[0, doctor_start] = 1.0
        HI[0] = doctor_start
    else:
        HI[0] = H
    ED[0] = float(doctor_start)
    VD[0] = 0.0
    sbuf = np.zeros(H + 2 * width + 16)
    return D, LO, HI, TOP, ED, VD, sbuf, np.empty((4, K)), np.empty(8)
