"""Many sessions at once: a clinic day's exact evaluation and its pooled wait quantile.

:func:`evaluate_many` evaluates a list of :class:`~polyslot.schedule.Schedule` (the doctor
sessions of a day) with the cached preparation of :mod:`polyslot.evaluation.prepcache`. With
``cdf_margin`` it also reads each patient's wait CDF off the departure PMFs: the kernel keeps
``D_{k-1}`` exactly on slots ``0..H``, and ``P(W_k <= w) = sum_a P(A_k = a) P(D_{k-1} <= a + w)``
needs ``D_{k-1}`` only up to ``max a + w``, so the CDF is exact for every ``w`` with
``max a + w <= H`` (and for every ``w`` when ``D_{k-1}`` cannot reach past ``H``). A horizon
``margin`` slots beyond the usual one therefore gives the wait CDFs up to about ``margin``
slots, at a fraction of the cost of the untruncated PMFs (``evaluate(..., wait_pmfs=True)``).
Means and variances do not depend on the horizon (bit-identical).

:func:`pooled_wait_quantile` is the quantile of the wait of a random patient who comes, pooled
over every patient of the given evaluations (weights ``1 - p_k``), the same definition as
:func:`polyslot.evaluation.template_kpis.p90_wait` for one session; :func:`evaluate_day` widens the
margin until that quantile is inside the exactly known range (the last resort is no truncation
at all), so the value is exact.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from polyslot.errors import InputError
from polyslot.evaluation import lindley
from polyslot.evaluation.api import evaluation_from_state, run_state
from polyslot.evaluation.envelope import full_horizon
from polyslot.evaluation.prepare import Prepared, horizon, prepare_schedule
from polyslot.evaluation.prepcache import schedule_key
from polyslot.evaluation.result import Evaluation
from polyslot.schedule import Schedule

__all__ = ["evaluate_many", "evaluate_day", "pooled_wait_quantile", "wait_cdfs_from_state"]

#: Margins (slots beyond the usual horizon) tried by :func:`evaluate_day` before no truncation.
MARGINS = (120, 480)


def _cdf_rows_py(amin, olen, opmf, D, LO, HI, H, lens, out, cbuf):  # noqa: PLR0913
    """Fill ``out[k, :lens[k]]`` with ``sum_j opmf[k, j] P(D_{k-1} <= amin[k] + j + w)``."""
    K = amin.shape[0]
    for k in range(K):
        n = lens[k]
        if n <= 0:
            continue
        m = olen[k]
        a0 = amin[k]
        top = a0 + m + n - 2
        lo = LO[k]
        hi = min(HI[k], H)
        acc = 0.0
        for x in range(0, top + 1):
            if lo <= x <= hi:
                acc += D[k, x]
            cbuf[x] = acc
        for w in range(n):
            s = 0.0
            for j in range(m):
                x = a0 + j + w
                if x >= 0:
                    s += opmf[k, j] * cbuf[x]
            out[k, w] = s


_cdf_rows = lindley.numba.njit(cache=True, nogil=True)(_cdf_rows_py) if lindley.USE_NUMBA else None


def wait_cdfs_from_state(
    tau: np.ndarray,
    prep: Prepared,
    D: np.ndarray,
    LO: np.ndarray,
    HI: np.ndarray,
    TOP: np.ndarray,
    H: int,
) -> list[np.ndarray]:
    """Exact ``P(W_k <= w)`` of every patient for the ``w`` the horizon ``H`` covers.

    A patient whose ``D_{k-1}`` cannot exceed ``H`` gets the CDF up to the point where it
    reaches its total mass (it stays there for every larger ``w``).
    """
    K = prep.n_patients
    amin = (tau + prep.olo).astype(np.int64)
    amax = amin + prep.olen - 1
    top = TOP[:K]
    lens = np.maximum(H - amax + 1, 0)
    lens = np.where(top <= H, np.maximum(np.maximum(lens, top - amin + 1), 1), lens)
    lens = lens.astype(np.int64)
    if _cdf_rows is not None:
        out = np.zeros((K, max(int(lens.max()), 1)))
        cbuf = np.zeros(max(int((amax + lens).max()), 1) + 1)
        _cdf_rows(amin, prep.olen, prep.opmf, D, LO, HI, int(H), lens, out, cbuf)
        return [out[k, : lens[k]] for k in range(K)]
    return [_cdf_row_numpy(k, amin, lens, prep, D, LO, HI, H) for k in range(K)]


def _cdf_row_numpy(k, amin, lens, prep, D, LO, HI, H) -> np.ndarray:
    """One patient's wait CDF with numpy (the fallback without numba; same values)."""
    n, a0, n_off = int(lens[k]), int(amin[k]), int(prep.olen[k])
    if n <= 0:
        return np.zeros(0)
    lo, hi = int(LO[k]), min(int(HI[k]), H)
    top = a0 + n_off + n - 2
    pad = max(0, -a0)
    c = np.zeros(pad + top + 1)
    if hi >= lo:
        stop = min(hi, top)
        c[pad + lo : pad + stop + 1] = D[k, lo : stop + 1]
    c = np.cumsum(c)
    window = c[pad + a0 : pad + a0 + n + n_off - 1]
    return np.correlate(window, prep.opmf[k, :n_off], mode="valid")


