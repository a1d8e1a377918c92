"""Bucket counts + sequencing -> the slots of one weekday (per doctor session), and the exact
evaluation of any weekday's sessions (current or recommended).

Patients of a bucket are spread over the doctor sessions overlapping it (largest consultation
first, each to the session whose load per overlapping minute stays lowest). Inside a session
each patient stays in its bucket and gets an appointment time on the ``sequencing_interval``
grid: equal spacing within the bucket, then (optionally) the local search of
:mod:`.sequencing` with bucket bounds. A slot sharing its time with an earlier slot of the
same session is flagged ``overbooked``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.errors import ConfigError
from polyslot.evaluation.sessions import session_schedule
from polyslot.optimize._exact import batch_metrics
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.sequencing import local_search, pad_services
from polyslot.optimize.weekday_inputs import WeekdayInputs
from polyslot.template import Slot

__all__ = ["ExactTotals", "build_weekday_slots", "evaluate_slots", "assign_sessions"]


@dataclass(frozen=True)
class ExactTotals:
    """Exact expected totals of a set of doctor sessions, e.g. one weekday's (minutes).

    Not to be confused with :class:`polyslot.kpi_records.ExactTotals`, the tidy per-session record
    of the report: these are the optimizer's sums over sessions.
    """

    patients: int
    total_wait: float  # sum over patients of (1 - p) E[W] (waiting of those who come)
    wait_per_patient: float  # total_wait / expected patients who come
    overtime: float
    idle: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dict."""
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


def _day_sessions(model: ClinicModel, weekday: int) -> list[DoctorSession]:
    return sorted((s for s in model.sessions if s.weekday == weekday), key=lambda s: s.session_id)


def assign_sessions(
    inp: WeekdayInputs, counts: dict[tuple[int, int], int], sessions: list[DoctorSession]
) -> dict[str, list[tuple[int, int]]]:
    """Spread each bucket's patients over the sessions covering it: session id -> [(h, v)]."""
    bm = inp.bucket_minutes
    out: dict[str, list[tuple[int, int]]] = {s.session_id: [] for s in sessions}
    for h, b in enumerate(inp.buckets):
        overlap = {
            s.session_id: min(s.end_minute, b + bm) - max(s.start_minute, b) for s in sessions
        }
        cover = [s for s in sessions if overlap[s.session_id] > 0]
        patients = [
            v for v in range(len(inp.visit_types)) for _ in range(int(counts.get((h, v), 0)))
        ]
        if patients and not cover:
            raise ConfigError(
                f"{inp.label(h)} has {len(patients)} slots but no doctor session",
                field="sessions",
                value=inp.label(h),
            )
        patients.sort(key=lambda v: -inp.mean_service[v])
        load = {s.session_id: 0.0 for s in cover}
        for v in patients:
            m = inp.mean_service[v]
            sid = min(load, key=lambda k: ((load[k] + m) / overlap[k], k))
            load[sid] += m
            out[sid].append((h, v))
    return out


