"""Three clinic histories made by rules that are not polyslot's generator's, with known truth.

Each clinic is run day by day as a queue of its own kind and written in the data contract's
shape (attendances, roster, slot template), so polyslot has to learn its clinic from it:

* ``SOLO`` (one doctor, always full): one physician, 8-minute slots 08:00-12:00 and 14:00-17:00
  (52 a day), every slot booked every day (demand far above capacity), 6% no-shows, patients
  about 4 minutes early; the doctor sees the patients present in order of appointment.
* ``POOL`` (pooled with walk-ins and overbooking): four doctors share one first-come-first-served
  queue 08:00-12:00 and 13:00-17:00; 15-minute slots per doctor plus a double-booked slot at
  09:00 and 14:00; a day's bookings fill each slot with probability 0.8 (the day's demand);
  walk-ins 3 an hour in the morning and 1.5 in the afternoon; 12% no-shows, 5% cancellations.
* ``SPLIT`` (per-doctor queues, heavy late cancellations): three doctors, each seeing only their
  own booked patients in order of appointment; 12-minute slots 08:30-12:30 and 14:00-16:30; every
  slot is booked and 22% of bookings are cancelled late (the slot stays empty); 8% no-shows.

:func:`write_histories` writes them (Parquet) into a data folder; :data:`TRUTH` holds the
rules (queue discipline, doctors, rates) that the estimates are checked against.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CLINICS", "TRUTH", "write_histories", "history_frames"]


@dataclass(frozen=True)
class Clinic:
    """The rules of one foreign clinic."""

    pid: str
    doctors: int
    sessions: tuple[tuple[int, int], ...]  # (start, end) minutes
    slot_minutes: int
    overbooked: tuple[int, ...]  # extra slot times per doctor (minutes)
    fill: float  # probability a slot is booked
    cancel: float  # late cancellations of bookings
    no_show: float
    early_mean: float  # minutes early on average (normal, sd ``early_sd``)
    early_sd: float
    walk_ins: dict[int, float]  # hour -> walk-ins an hour
    discipline: str  # pooled | per_doctor
    services: tuple[tuple[str, float, float], ...]  # (visit type, mean, cv), alternating


CLINICS = (
    Clinic("SOLO", 1, ((480, 720), (840, 1020)), 8, (), 1.0, 0.0, 0.06, 4.0, 3.0, {},
           "per_doctor", (("consult", 7.0, 0.35), ("review", 5.5, 0.45))),
    Clinic("POOL", 4, ((480, 720), (780, 1020)), 15, (540, 840), 0.8, 0.05, 0.12, 3.0, 5.0,
           {8: 3.0, 9: 3.0, 10: 3.0, 11: 3.0, 13: 1.5, 14: 1.5, 15: 1.5, 16: 1.5}, "pooled",
           (("acute", 11.0, 0.6), ("chronic", 14.0, 0.4))),
    Clinic("SPLIT", 3, ((510, 750), (840, 990)), 12, (), 1.0, 0.22, 0.08, 5.0, 6.0, {},
           "per_doctor", (("first", 13.0, 0.5), ("repeat", 9.0, 0.4))),
)  # fmt: skip

#: What each history really is (the estimates are checked against it).
TRUTH = {
    c.pid: {
        "discipline": c.discipline,
        "doctors": c.doctors,
        "no_show": c.no_show,
        "cancel": c.cancel,
        "fill": c.fill,
        "services": {v: (m, cv) for v, m, cv in c.services},
    }
    for c in CLINICS
}


def _lognormal(rng: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
    s2 = np.log1p(cv**2)
    return np.exp(rng.normal(np.log(mean) - s2 / 2, np.sqrt(s2), n))


def _slots(c: Clinic) -> list[tuple[int, int, str]]:
    """(minute, doctor, visit type) of one day's template."""
    out = []
    for d in range(c.doctors):
        times = [t for s0, s1 in c.sessions for t in range(s0, s1, c.slot_minutes)]
        times += list(c.overbooked)
        for k, t in enumerate(sorted(times)):
            out.append((t, d, c.services[k % len(c.services)][0]))
    return sorted(out)


def _session_of(c: Clinic, t: float) -> int:
    for k, (_s0, s1) in enumerate(c.sessions):
        if t < s1:
            return k
    return len(c.sessions) - 1


def _serve_pooled(c: Clinic, arrivals: list[tuple[float, int]], svc: dict[int, float]):
    """First come first served among the doctors of each session; a session runs on until
    everyone in it is seen. Returns {patient: (start, end, doctor)}."""
    out: dict[int, tuple[float, float, int]] = {}
    free = dict.fromkeys(range(c.doctors), 0.0)
    for k, (s0, _s1) in enumerate(c.sessions):
        heap = [(max(s0, free[d]), d) for d in range(c.doctors)]
        heapq.heapify(heap)
        for t, i in sorted(a for a in arrivals if _session_of(c, a[0]) == k):
            f, d = heapq.heappop(heap)
            start = max(t, f)
            out[i] = (start, start + svc[i], d)
            heapq.heappush(heap, (start + svc[i], d))
        for f, d in heap:
            free[d] = f
    return out


