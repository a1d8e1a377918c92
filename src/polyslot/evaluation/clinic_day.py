"""evaluate_clinic_day: the one fast evaluator of a ClinicDay, every KPI with its precision.

* **Exact** when the day is a set of independent single-doctor queues in appointment order
  (:attr:`ClinicDay.exact_tractable`: no walk-ins, punctual patients, one doctor at a time or
  per-doctor queues): every session is evaluated by the De Vuyst-Bruneel-Fiems recursion
  (:mod:`polyslot.evaluation.lindley`); standard errors are 0.
* **Simulated** otherwise: replications of the compiled clinic day
  (:mod:`polyslot.evaluation.daysim_kernel`) with counter-based common random numbers, in
  batches until the standard error of the mean wait is at most ``rel_se`` of it (or ``abs_se``
  minutes), every KPI with its standard error. Replications come in antithetic pairs (the
  second of a pair uses ``1 - u`` for every draw of the first): the standard errors are those of
  the pairs' means, the independent observations. Two days evaluated with the same seed are
  paired replication by replication (:func:`paired_difference`).

KPIs (per day; minutes, patients): ``wait_mean`` (mean wait of the patients seen, the ratio of
total wait to patients seen), ``wait_p90`` (the day's 90th-percentile wait, averaged over the
days, as the history measures it; for an exactly evaluated day the 90th percentile of the wait of
a random patient seen, a day's own percentile having no exact form), ``wait_p90_pooled`` (the
90th percentile of the wait of a random patient seen, pooled over the days),
``utilization`` (consultation minutes / rostered doctor-minutes), ``overtime`` (doctor-minutes
worked after the sessions' ends, summed over the doctors), ``clinic_overtime`` (the last
consultation's end after the last session's end), ``idle`` (rostered doctor-minutes without
consultation), ``patients_served``, ``walk_ins_seen``, ``unseen``, ``booked`` (slots booked and
kept), ``unmet_demand`` (expected requests beyond the slots, from the day's requests).
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyslot.day.spec import ClinicDay, Discipline
from polyslot.distributions import expected_unmet
from polyslot.errors import InputError
from polyslot.evaluation import daysim_kernel as k
from polyslot.evaluation.many import evaluate_day
from polyslot.schedule import PatientSpec, Schedule

__all__ = [
    "Estimate",
    "DayMetrics",
    "KPI_KEYS",
    "evaluate_clinic_day",
    "paired_difference",
    "day_schedules",
    "DEFAULT_REL_SE",
]

#: Default precision target: standard error of the mean wait at most 1% of it.
DEFAULT_REL_SE = 0.01
#: ... or at most this many minutes (short waits).
DEFAULT_ABS_SE = 0.05
#: Replications per batch (the unit of the stopping rule and of the p90's standard error).
BATCH = k.HIST_BATCH

#: The KPIs of a :class:`DayMetrics`, in display order.
KPI_KEYS = (
    "wait_mean",
    "wait_p90",
    "wait_p90_pooled",
    "utilization",
    "overtime",
    "clinic_overtime",
    "idle",
    "patients_served",
    "walk_ins_seen",
    "unseen",
    "booked",
    "unmet_demand",
)


@dataclass(frozen=True)
class Estimate:
    """A KPI's value and its standard error (0 when exact)."""

    mean: float
    se: float = 0.0

    @property
    def ci(self) -> tuple[float, float]:
        """95% normal interval."""
        half = 1.959963984540054 * self.se
        return self.mean - half, self.mean + half

    def to_dict(self, digits: int = 6) -> dict[str, float]:
        """``{"mean", "se"}`` rounded."""
        return {"mean": round(self.mean, digits), "se": round(self.se, digits)}