def _evaluate(schedule: Schedule, margin: int | None, keep: list | None = None) -> Evaluation:
    """One schedule; ``keep`` receives ``(tau, prep, D, LO, HI, TOP, H)`` when given."""
    if not isinstance(schedule, Schedule):
        raise InputError("must be a polyslot.schedule.Schedule", field="schedule", value=schedule)
    prep = prepare_schedule(schedule)
    tau = schedule.appointments
    L, ds = int(schedule.session_end), int(schedule.doctor_start)
    H = horizon(tau, prep, L)
    if margin is not None:
        H = full_horizon(tau, prep, L, ds) if margin < 0 else H + int(margin)
    D, LO, HI, TOP, _, _, _, pat, sc = run_state(tau, prep, L, ds, H)
    cdfs = None
    if keep is not None:
        keep.append((tau, prep, D, LO, HI, TOP, H))
    elif margin is not None:
        cdfs = wait_cdfs_from_state(tau, prep, D, LO, HI, TOP, H)
    return evaluation_from_state(tau, prep, L, ds, pat, sc, wait_cdf=cdfs)


def evaluate_many(
    schedules: Sequence[Schedule], *, cdf_margin: int | None = None
) -> list[Evaluation]:
    """Exact evaluation of every schedule (same numbers as :func:`evaluate` on each).

    Parameters
    ----------
    schedules : sequence of Schedule
        E.g. the doctor sessions of one clinic day.
    cdf_margin : int, optional
        Also return ``Evaluation.wait_cdf``, exact for waits up to about ``cdf_margin`` slots
        (``-1``: no truncation, complete CDFs).
    """
    return [_evaluate(s, cdf_margin) for s in schedules]


def pooled_wait_quantile(evaluations: Sequence[Evaluation], q: float = 0.9) -> float | None:
    """``q``-quantile (slots) of the wait of a random patient who comes, over all patients.

    Needs ``wait_cdf`` (:func:`evaluate_many` with ``cdf_margin``). Returns None when the
    quantile lies beyond the range every CDF covers exactly (evaluate with a larger margin).
    """
    weights: list[float] = []
    cdfs: list[np.ndarray] = []
    for ev in evaluations:
        if ev.wait_cdf is None:
            raise InputError("evaluate with cdf_margin", field="wait_cdf", value=None)
        weights.extend((1.0 - ev.no_show).tolist())
        cdfs.extend(ev.wait_cdf)
    w = np.asarray(weights)
    total = float(w.sum())
    if total <= 0:
        return 0.0
    n = min(len(c) for c in cdfs)
    if n == 0:
        return None
    mix = w @ np.stack([c[:n] for c in cdfs]) / total
    idx = int(np.searchsorted(mix, q - 1e-12))
    return float(idx) if idx < n else None


def _cum_rows_py(D, LO, HI, H, C):
    """``C[k, x] = P(D_k <= x)`` for ``x = 0..H`` from the kernel's departure windows."""
    for k in range(C.shape[0]):
        lo = LO[k]
        hi = min(HI[k], H)
        acc = 0.0
        for x in range(C.shape[1]):
            if lo <= x <= hi:
                acc += D[k, x]
            C[k, x] = acc


def _mix_at_py(w, amin, olen, opmf, C, weights):
    """``sum_k weights[k] P(W_k <= w)`` (every needed ``C`` entry must be exact)."""
    last = C.shape[1] - 1
    total = 0.0
    for k in range(amin.shape[0]):
        s = 0.0
        for j in range(olen[k]):
            x = amin[k] + j + w
            if x >= 0:
                s += opmf[k, j] * C[k, min(x, last)]
        total += weights[k] * s
    return total


if lindley.USE_NUMBA:
    _cum_rows = lindley.numba.njit(cache=True, nogil=True)(_cum_rows_py)
    _mix_at = lindley.numba.njit(cache=True, nogil=True)(_mix_at_py)


