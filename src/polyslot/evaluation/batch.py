"""Many schedules at once (:func:`evaluate_batch`); incremental re-evaluation (:class:`Evaluator`).

Both prepare the service / no-show / offset arrays once. :class:`Evaluator` keeps the departure
PMFs of the last evaluated schedule; the state before patient k depends only on the first k
appointments, so after changing appointments from patient k on only patients k..K-1 are
recomputed (:meth:`Evaluator.evaluate_from`), about ``(K - k) / K`` of a full evaluation.
"""

from __future__ import annotations

import numpy as np

from polyslot.errors import InputError
from polyslot.evaluation import lindley
from polyslot.evaluation.api import ArrayResult, check_times, summarize
from polyslot.evaluation.prepare import Prepared, horizon, new_state, prepare, prepare_schedule

__all__ = ["BATCH_KEYS", "Evaluator", "evaluate_batch"]

_CORE = lindley.core if lindley.USE_NUMBA else lindley.core_numpy

BATCH_KEYS = (
    "total_wait_mean",
    "total_idle_mean",
    "idle_before_mean",
    "overtime_mean",
    "overtime_var",
    "idle_end_mean",
    "completion_mean",
)


def _batch_py(  # noqa: PLR0913
    taus, Hs, bpmf, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, no_show, L, ds, out,
    D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
):  # fmt: skip
    K = taus.shape[1]
    for n in range(taus.shape[0]):
        H = Hs[n]
        LO[0] = ds
        TOP[0] = ds
        ED[0] = ds
        VD[0] = 0.0
        if ds <= H:
            D[0, ds] = 1.0
            HI[0] = ds
        else:
            HI[0] = H
        _CORE(
            0, taus[n], bpmf, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, H, L,
            D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
        )  # fmt: skip
        tw = 0.0
        ib = 0.0
        for k in range(K):
            tw += (1.0 - no_show[k]) * pat[0, k]
            ib += pat[2, k]
        out[0, n] = tw
        out[1, n] = ib + sc[4]
        out[2, n] = ib
        out[3, n] = sc[2]
        out[4, n] = sc[3]
        out[5, n] = sc[4]
        out[6, n] = sc[0]


if lindley.USE_NUMBA:
    _batch_nb = lindley.numba.njit(cache=True, nogil=True)(_batch_py)
else:  # pragma: no cover
    _batch_nb = None


def evaluate_batch(
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray | None,
    session_end: int,
    doctor_start: int = 0,
    *,
    offsets: list | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate N candidate schedules of the same K patients.

    Parameters
    ----------
    appointments : (N, K) int array
        Row n = appointment slots of candidate n, in service order.
    service, no_show, session_end, doctor_start, offsets
        As in :func:`polyslot.evaluation.evaluate_arrays` (shared by all candidates).

    Returns
    -------
    dict of (N,) float arrays
        ``total_wait_mean`` (sum of (1 - p_k) E[W_k]), ``total_idle_mean`` (idle before
        patients plus idle at the end, i.e. all idle inside the session), ``idle_before_mean``,
        ``overtime_mean``, ``overtime_var``, ``idle_end_mean``, ``completion_mean``.
    """
    taus = np.atleast_2d(np.asarray(appointments))
    prep = prepare(service, no_show, offsets)
    if taus.shape[1] != prep.n_patients:
        raise InputError(
            f"has {taus.shape[1]} columns for {prep.n_patients} patients",
            field="appointments",
            value=taus.shape[1],
        )
    taus = check_times(taus, session_end, doctor_start).reshape(taus.shape)
    latest = np.max(taus + prep.max_offset[None, :], axis=1)
    Hs = np.maximum(np.maximum(latest, int(session_end)) - 1, 0).astype(np.int64)
    N, K = taus.shape
    out = np.empty((len(BATCH_KEYS), N))
    state = new_state(K, int(Hs.max(initial=0)), int(doctor_start), prep.brev.shape[1])
    args = (
        taus, Hs, *prep.kernel_args(), prep.no_show, int(session_end), int(doctor_start), out,
        *state,
    )  # fmt: skip
    (_batch_nb or _batch_py)(*args)
    return {key: out[i] for i, key in enumerate(BATCH_KEYS)}


class Evaluator:
    """Fast repeated evaluation of one set of K patients under changing appointments.

    Parameters
    ----------
    service : (K, S) float array
        Consultation-time PMFs (patients in service order).
    no_show : (K,) float array or None
    session_end, doctor_start : int
    offsets : list of (offsets, pmf) or None, optional
        Arrival-offset PMFs.

    Examples
    --------
    >>> ev = Evaluator(service, no_show, 480)           # doctest: +SKIP
    >>> r = ev.evaluate(tau)                             # full evaluation, state kept
    >>> tau2 = tau.copy(); tau2[12] += 3
    >>> r2 = ev.evaluate_from(12, tau2)                  # recomputes patients 12..K-1 only
    """

    def __init__(
        self,
        service: np.ndarray,
        no_show: np.ndarray | None,
        session_end: int,
        doctor_start: int = 0,
        *,
        offsets: list | None = None,
    ) -> None:
        self._init(prepare(service, no_show, offsets), session_end, doctor_start)

    @classmethod
    def from_schedule(cls, schedule) -> Evaluator:
        """An evaluator for the patients, session end and doctor arrival of a Schedule."""
        self = cls.__new__(cls)
        self._init(prepare_schedule(schedule), schedule.session_end, schedule.doctor_start)
        return self

    def _init(self, prep: Prepared, session_end: int, doctor_start: int) -> None:
        check_times(np.zeros(1, dtype=np.int64), session_end, doctor_start)
        self.prepared = prep
        self.session_end = int(session_end)
        self.doctor_start = int(doctor_start)
        self._args = prep.kernel_args()
        self._tau: np.ndarray | None = None
        self._H = -1
        self._state: tuple | None = None

    @property
    def n_patients(self) -> int:
        """Number of patients K."""
        return self.prepared.n_patients

    def _check(self, appointments: np.ndarray) -> np.ndarray:
        tau = np.asarray(appointments)
        if tau.dtype != np.int64 or tau.ndim != 1 or not tau.flags.c_contiguous:
            tau = check_times(tau, self.session_end, self.doctor_start)
        if tau.shape[0] != self.n_patients:
            raise InputError(
                f"has {tau.shape[0]} entries for {self.n_patients} patients",
                field="appointments",
                value=tau.shape[0],
            )
        return tau

    def evaluate(self, appointments: np.ndarray) -> ArrayResult:
        """Full evaluation; keeps the state for :meth:`evaluate_from`."""
        tau = self._check(appointments)
        H = horizon(tau, self.prepared, self.session_end)
        if self._state is None or H > self._H:
            self._H = H
            width = self.prepared.brev.shape[1]
            self._state = new_state(self.n_patients, H, self.doctor_start, width)
        return self._run(0, tau)

    def evaluate_from(self, k: int, appointments: np.ndarray) -> ArrayResult:
        """Re-evaluate after a change of appointments at index ``k`` (0-based) and later.

        ``appointments[:k]`` must equal those of the previous evaluation; if they do not,
        or nothing was evaluated yet, or the new schedule needs a longer horizon, this falls
        back to a full evaluation (results are identical either way).
        """
        tau = self._check(appointments)
        k = int(k)
        prev = self._tau
        if (
            self._state is None
            or prev is None
            or not 0 <= k <= self.n_patients
            or not np.array_equal(prev[:k], tau[:k])
            or horizon(tau, self.prepared, self.session_end) > self._H
        ):
            return self.evaluate(tau)
        return self._run(k, tau)

    def update(self, appointments: np.ndarray) -> ArrayResult:
        """Re-evaluate from the first appointment that differs from the previous evaluation."""
        tau = self._check(appointments)
        if self._tau is None:
            return self.evaluate(tau)
        diff = np.flatnonzero(self._tau != tau)
        return self.evaluate_from(int(diff[0]) if diff.size else self.n_patients, tau)

    def _run(self, k: int, tau: np.ndarray) -> ArrayResult:
        st = self._state
        lindley.run_core(k, tau, *self._args, self._H, self.session_end, *st)
        self._tau = tau.copy()
        return summarize(st[-2], st[-1], self.prepared.no_show)