def _serve_own(c: Clinic, booked: list[tuple[float, float, int, int]], svc: dict[int, float]):
    """Each doctor sees their own present patients in order of appointment (arrival, appt,
    doctor, patient); the doctor waits when nobody is there."""
    out: dict[int, tuple[float, float, int]] = {}
    for d in range(c.doctors):
        mine = sorted((appt, arr, i) for arr, appt, dd, i in booked if dd == d)
        for k, (s0, _s1) in enumerate(c.sessions):
            todo = [m for m in mine if _session_of(c, m[0]) == k]
            t = float(s0)
            while todo:
                present = [m for m in todo if m[1] <= t]
                if not present:
                    t = min(m[1] for m in todo)
                    continue
                appt, arr, i = min(present)
                out[i] = (t, t + svc[i], d)
                t += svc[i]
                todo.remove((appt, arr, i))
    return out


def _day_rows(c: Clinic, date: dt.date, rng: np.random.Generator, first_id: int) -> list[dict]:
    rows: list[dict] = []
    slots = _slots(c)
    means = {v: (m, cv) for v, m, cv in c.services}
    booked: list[tuple[float, float, int, int]] = []  # (arrival, appt, doctor, patient)
    svc: dict[int, float] = {}
    meta: dict[int, dict] = {}
    pid = first_id
    for t, d, vt in slots:
        if rng.random() >= c.fill:
            continue
        status = "attended"
        if rng.random() < c.cancel:
            status = "cancelled"
        elif rng.random() < c.no_show:
            status = "no_show"
        i = pid
        pid += 1
        meta[i] = {"vt": vt, "appt": float(t), "doctor": d, "status": status}
        if status == "attended":
            arr = float(t) - rng.normal(c.early_mean, c.early_sd)
            m, cv = means[vt]
            svc[i] = float(_lognormal(rng, m, cv, 1)[0])
            booked.append((arr, float(t), d, i))
            meta[i]["arr"] = arr
    walk: list[tuple[float, int]] = []
    for h, rate in sorted(c.walk_ins.items()):
        for _ in range(int(rng.poisson(rate))):
            i = pid
            pid += 1
            arr = h * 60 + 60 * rng.random()
            vt = c.services[0][0]
            m, cv = means[vt]
            svc[i] = float(_lognormal(rng, m, cv, 1)[0])
            walk.append((arr, i))
            meta[i] = {"vt": vt, "appt": None, "doctor": None, "status": "walk_in", "arr": arr}
    if c.discipline == "pooled":
        seen = _serve_pooled(c, [(a, i) for a, _t, _d, i in booked] + walk, svc)
    else:
        seen = _serve_own(c, booked, svc)
    base = dt.datetime.combine(date, dt.time())
    for i, m in meta.items():
        row = {
            "attendance_id": f"{c.pid}-{i}",
            "polyclinic_id": c.pid,
            "patient_id": f"{c.pid}p{rng.integers(1, 5000)}",
            "visit_type": m["vt"],
            "booking_ts": None if m["appt"] is None else base - dt.timedelta(days=7),
            "appointment_ts": None if m["appt"] is None else base + dt.timedelta(minutes=m["appt"]),
            "arrival_ts": None,
            "consult_start_ts": None,
            "consult_end_ts": None,
            "consultation_duration_minutes": None,
            "doctor_id": None,
            "status": m["status"],
        }
        if i in seen:
            start, end, d = seen[i]
            row.update(
                arrival_ts=base + dt.timedelta(minutes=round(m["arr"], 2)),
                consult_start_ts=base + dt.timedelta(minutes=round(start, 2)),
                consult_end_ts=base + dt.timedelta(minutes=round(end, 2)),
                consultation_duration_minutes=round(end, 2) - round(start, 2),
                doctor_id=f"{c.pid}-D{d + 1}",
            )
        rows.append(row)
    return rows


def history_frames(weeks: int = 20, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``attendances``, ``roster`` and ``slot_template`` of the three clinics (Mon-Fri)."""
    rng = np.random.default_rng(seed)
    start = dt.date(2025, 1, 6)
    att: list[dict] = []
    roster: list[dict] = []
    template: list[dict] = []
    for c in CLINICS:
        pid = 0
        for k in range(weeks * 7):
            date = start + dt.timedelta(days=k)
            if date.weekday() > 4:
                continue
            day = _day_rows(c, date, rng, pid)
            pid += len(day) + 1
            att.extend(day)
            for s0, s1 in c.sessions:
                roster.append({"polyclinic_id": c.pid, "date": date,
                               "start_time": f"{s0 // 60:02d}:{s0 % 60:02d}",
                               "end_time": f"{s1 // 60:02d}:{s1 % 60:02d}",
                               "doctors": c.doctors})  # fmt: skip
        for wd in range(5):
            for t, d, vt in _slots(c):
                s = _session_of(c, t)
                template.append({"polyclinic_id": c.pid, "weekday": wd,
                                 "start_time": f"{t // 60:02d}:{t % 60:02d}",
                                 "duration_minutes": c.slot_minutes, "visit_type": vt,
                                 "doctor_session": f"{c.pid}-{wd}-{s}-D{d + 1}"})  # fmt: skip
    frames = {
        "attendances": pd.DataFrame(att),
        "roster": pd.DataFrame(roster),
        "slot_template": pd.DataFrame(template),
    }
    for col in ("booking_ts", "appointment_ts", "arrival_ts", "consult_start_ts",
                "consult_end_ts"):  # fmt: skip
        frames["attendances"][col] = pd.to_datetime(frames["attendances"][col])
    return frames


def write_histories(folder: Path, weeks: int = 20, seed: int = 7) -> Path:
    """Write the three histories as Parquet tables of the data contract into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in history_frames(weeks, seed).items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder
