"""Many schedules at once (:func:`evaluate_batch`); incremental re-evaluation (:class:`Evaluator`).

Both prepare the service / no-show / offset arrays once. :class:`Evaluator` keeps the departure
PMFs of the last evaluated schedule; the state before patient k depends only on the first k
appointments, so after changing appointments from patient k on only patients k..K-1 are
recomputed (:meth:`Evaluator.evaluate_from`), about ``(K - k) / K`` of a full evaluation.
"""

from __future__ import annotations

import numpy as np

from polyslot.errors import InputError
from polyslot.evaluation import driver
from polyslot.evaluation.arrays import ArrayResult, check_times, summarize
from polyslot.evaluation.prepare import Prepared, new_state, prepare, prepare_schedule

__all__ = ["BATCH_KEYS", "Evaluator", "evaluate_batch"]

BATCH_KEYS = (
    "total_wait_mean",
    "total_idle_mean",
    "idle_before_mean",
    "overtime_mean",
    "overtime_var",
    "idle_end_mean",
    "completion_mean",
)


def evaluate_batch(
    appointments: np.ndarray,
    service: np.ndarray,
    no_show: np.ndarray | None,
    session_end: int,
    doctor_start: int = 0,
    *,
    offsets: list | None = None,
    workers: int = 1,
    per_patient: bool = False,
) -> dict[str, np.ndarray]:
    """Evaluate N candidate schedules of the same K patients.

    Parameters
    ----------
    appointments : (N, K) int array
        Row n = appointment slots of candidate n, in service order.
    service, no_show, session_end, doctor_start, offsets
        As in :func:`polyslot.evaluation.evaluate_arrays` (shared by all candidates).
    workers : int
        Threads to split the rows over (the compiled loop releases the GIL); 1 = this thread.
    per_patient : bool
        Also return ``wait_mean``, ``wait_var``, ``idle_mean``, ``idle_var`` as (N, K) arrays.

    Returns
    -------
    dict of (N,) float arrays
        ``total_wait_mean`` (sum of (1 - p_k) E[W_k]), ``total_idle_mean`` (idle before
        patients plus idle at the end, i.e. all idle inside the session), ``idle_before_mean``,
        ``overtime_mean``, ``overtime_var``, ``idle_end_mean``, ``completion_mean``.
    """
    taus: np.ndarray = np.atleast_2d(np.asarray(appointments))
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
    N, K = np.shape(taus)
    H = int(Hs.max(initial=0))

    def run(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = np.empty((len(BATCH_KEYS), rows.shape[0]))
        pout = np.empty((rows.shape[0] if per_patient else 0, 4, K))
        state = new_state(K, H, int(doctor_start), prep.brev.shape[1])
        prev = np.empty(K, dtype=np.int64)
        args = (*prep.kernel_args(), prep.no_show, int(session_end), int(doctor_start))
        driver.batch(rows, *args, out, pout, prev, *state)
        return out, pout

    workers = max(1, min(int(workers), N))
    if workers == 1:
        out, pout = run(taus)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(run, np.array_split(taus, workers)))
        out = np.concatenate([o for o, _ in parts], axis=1)
        pout = np.concatenate([p for _, p in parts], axis=0)
    result = {key: out[i] for i, key in enumerate(BATCH_KEYS)}
    if per_patient:
        for i, key in enumerate(("wait_mean", "wait_var", "idle_mean", "idle_var")):
            result[key] = np.ascontiguousarray(pout[:, i, :])
    return result


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
        self._args = (*prep.kernel_args(), prep.no_show, self.session_end, self.doctor_start)
        self._prev = np.empty(prep.n_patients, dtype=np.int64)
        self._valid = False
        self._state = self._alloc(max(self.session_end - 1, 0))

    def _alloc(self, H: int) -> tuple:
        return new_state(self.n_patients, H, self.doctor_start, self.prepared.brev.shape[1])

    @property
    def n_patients(self) -> int:
        """Number of patients K."""
        return self.prepared.n_patients

    def _check(self, appointments: np.ndarray) -> np.ndarray:
        tau = appointments
        if (
            type(tau) is not np.ndarray
            or tau.dtype != np.int64
            or tau.ndim != 1
            or not tau.flags.c_contiguous
        ):
            tau = check_times(tau, self.session_end, self.doctor_start)
        if tau.shape[0] != self.n_patients:
            raise InputError(
                f"has {tau.shape[0]} entries for {self.n_patients} patients",
                field="appointments",
                value=tau.shape[0],
            )
        return tau

    def evaluate(self, appointments: np.ndarray) -> ArrayResult:
        """Full evaluation of ``appointments`` ((K,) int64, service order); keeps the state."""
        return self._run(0, self._check(appointments))

    def evaluate_from(self, k: int, appointments: np.ndarray) -> ArrayResult:
        """Re-evaluate after a change of appointments at index ``k`` (0-based) and later.

        Only patients ``k..K-1`` are recomputed. If ``appointments[:k]`` differ from the
        previous evaluation, the recursion restarts at the first difference instead; if nothing
        was evaluated yet, from 0. Results equal a full evaluation in every case.
        """
        return self._run(int(k), self._check(appointments))

    def update(self, appointments: np.ndarray) -> ArrayResult:
        """Re-evaluate from the first appointment that differs from the previous evaluation."""
        return self._run(self.n_patients, self._check(appointments))

    def evaluate_suffixes(
        self, k: int, appointments: np.ndarray, tails: np.ndarray, *, per_patient: bool = False
    ) -> dict[str, np.ndarray]:
        """Evaluate many candidates that share ``appointments[:k]`` and differ from ``k`` on.

        Parameters
        ----------
        k : int
            First patient (0-based) whose appointment varies.
        appointments : (K,) int array
            Supplies the shared prefix ``appointments[:k]`` (the rest is ignored).
        tails : (N, K - k) int array
            Candidate appointments of patients ``k..K-1``.
        per_patient : bool
            Also return (N, K) ``wait_mean``, ``wait_var``, ``idle_mean``, ``idle_var``.

        Returns
        -------
        dict
            The keys of :func:`evaluate_batch`. The prefix is computed once (or reused from the
            previous evaluation); each candidate costs about ``(K - k) / K`` of a full one.
            Afterwards the evaluator's state is that of the last candidate.
        """
        tau = self._check(appointments).copy()
        K = self.n_patients
        k = int(k)
        if not 0 <= k <= K:
            raise InputError(f"must be in 0..{K}", field="k", value=k)
        tails = np.ascontiguousarray(np.atleast_2d(tails))
        if tails.shape[1] != K - k:
            raise InputError(
                f"needs {K - k} columns for patients {k}..{K - 1}", field="tails", value=tails.shape
            )
        if tails.size:
            tails = check_times(tails, self.session_end, self.doctor_start).reshape(tails.shape)
        else:
            tails = np.zeros(tails.shape, dtype=np.int64)
        N = np.shape(tails)[0]
        prep = self.prepared
        need = self.session_end
        if N:
            need = max(need, int((tails + prep.max_offset[None, k:]).max(initial=0)))
        if k:
            need = max(need, int((tau[:k] + prep.max_offset[:k]).max()))
        if need - 1 > self._state[0].shape[1] - 9:
            self._state = self._alloc(need - 1)
            self._valid = False
        if not self._valid:
            self._run(0, tau)
        out = np.empty((len(BATCH_KEYS), N))
        pout = np.empty((N if per_patient else 0, 4, K))
        self._valid = False
        done = driver.suffixes(k, tau, tails, *self._args, out, pout, self._prev, *self._state)
        if done != N:  # pragma: no cover - the state was sized above
            raise RuntimeError("evaluation horizon too small")
        self._valid = True
        result = {key: out[i] for i, key in enumerate(BATCH_KEYS)}
        if per_patient:
            for i, key in enumerate(("wait_mean", "wait_var", "idle_mean", "idle_var")):
                result[key] = np.ascontiguousarray(pout[:, i, :])
        return result

    def _run(self, k: int, tau: np.ndarray) -> ArrayResult:
        if not self._valid:
            k = 0
        self._valid = False
        st = self._state
        r = driver.entry(k, tau, self._prev, *self._args, *st)
        if r < 0:  # the horizon grew (appointments after the session end): reallocate
            self._state = st = self._alloc(-r - 1)
            r = driver.entry(0, tau, self._prev, *self._args, *st)
        self._valid = True
        return summarize(st[-2], st[-1])