def _session_arrays(model, inp, sess, items, config):
    sm = model.slot_minutes
    iv = config.sequencing_interval / sm
    if abs(iv - round(iv)) > 1e-9:
        raise ConfigError(
            f"must be a multiple of slot_minutes={sm}",
            field="sequencing_interval",
            value=config.sequencing_interval,
        )
    iv = int(round(iv))
    t_end = int(round((sess.end_minute - sess.start_minute) / sm))
    items = sorted(items, key=lambda hv: (hv[0], -inp.mean_service[hv[1]]))
    service = pad_services([model.service_for(inp.visit_types[v]).pmf for _, v in items])
    no_show = np.array([inp.no_show[h][v] for h, v in items])
    lo, hi, start = [], [], []
    for h in sorted({h for h, _ in items}):
        members = [k for k, (hh, _) in enumerate(items) if hh == h]
        b0 = (inp.buckets[h] - sess.start_minute) / sm
        g_lo = int(np.ceil(max(b0, 0) / iv))
        g_hi = max(g_lo, int(np.ceil((b0 + inp.bucket_minutes / sm) / iv)) - 1)
        g_hi = min(g_hi, max(0, int(np.ceil(t_end / iv)) - 1))
        span = g_hi - g_lo + 1
        for j, _ in enumerate(members):
            lo.append(g_lo)
            hi.append(g_hi)
            start.append(g_lo + int(j * span // len(members)))
    return items, service, no_show, np.array(lo), np.array(hi), np.array(start), iv, t_end


def build_weekday_slots(
    model: ClinicModel,
    inp: WeekdayInputs,
    counts: dict[tuple[int, int], int],
    config: OptimizeConfig,
    *,
    sequence: bool = True,
) -> tuple[list[Slot], ExactTotals]:
    """Slots of one weekday from bucket counts, and their exact KPIs."""
    sessions = _day_sessions(model, inp.weekday)
    assignment = assign_sessions(inp, counts, sessions)
    slots: list[Slot] = []
    kpis = []
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for sess in sessions:
        items = assignment[sess.session_id]
        if not items:
            continue
        items, service, no_show, lo, hi, start, iv, t_end = _session_arrays(
            model, inp, sess, items, config
        )
        key = (tuple(items), sess.start_minute, sess.end_minute)
        if key in cache:
            appts, order = cache[key]
        elif sequence and config.sequencing_max_iter > 0:
            res = local_search(
                service,
                no_show,
                t_end,
                iv,
                config.weights_sequencing,
                starts=[start],
                lower=lo,
                upper=hi,
                max_iter=config.sequencing_max_iter,
            )
            appts, order = np.array(res.appointments), np.array(res.order)
        else:
            appts, order = start * iv, np.arange(len(items))
        cache[key] = (appts, order)
        kpis.append(_kpi(appts, service[order], no_show[order], t_end, model.slot_minutes))
        seen: set[int] = set()
        for a, k in zip(appts.tolist(), order.tolist(), strict=True):
            h, v = items[k]
            minute = sess.start_minute + int(round(a * model.slot_minutes))
            slots.append(
                Slot(
                    weekday=inp.weekday,
                    start_minute=minute,
                    duration_minutes=max(1, int(round(inp.mean_service[v]))),
                    visit_type=inp.visit_types[v],
                    doctor_session=sess.session_id,
                    overbooked=minute in seen,
                )
            )
            seen.add(minute)
    return slots, _sum_kpis(kpis)


def _kpi(appts, service, no_show, t_end, sm) -> ExactTotals:
    m = batch_metrics(np.asarray(appts)[None, :], service, no_show, t_end)
    shown = float((1 - no_show).sum())
    tw = float(m["total_wait_shown"][0]) * sm
    return ExactTotals(
        len(appts),
        tw,
        tw / max(shown, 1e-9),
        float(m["overtime_mean"][0]) * sm,
        float(m["total_idle_mean"][0]) * sm,
    )


def _sum_kpis(kpis: list[ExactTotals]) -> ExactTotals:
    n = sum(k.patients for k in kpis)
    tw = sum(k.total_wait for k in kpis)
    shown = sum(k.total_wait / k.wait_per_patient for k in kpis if k.wait_per_patient > 0)
    return ExactTotals(
        n,
        tw,
        tw / shown if shown > 0 else 0.0,
        sum(k.overtime for k in kpis),
        sum(k.idle for k in kpis),
    )


def evaluate_slots(
    model: ClinicModel, weekday: int, slots: list[Slot] | tuple[Slot, ...]
) -> ExactTotals:
    """Exact KPIs of a weekday's slots (e.g. the current template), session by session."""
    by: dict[str, list[Slot]] = {}
    for s in slots:
        if s.weekday == weekday:
            by.setdefault(s.doctor_session, []).append(s)
    kpis = []
    for _, group in sorted(by.items()):
        sched = session_schedule(model, group, punctual=True)
        appts = np.array([p.appointment for p in sched.patients])
        service = pad_services([p.service for p in sched.patients])
        no_show = np.array([p.no_show for p in sched.patients])
        kpis.append(_kpi(appts, service, no_show, sched.session_end, model.slot_minutes))
    return _sum_kpis(kpis)
