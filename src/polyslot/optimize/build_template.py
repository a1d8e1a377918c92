"""Bucket counts + sequencing -> the slots of one weekday (per doctor session), and the totals
of any weekday's slots through the one clinic-day model (current or recommended).

Patients of a bucket are spread over the doctor sessions overlapping it (largest consultation
first, each to the session whose load per overlapping minute stays lowest). Each patient stays
in its bucket and gets an appointment time on the ``sequencing_interval`` grid:

* **per-doctor queues**: equal spacing within the bucket inside each session, then (optionally)
  the local search of :mod:`.sequencing` with bucket bounds (the exact single-doctor evaluator
  is the model of such a queue);
* **one pooled queue**: the doctors of a session share the queue, so their appointment times are
  laid out together (:mod:`.pooled_layout`): block (every doctor at the same times), staggered
  (the bucket's patients one evenly spaced stream, dealt to the doctors in turn) and staggered
  with the bucket's first patients together; the layout whose clinic day is best on the
  objective under the one model (:func:`polyslot.evaluation.clinic_day.evaluate_clinic_day`,
  common random numbers) is kept.

A slot sharing its time with an earlier slot of the same session is flagged ``overbooked``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.day import Discipline, model_discipline
from polyslot.errors import ConfigError
from polyslot.evaluation.day_settings import DaySettings, day_seed
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.sequencing import local_search, pad_services
from polyslot.optimize.weekday_inputs import WeekdayInputs
from polyslot.template import Slot

__all__ = [
    "DayTotals",
    "day_totals",
    "day_sessions_of",
    "build_weekday_slots",
    "assign_sessions",
    "session_arrays",
    "session_slots",
]


@dataclass(frozen=True)
class DayTotals:
    """Expected totals of one weekday's slots through the one clinic-day model (minutes).

    ``total_wait`` sums the waits of the patients seen (walk-ins included), ``wait_per_patient``
    divides it by them; ``overtime`` is doctor-minutes after the sessions' ends; ``idle`` is
    rostered doctor-minutes without consultation."""

    patients: int
    total_wait: float
    wait_per_patient: float
    overtime: float
    idle: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dict."""
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


def day_totals(
    model: ClinicModel,
    weekday: int,
    slots: Sequence[Slot],
    days: DaySettings,
    seed: int,
) -> DayTotals:
    """The totals of ``weekday``'s ``slots`` through the one model (the weekday's seed)."""
    day_slots = [s for s in slots if s.weekday == weekday]
    if not day_slots:
        return DayTotals(0, 0.0, 0.0, 0.0, 0.0)
    m = days.evaluate(days.build(model, day_slots, weekday), day_seed(seed, weekday))
    seen = m.value("patients_served")
    wait = m.value("wait_mean")
    return DayTotals(len(day_slots), wait * seen, wait, m.value("overtime"), m.value("idle"))


def day_sessions_of(model: ClinicModel, weekday: int) -> list[DoctorSession]:
    """The model's doctor sessions of ``weekday`` by id."""
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


def session_arrays(model, inp, sess, items, config):
    """One session's patients (bucket, visit type) sorted, their PMFs and no-shows, and the
    grid bounds and equal-spacing start of each inside its bucket."""
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


def session_slots(
    model: ClinicModel,
    inp: WeekdayInputs,
    sess: DoctorSession,
    items: Sequence[tuple[int, int]],
    appts: np.ndarray,
    order: np.ndarray,
) -> list[Slot]:
    """The slots of one session: ``items[order[k]]`` (bucket, visit type) at grid time
    ``appts[k]`` (slots after the session start)."""
    out: list[Slot] = []
    seen: set[int] = set()
    for a, k in zip(np.asarray(appts).tolist(), np.asarray(order).tolist(), strict=True):
        h, v = items[k]
        minute = sess.start_minute + int(round(a * model.slot_minutes))
        out.append(
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
    return out


def build_weekday_slots(
    model: ClinicModel,
    inp: WeekdayInputs,
    counts: dict[tuple[int, int], int],
    config: OptimizeConfig,
    *,
    sequence: bool = True,
    days: DaySettings | None = None,
    seed: int = 0,
) -> list[Slot]:
    """Slots of one weekday from bucket counts (see the module docstring)."""
    days = days or DaySettings()
    sessions = day_sessions_of(model, inp.weekday)
    assignment = assign_sessions(inp, counts, sessions)
    if model_discipline(model, days.discipline) is Discipline.POOLED and len(sessions) > 1:
        from polyslot.optimize.pooled_layout import pooled_slots  # it lays out these slots

        return pooled_slots(
            model, inp, assignment, sessions, config, days, seed, choose=sequence
        )
    slots: list[Slot] = []
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for sess in sessions:
        items = assignment[sess.session_id]
        if not items:
            continue
        items, service, no_show, lo, hi, start, iv, t_end = session_arrays(
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
        slots.extend(session_slots(model, inp, sess, items, appts, order))
    return slots
