"""A consultation log with known truth: one physician, a year of half-day sessions.

Per row only what such an export holds: the consultation start and end, its duration, a visit
type read from a visit counter (first visit or revisit) and the status ``attended``; no
appointment, arrival or booking time, no doctor id. Not collected (no ``test_`` prefix).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: weekday -> [(start minute, end minute, mean patients)] of the physician's sessions.
SESSIONS: dict[int, list[tuple[int, int, float]]] = {
    0: [(480, 720, 16.0)],
    1: [(480, 720, 14.0), (840, 1020, 10.0)],
    2: [(480, 720, 14.0)],
    3: [(480, 720, 14.0), (840, 1020, 10.0)],
    4: [(480, 720, 12.0)],
}
#: Mean consultation minutes of each visit type and the share of first visits.
MEANS = {"first_visit": 12.0, "revisit": 8.0}
CV = 0.5
FIRST_SHARE = 0.3


def consult_log(
    days: int = 365,
    seed: int = 7,
    start: dt.date = dt.date(2025, 1, 6),
    extra: dict[dt.date, int] | None = None,
    sessions: dict[int, list[tuple[int, int, float]]] | None = None,
) -> pd.DataFrame:
    """The attendances of a one-physician consultation log (store columns, unknown times NaT).

    ``extra`` adds one-off sessions: ``{date: patients}`` in a 08:00-12:00 session (e.g. a
    Saturday seen once). Patients are seen one after the other from the session start (or the
    end of the morning's overrun), each after an exponential idle gap (mean 2 minutes).
    """
    rng = np.random.default_rng(seed)
    plan = sessions if sessions is not None else SESSIONS
    s2 = np.log1p(CV * CV)
    rows = []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        todays = [(s, e, float(rng.poisson(lam))) for s, e, lam in plan.get(day.weekday(), [])]
        if extra and day in extra:
            todays.append((480, 720, float(extra[day])))
        busy = 0.0  # one physician: a consultation starts after the previous one ended
        for s, _e, n in todays:
            t = max(float(s), busy)
            for _ in range(int(n)):
                vt = "first_visit" if rng.random() < FIRST_SHARE else "revisit"
                t += float(rng.exponential(2.0))
                dur = round(float(rng.lognormal(np.log(MEANS[vt]) - s2 / 2, np.sqrt(s2))), 1)
                begin = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=round(t, 1))
                rows.append(
                    {
                        "attendance_id": str(len(rows) + 1),
                        "polyclinic_id": "DR1",
                        "patient_id": f"p{int(rng.integers(0, 3000))}",
                        "visit_type": vt,
                        "booking_ts": pd.NaT,
                        "appointment_ts": pd.NaT,
                        "arrival_ts": pd.NaT,
                        "consult_start_ts": begin,
                        "consult_end_ts": begin + dt.timedelta(minutes=dur),
                        "consultation_duration_minutes": dur,
                        "doctor_id": None,
                        "status": "attended",
                    }
                )
                t += dur
            busy = t
    frame = pd.DataFrame(rows)
    for c in ("booking_ts", "appointment_ts", "arrival_ts", "consult_start_ts", "consult_end_ts"):
        frame[c] = pd.to_datetime(frame[c])
    frame["doctor_id"] = frame["doctor_id"].astype(object)
    return frame


def fabricated(frame: pd.DataFrame) -> pd.DataFrame:
    """The log with the missing times fabricated as a user did: appointment, arrival and
    booking all set to the consultation start."""
    out = frame.copy()
    for c in ("booking_ts", "appointment_ts", "arrival_ts"):
        out[c] = out["consult_start_ts"]
    return out