@dataclass(frozen=True)
class DayMetrics:
    """KPIs of one ClinicDay.

    ``per_rep`` holds one value per antithetic pair of replications (the pair's mean) of the
    day-level totals (``wait_total``,
    ``patients_seen``, ``busy``, ``duty``, ``idle``, ``overtime``, ``doctor_overtime`` ...) for
    paired comparisons; empty for an exact evaluation. ``by_hour`` is the mean wait by hour of
    the appointment (walk-ins: of their arrival). ``records`` (optional) are per-patient records
    of the first replications.
    """

    method: str
    replications: int
    seed: int
    kpis: Mapping[str, Estimate]
    per_rep: Mapping[str, np.ndarray] = field(default_factory=dict)
    by_hour: Mapping[int, float] = field(default_factory=dict)
    records: Any = None

    def __getitem__(self, key: str) -> Estimate:
        return self.kpis[key]

    def value(self, key: str) -> float:
        """The mean of KPI ``key``."""
        return self.kpis[key].mean

    def to_dict(self, digits: int = 6) -> dict[str, Any]:
        """JSON-ready: method, replications and ``{kpi: {"mean", "se"}}``."""
        return {
            "method": self.method,
            "replications": self.replications,
            "kpis": {key: self.kpis[key].to_dict(digits) for key in KPI_KEYS if key in self.kpis},
        }


# -- packing a day into arrays -------------------------------------------------------------------
@dataclass(frozen=True)
class _Packed:
    start: np.ndarray
    end: np.ndarray
    slot_minute: np.ndarray
    slot_session: np.ndarray
    slot_vt: np.ndarray
    slot_book: np.ndarray
    slot_kept: np.ndarray
    slot_show: np.ndarray
    svc_cdf: np.ndarray
    svc_len: np.ndarray
    off_val: np.ndarray
    off_cdf: np.ndarray
    off_len: np.ndarray
    w_hour: np.ndarray
    w_rate: np.ndarray
    w_vt: np.ndarray
    max_patients: int
    names: tuple[str, ...]
    doc_group: np.ndarray


def _pack(day: ClinicDay) -> _Packed:
    names = tuple(v.name for v in day.visit_types)
    index = {n: i for i, n in enumerate(names)}
    nv = max(len(names), 1)
    smax = max((len(v.service_pmf) for v in day.visit_types), default=1)
    omax = max((len(v.punctuality_pmf) for v in day.visit_types), default=1)
    svc_cdf = np.ones((nv, smax))
    svc_len = np.ones(nv, dtype=np.int64)
    off_val = np.zeros((nv, omax))
    off_cdf = np.ones((nv, omax))
    off_len = np.ones(nv, dtype=np.int64)
    for i, v in enumerate(day.visit_types):
        c = np.cumsum(v.service_pmf)
        svc_cdf[i, : c.size] = c
        svc_cdf[i, c.size - 1 :] = np.inf  # the last value takes the rounding remainder
        svc_len[i] = c.size
        order = np.argsort(v.punctuality_offsets, kind="stable")
        offs = np.asarray(v.punctuality_offsets, float)[order]
        oc = np.cumsum(np.asarray(v.punctuality_pmf, float)[order])
        off_val[i, : offs.size] = offs
        off_cdf[i, : oc.size] = oc
        off_cdf[i, oc.size - 1 :] = np.inf
        off_len[i] = oc.size
    slots = day.slots
    doctors = list(day.doctors)
    w_rate = np.array([w.rate for w in day.walk_ins], dtype=np.float64)
    walk_cap = int(sum(w + 8.0 * math.sqrt(w) + 16.0 for w in w_rate.tolist()))
    return _Packed(
        start=np.array([s.start for s in day.sessions], dtype=np.float64),
        end=np.array([s.end for s in day.sessions], dtype=np.float64),
        slot_minute=np.array([s.minute for s in slots], dtype=np.float64),
        slot_session=np.array([s.session for s in slots], dtype=np.int64),
        slot_vt=np.array([index[s.visit_type] for s in slots], dtype=np.int64),
        slot_book=np.array([s.booked for s in slots], dtype=np.float64),
        slot_kept=np.array([s.kept for s in slots], dtype=np.float64),
        slot_show=np.array([s.no_show for s in slots], dtype=np.float64),
        svc_cdf=svc_cdf,
        svc_len=svc_len,
        off_val=off_val,
        off_cdf=off_cdf,
        off_len=off_len,
        w_hour=np.array([w.hour for w in day.walk_ins], dtype=np.float64),
        w_rate=w_rate,
        w_vt=np.array([index[w.visit_type] for w in day.walk_ins], dtype=np.int64),
        max_patients=len(slots) + walk_cap + 1,
        names=names,
        doc_group=np.array([doctors.index(s.doctor) for s in day.sessions], dtype=np.int64),
    )


