"""The MIP's waiting curves per number of doctors on duty, from the one clinic-day model.

``f_c(l)`` = expected total waiting minutes (of the patients who come) in one bucket served by
``c`` doctors when the expected workload booked into the bucket is ``l`` minutes: ``n`` patients
of the day's demand-weighted consultation mix and no-show rate, booked as one evenly staggered
stream over the bucket. With one doctor (or per-doctor queues, where each doctor is a queue of
their own) this is the exact single-doctor curve (:func:`waiting_curve`, the De Vuyst recursion);
with ``c > 1`` doctors sharing one queue it is a clinic day of the one model
(:class:`~polyslot.day.spec.ClinicDay`: ``c`` sessions over the bucket, pooled
first-come-first-served) evaluated by the fast evaluator with common random numbers across
``n``, so the curve is smooth. Each curve is replaced by its lower convex hull, so the MIP's
waiting rows stay linear cuts.

A bucket with ``s`` doctors (fractional when a session starts or ends inside it) uses the curve of
``c = max(1, round(s))`` doctors (1 for per-doctor queues) scaled to ``s``:
``W >= gamma * (rho f_c(L / rho))`` with ``rho = s / c``, which for ``c = 1`` is the
one-doctor form ``s f_1(L / s)``. The pooled curves carry the model's whole-day doctor absences
(each of the ``c`` doctors absent with the weekday's rate, :attr:`ClinicModel.absence`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np

from polyslot.day import bucket_day
from polyslot.day.spec import Discipline
from polyslot.evaluation.clinic_day import evaluate_clinic_day
from polyslot.optimize.allocation_waiting import WaitingCurve, hull_curve, waiting_curve

__all__ = ["pooled_curve", "curves_for", "doctors_of", "CURVE_REPLICATIONS"]

#: Replications per point of a pooled curve (common random numbers across points).
CURVE_REPLICATIONS = 128
#: Most patients per doctor-bucket on a curve.
MAX_PER_DOCTOR = 60


def pooled_curve(
    service_pmf: np.ndarray,
    no_show: float,
    bucket_minutes: int,
    doctors: int,
    slot_minutes: float = 1.0,
    max_load_factor: float = 1.8,
    seed: int = 0,
    absence: tuple[float, float] = (0.0, 0.0),
) -> WaitingCurve:
    """Total waiting minutes of ``n`` patients staggered evenly over one bucket served by
    ``doctors`` doctors in one queue, for n = 0, 1, ... (lower convex hull); ``absence`` is
    (rate, share of an absent doctor's patients lost)."""
    if doctors <= 1:
        return waiting_curve(service_pmf, no_show, bucket_minutes, slot_minutes, max_load_factor)
    pmf = np.asarray(service_pmf, dtype=np.float64)
    pmf = pmf / pmf.sum()
    mean = float(np.dot(np.arange(pmf.size), pmf)) * slot_minutes
    per = max((1.0 - no_show) * mean, 1e-9)
    n_max = max(2, int(math.ceil(max_load_factor * doctors * bucket_minutes / per)))
    n_max = min(n_max, MAX_PER_DOCTOR * doctors)
    loads, waits, over = [0.0], [0.0], [0.0]
    # every patient count up to two per doctor, then every ``step``-th: the hull is linear
    # between its breakpoints anyway
    step = max(1, doctors // 3)
    first = set(range(1, min(n_max, 2 * doctors) + 1))
    counts = sorted(first | set(range(2 * doctors, n_max + 1, step)) | {n_max})
    for n in counts:
        day = bucket_day(pmf, no_show, bucket_minutes, doctors, n, int(slot_minutes), *absence)
        m = evaluate_clinic_day(
            day, seed=seed, method="simulation", replications=CURVE_REPLICATIONS
        )
        loads.append(n * per)
        waits.append(m.value("wait_mean") * m.value("patients_served"))
        over.append(m.value("overtime"))
    return hull_curve(loads, waits, over)


def doctors_of(servers: float, discipline: Discipline) -> int:
    """The curve (number of pooled doctors) a bucket with ``servers`` doctors uses."""
    if discipline is not Discipline.POOLED:
        return 1
    return max(1, int(round(servers)))


@functools.lru_cache(maxsize=64)
def _cached_curve(
    pmf: tuple[float, ...],
    no_show: float,
    bucket_minutes: int,
    doctors: int,
    slot_minutes: float,
    seed: int,
    absence: tuple[float, float],
) -> WaitingCurve:
    return pooled_curve(np.asarray(pmf), no_show, bucket_minutes, doctors, slot_minutes, seed=seed,
                        absence=absence)


def curves_for(
    service_pmf: np.ndarray,
    no_show: float,
    bucket_minutes: int,
    servers: tuple[float, ...],
    discipline: Discipline,
    slot_minutes: float = 1.0,
    seed: int = 0,
    absence: tuple[float, float] = (0.0, 0.0),
) -> Mapping[int, WaitingCurve]:
    """``{c: curve}`` for every doctor count the buckets of a weekday use (``absence``: the
    weekday's doctor absence rate and the share of an absent doctor's patients lost)."""
    counts = sorted({doctors_of(s, discipline) for s in servers if s > 0} or {1})
    pmf = tuple(float(p) for p in np.asarray(service_pmf, dtype=np.float64))
    # the frontier's points and the calibration rounds of a weekday ask for the same curves
    return {
        c: _cached_curve(pmf, float(no_show), int(bucket_minutes), c, float(slot_minutes),
                         int(seed), (round(float(absence[0]), 6), round(float(absence[1]), 6)))
        for c in counts
    }