def _part(kept: tuple, weights: np.ndarray) -> tuple[tuple, int | None]:
    """What the bisection needs of one session: the arguments of ``_mix_at`` (with the
    cumulative departure rows) and how many waits ``w = 0..n-1`` are exactly known (None: all)."""
    tau, prep, D, LO, HI, TOP, H = kept
    K = prep.n_patients
    C = np.empty((K, H + 1))
    _cum_rows(D, LO, HI, int(H), C)
    amin = (tau + prep.olo).astype(np.int64)
    incomplete = TOP[:K] > H
    known = None
    if incomplete.any():
        known = int((H - (amin + prep.olen - 1))[incomplete].min()) + 1
    return (amin, prep.olen, prep.opmf, C, weights), known


def _search(parts: list[tuple[tuple, int | None]], q: float) -> float | None:
    """Smallest exactly known ``w`` whose pooled CDF reaches ``q`` (bisection), else None."""
    knowns = [n for _, n in parts if n is not None]
    total = float(sum(p[4].sum() for p, _ in parts))
    if total <= 0:
        return 0.0

    def cdf(x: int) -> float:
        return sum(_mix_at(x, *p) for p, _ in parts) / total

    if not knowns:  # every row complete: grow until the CDF reaches q
        hi = 1
        while cdf(hi) < q - 1e-12:
            hi *= 2
    else:
        hi = min(knowns) - 1
        if hi < 0 or cdf(hi) < q - 1e-12:
            return None
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf(mid) >= q - 1e-12:
            hi = mid
        else:
            lo = mid + 1
    return float(lo)


_DAY_CACHE: OrderedDict[tuple, tuple[Evaluation, tuple[tuple, int | None]]] = OrderedDict()
_DAY_LOCK = threading.Lock()
#: Sessions whose day evaluation :func:`evaluate_day` keeps (an edit re-evaluates one session).
MAX_CACHED_SESSIONS = 256


def _frozen(ev: Evaluation) -> Evaluation:
    for arr in (ev.appointment, ev.no_show, ev.wait_mean, ev.wait_var, ev.idle_mean, ev.idle_var):
        arr.setflags(write=False)
    return ev


def _day_session(schedule: Schedule, margin: int) -> tuple[Evaluation, tuple[tuple, int | None]]:
    """One session of :func:`evaluate_day`, from the cache when the same patients at the same
    times were evaluated with the same margin before."""
    key = None
    patients = schedule_key(schedule) if isinstance(schedule, Schedule) else None
    if patients is not None:
        key = (
            patients,
            schedule.appointments.tobytes(),
            int(schedule.session_end),
            int(schedule.doctor_start),
            margin,
        )
        with _DAY_LOCK:
            hit = _DAY_CACHE.get(key)
            if hit is not None:
                _DAY_CACHE.move_to_end(key)
                return hit
    kept: list = []
    ev = _frozen(_evaluate(schedule, margin, kept))
    item = (ev, _part(kept[0], 1.0 - ev.no_show))
    if key is not None:
        with _DAY_LOCK:
            _DAY_CACHE[key] = item
            while len(_DAY_CACHE) > MAX_CACHED_SESSIONS:
                _DAY_CACHE.popitem(last=False)
    return item


def evaluate_day(schedules: Sequence[Schedule], q: float = 0.9) -> tuple[list[Evaluation], float]:
    """:func:`evaluate_many` plus the exact pooled ``q``-quantile of the wait (slots).

    Tries the margins of :data:`MARGINS`, then no truncation, until the quantile is exactly
    known. With numba the quantile is found by bisection on the pooled CDF (a few evaluations
    of it instead of every CDF value), and each session's evaluation is kept (keyed by its
    patients, times and margin; :data:`MAX_CACHED_SESSIONS`), so after an edit only the changed
    sessions are evaluated again; the returned evaluations are then shared and read-only.
    Without numba, from :func:`pooled_wait_quantile`.
    """
    if not schedules:
        return [], 0.0
    for margin in (*MARGINS, -1):
        if not lindley.USE_NUMBA:
            evals = evaluate_many(schedules, cdf_margin=margin)
            value = pooled_wait_quantile(evals, q)
        else:
            items = [_day_session(s, margin) for s in schedules]
            evals = [ev for ev, _ in items]
            value = _search([part for _, part in items], q)
        if value is not None:
            return evals, value
    raise AssertionError("complete CDFs always give the quantile")  # pragma: no cover