_DISCIPLINE_CODE = {Discipline.POOLED: 0, Discipline.PER_DOCTOR: 1, Discipline.DEDICATED: 2}

#: Threads the batches of replications run in (the kernel releases the GIL); ``POLYSLOT_THREADS``
#: overrides it (1: no thread at all).
THREADS = max(1, int(os.environ.get("POLYSLOT_THREADS", min(2, os.cpu_count() or 1))))
_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _pool() -> ThreadPoolExecutor:
    """This process's thread pool (a forked child makes its own: threads do not survive a
    fork, and no native threading layer is used, so forking is always safe)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=THREADS))
    return _POOL[1]


def run_batches(batch: Callable[[int, int], None], reps: int) -> None:
    """``batch(lo, hi)`` for consecutive ranges of :data:`BATCH` replications, in threads.

    Each range writes its own rows, and a replication depends only on its own random numbers,
    so the results do not depend on the threads."""
    ranges = [(lo, min(reps, lo + BATCH)) for lo in range(0, reps, BATCH)]
    if THREADS <= 1 or len(ranges) <= 1:
        for lo, hi in ranges:
            batch(lo, hi)
        return
    for f in [_pool().submit(batch, lo, hi) for lo, hi in ranges]:
        f.result()


@dataclass
class _Runs:
    kpi: np.ndarray
    hist: np.ndarray
    hour_wait: np.ndarray
    hour_count: np.ndarray
    records: dict[str, np.ndarray] | None


def _simulate(day: ClinicDay, p: _Packed, seed: int, rep0: int, reps: int, keep: int) -> _Runs:
    kpi = np.zeros((reps, k.N_KPI))
    hist = np.zeros((-(-reps // k.HIST_BATCH), k.HIST_BINS), dtype=np.int64)
    hour_wait = np.zeros((reps, 24))
    hour_count = np.zeros((reps, 24))
    keep = min(keep, reps)
    mp = p.max_patients
    rec = {
        "arrival": np.full((keep, mp), np.nan),
        "appointment": np.full((keep, mp), np.nan),
        "start": np.full((keep, mp), np.nan),
        "end": np.full((keep, mp), np.nan),
        "doctor": np.full((keep, mp), -1, dtype=np.int64),
        "visit_type": np.full((keep, mp), -1, dtype=np.int64),
        "kind": np.full((keep, mp), -1, dtype=np.int64),
        "n": np.zeros(keep, dtype=np.int64),
    }
    lt = -1.0 if day.late_threshold is None else float(day.late_threshold)
    if p.slot_minute.size == 0 and p.w_rate.size == 0 or p.start.size == 0:
        kpi[:, k.KPI_INDEX["duty"]] = float((p.end - p.start).sum())
        kpi[:, k.KPI_INDEX["idle"]] = float((p.end - p.start).sum())
    else:
        def batch(lo: int, hi: int) -> None:
            k.simulate_range(
                np.uint64(seed), rep0, lo, hi, _DISCIPLINE_CODE[day.discipline], lt,
                float(day.slot_minutes), p.start, p.end,
                p.slot_minute, p.slot_session, p.slot_vt, p.slot_book, p.slot_kept, p.slot_show,
                p.svc_cdf, p.svc_len, p.off_val, p.off_cdf, p.off_len,
                p.w_hour, p.w_rate, p.w_vt, mp,
                kpi, hist, hour_wait, hour_count, keep,
                rec["arrival"], rec["appointment"], rec["start"], rec["end"], rec["doctor"],
                rec["visit_type"], rec["kind"], rec["n"],
                p.doc_group, float(day.absence), float(day.absence_lost),
            )  # fmt: skip

        run_batches(batch, reps)
    return _Runs(kpi, hist, hour_wait, hour_count, rec if keep else None)


# -- exact single-doctor evaluation ---------------------------------------------------------------
def day_schedules(day: ClinicDay) -> list[Schedule]:
    """One exact-evaluator :class:`~polyslot.schedule.Schedule` per doctor session with slots
    (appointments relative to the session start, in slots; a slot before the session start
    opens it; no-show = 1 - probability the patient comes)."""
    sm = day.slot_minutes
    out = []
    for i, sess in enumerate(day.sessions):
        slots = day.slots_of(i)
        if not slots:
            continue
        start = min(sess.start, float(slots[0].minute))
        patients = []
        for s in slots:
            v = day.visit_type(s.visit_type)
            patients.append(
                PatientSpec(
                    appointment=int(round((s.minute - start) / sm)),
                    service=v.service_pmf,
                    no_show=1.0 - s.comes,
                    visit_type=s.visit_type,
                )
            )
        out.append(
            Schedule(
                session_end=max(1, int(round((sess.end - start) / sm))),
                patients=tuple(patients),
                slot_minutes=float(sm),
                meta={"session": sess.name, "weekday": day.weekday, "start_minute": start},
            )
        )
    return out


def _exact(day: ClinicDay) -> DayMetrics:
    scheds = day_schedules(day)
    evals, q90 = evaluate_day(scheds) if scheds else ([], 0.0)
    sm = float(day.slot_minutes)
    come = wait = idle = over = busy = 0.0
    hours: dict[int, list[float]] = {}
    for sched, ev in zip(scheds, evals, strict=True):
        w = 1.0 - ev.no_show
        come += float(w.sum())
        wait += ev.total_wait_mean * sm
        idle += float(ev.total_idle_mean + ev.idle_end_mean) * sm
        over += float(ev.overtime_mean) * sm
        busy += float(ev.busy_mean) * sm
        start = float(sched.meta["start_minute"])
        for j in range(ev.n_patients):
            h = int((start + float(ev.appointment[j]) * sm) // 60)
            acc = hours.setdefault(h, [0.0, 0.0])
            acc[0] += float(w[j] * ev.wait_mean[j]) * sm
            acc[1] += float(w[j])
    duty = float(sum(s.end - s.start for s in day.sessions))
    # sessions without patients are idle all along
    with_slots = {sched.meta["session"] for sched in scheds}
    idle += float(sum(s.end - s.start for s in day.sessions if s.name not in with_slots))
    kpis = {
        "wait_mean": Estimate(wait / come if come > 0 else 0.0),
        "wait_p90": Estimate(q90 * sm),
        "wait_p90_pooled": Estimate(q90 * sm),
        "utilization": Estimate(busy / duty if duty > 0 else 0.0),
        "overtime": Estimate(over),
        "clinic_overtime": Estimate(over if len(scheds) <= 1 else math.nan),
        "idle": Estimate(idle),
        "patients_served": Estimate(come),
        "walk_ins_seen": Estimate(0.0),
        "unseen": Estimate(0.0),
        "booked": Estimate(float(sum(s.booked * s.kept for s in day.slots))),
        "unmet_demand": Estimate(_unmet(day)),
    }
    by_hour = {h: a[0] / a[1] for h, a in sorted(hours.items()) if a[1] > 0}
    return DayMetrics("exact", 0, 0, kpis, {}, by_hour)


def _unmet(day: ClinicDay) -> float:
    counts: dict[str, int] = {}
    for s in day.slots:
        counts[s.visit_type] = counts.get(s.visit_type, 0) + 1
    over = sum(expected_unmet(m, v, counts.get(name, 0)) for name, (m, v) in day.requests.items())
    return max(0.0, over - counts.get("any", 0)) if counts.get("any") else over


# -- simulation estimates ----------------------------------------------------------------------
def _ratio(num: np.ndarray, den: np.ndarray) -> Estimate:
    """Ratio estimator sum(num) / sum(den) and its delta-method standard error."""
    n = num.size
    tot = float(den.sum())
    if tot <= 0:
        return Estimate(0.0, 0.0)
    r = float(num.sum()) / tot
    if n < 2:
        return Estimate(r, math.inf)
    resid = num - r * den
    se = math.sqrt(float(resid.var(ddof=1)) / n) / (tot / n)
    return Estimate(r, se)


def _mean(x: np.ndarray) -> Estimate:
    n = x.size
    if n == 0:
        return Estimate(math.nan, math.nan)
    m = float(x.mean())
    return Estimate(m, math.sqrt(float(x.var(ddof=1)) / n) if n > 1 else math.inf)


def _hist_quantile(counts: np.ndarray, q: float) -> float:
    total = float(counts.sum())
    if total <= 0:
        return 0.0
    c = np.cumsum(counts)
    b = int(np.searchsorted(c, q * total - 1e-9, side="left"))
    return b * k.HIST_BIN


def _p90(hist: np.ndarray) -> Estimate:
    """Pooled 90th percentile and its batch-means standard error (one histogram per batch)."""
    value = _hist_quantile(hist.sum(axis=0), 0.9)
    nb = hist.shape[0]
    if nb < 2:
        return Estimate(value, math.inf)
    parts = [_hist_quantile(hist[b], 0.9) for b in range(nb)]
    return Estimate(value, float(np.std(parts, ddof=1)) / math.sqrt(nb))


def pair_means(x: np.ndarray) -> np.ndarray:
    """The means of the antithetic pairs of replications (rows ``2i`` and ``2i + 1``): the
    independent observations the standard errors are computed on (NaNs ignored in a pair)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2:
        return x
    n = x.shape[0] // 2 * 2
    pairs = x[:n].reshape(n // 2, 2, *x.shape[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pair with no value: NaN
        return np.nanmean(pairs, axis=1)


def _from_runs(day: ClinicDay, runs: _Runs, seed: int) -> DayMetrics:
    kpi = runs.kpi
    col = {name: pair_means(kpi[:, i]) for name, i in k.KPI_INDEX.items()}
    kpis = {
        "wait_mean": _ratio(col["wait_total"], col["patients_seen"]),
        "wait_p90": _mean(col["wait_p90"][np.isfinite(col["wait_p90"])]),
        "wait_p90_pooled": _p90(runs.hist),
        "utilization": _ratio(col["busy"], col["duty"]),
        "overtime": _mean(col["doctor_overtime"]),
        "clinic_overtime": _mean(col["overtime"]),
        "idle": _mean(col["idle"]),
        "patients_served": _mean(col["patients_seen"]),
        "walk_ins_seen": _mean(col["walk_ins_seen"]),
        "unseen": _mean(col["unseen"]),
        "booked": _mean(col["booked"]),
        "unmet_demand": Estimate(_unmet(day)),
    }
    hw, hc = runs.hour_wait.sum(axis=0), runs.hour_count.sum(axis=0)
    by_hour = {h: float(hw[h] / hc[h]) for h in range(24) if hc[h] > 0}
    return DayMetrics(
        "simulation", int(kpi.shape[0]), int(seed), kpis, col, by_hour, runs.records
    )


def _precise(runs: _Runs, rel_se: float, abs_se: float) -> bool:
    est = _ratio(pair_means(runs.kpi[:, 0]), pair_means(runs.kpi[:, 1]))
    return est.se <= max(rel_se * abs(est.mean), abs_se)


def evaluate_clinic_day(
    day: ClinicDay,
    *,
    seed: int = 0,
    method: str = "auto",
    replications: int | None = None,
    rel_se: float = DEFAULT_REL_SE,
    abs_se: float = DEFAULT_ABS_SE,
    min_replications: int = 2 * BATCH,
    max_replications: int = 64 * BATCH,
    records: int = 0,
) -> DayMetrics:
    """Every KPI of ``day`` with its standard error (see the module docstring).

    Parameters
    ----------
    day : ClinicDay
    seed : int
        Seed of the counter-based random numbers (the same seed pairs two days).
    method : str
        ``auto`` (exact when tractable, else simulation), ``exact`` or ``simulation``.
    replications : int, optional
        A fixed number of replications (no stopping rule).
    rel_se, abs_se : float
        Stopping rule: the standard error of the mean wait at most ``rel_se`` x mean wait or
        ``abs_se`` minutes (whichever is larger), checked after every batch of 64.
    min_replications, max_replications : int
    records : int
        Keep the per-patient records of this many first replications (``DayMetrics.records``).
    """
    if method not in ("auto", "exact", "simulation"):
        raise InputError("must be 'auto', 'exact' or 'simulation'", field="method", value=method)
    packed = _pack(day)
    if method == "exact" or (method == "auto" and day.exact_tractable):
        if not day.exact_tractable:
            raise InputError(
                "this clinic day has no exact evaluation (walk-ins, unpunctual patients or a "
                "pooled queue of several doctors); use method 'simulation'",
                field="method",
                value=method,
            )
        exact = _exact(day)
        if records:  # patient records for the hourly profiles: a few simulated days
            rec = _simulate(day, packed, seed, 0, int(records), int(records)).records
            return dataclasses.replace(exact, records=rec, seed=int(seed))
        return exact
    if replications is not None:
        if replications < 1:
            raise InputError("must be >= 1", field="replications", value=replications)
        reps = int(replications) + int(replications) % 2  # whole antithetic pairs
        runs = _simulate(day, packed, seed, 0, reps, records)
        return _from_runs(day, runs, seed)
    parts: list[_Runs] = []
    done = 0
    step = max(BATCH, int(min_replications))
    while True:
        part = _simulate(day, packed, seed, done, step, records - done if done < records else 0)
        parts.append(part)
        done += step
        runs = _concat(parts)
        if done >= max_replications or _precise(runs, rel_se, abs_se):
            return _from_runs(day, runs, seed)
        # next batch: as many as the current precision suggests (at least one batch)
        est = _ratio(pair_means(runs.kpi[:, 0]), pair_means(runs.kpi[:, 1]))
        target = max(rel_se * abs(est.mean), abs_se)
        need = done * (est.se / target) ** 2 if target > 0 and math.isfinite(est.se) else done
        step = int(min(max_replications - done, max(BATCH, math.ceil((need - done) / BATCH)
                                                        * BATCH)))


def _concat(parts: list[_Runs]) -> _Runs:
    if len(parts) == 1:
        return parts[0]
    recs = [p.records for p in parts if p.records is not None and p.records["n"].size]
    rec = None
    if recs:
        rec = {key: np.concatenate([r[key] for r in recs], axis=0) for key in recs[0]}
    return _Runs(
        np.concatenate([p.kpi for p in parts]),
        np.concatenate([p.hist for p in parts]),
        np.concatenate([p.hour_wait for p in parts]),
        np.concatenate([p.hour_count for p in parts]),
        rec,
    )


def paired_difference(
    a: DayMetrics, b: DayMetrics, measure: str = "wait_total"
) -> Estimate:
    """``b - a`` of a per-replication measure (mean per day) over the replications the two
    share (same seed: common random numbers); exact when both evaluations are exact."""
    if a.method == "exact" and b.method == "exact":
        key = {"wait_total": "wait_mean", "patients_seen": "patients_served",
               "doctor_overtime": "overtime"}.get(measure, measure)
        if key == "wait_mean":
            return Estimate(
                b.value("wait_mean") * b.value("patients_served")
                - a.value("wait_mean") * a.value("patients_served")
            )
        return Estimate(b.value(key) - a.value(key))
    if a.seed != b.seed:
        raise InputError("paired days need the same seed", field="seed", value=(a.seed, b.seed))
    x, y = a.per_rep.get(measure), b.per_rep.get(measure)
    if x is None or y is None:
        raise InputError("not a per-replication measure", field="measure", value=measure)
    n = min(x.size, y.size)
    return _mean(y[:n] - x[:n])
