"""The current slot template and session structure of one synthetic polyclinic.

Monday to Friday have a morning session (AM, all doctors) and an afternoon session (PM, fewer
doctors) separated by a lunch break; Saturday has a morning session with about half the
doctors; Sunday and public holidays are closed.  Each doctor session is filled with slots
whose length depends on the visit type, with a block of 2-3 patients booked at the session
start.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from polyslot.synthetic.kinds import PolyclinicSpec
from polyslot.synthetic.parameters import VISIT_TYPES

__all__ = ["Session", "sessions_for", "build_template", "hhmm", "TEMPLATE_COLUMNS"]

TEMPLATE_COLUMNS = [
    "polyclinic_id",
    "weekday",
    "start_time",
    "duration_minutes",
    "visit_type",
    "doctor_session",
]
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hhmm(minute: int) -> str:
    """Format minutes after midnight as ``"HH:MM"``."""
    return f"{int(minute) // 60:02d}:{int(minute) % 60:02d}"


class Session(NamedTuple):
    """One session of a weekday: name (AM/PM), start and end minute, nominal doctors."""

    name: str
    start: int
    end: int
    doctors: int


def sessions_for(spec: PolyclinicSpec, weekday: int) -> list[Session]:
    """The sessions of ``weekday`` (0 = Monday) in the polyclinic's regular week."""
    if weekday <= 4:
        return [
            Session("AM", spec.am_start, spec.am_end, spec.doctors),
            Session("PM", spec.pm_start, spec.pm_end, spec.pm_doctors),
        ]
    if weekday == 5:
        return [Session("AM", spec.am_start, spec.am_end, spec.sat_doctors)]
    return []


def _session_slots(
    rng: np.random.Generator,
    start: int,
    end: int,
    block: int,
    minutes: dict[str, int],
    late: tuple[int, int] | None = None,
) -> list[tuple[int, int, str]]:
    """(start_minute, duration, visit_type) of the slots of one doctor session.

    ``late = (from_minute, slot_minutes)``: slots starting at or after ``from_minute`` are
    ``slot_minutes`` long whatever their visit type (sparse late-morning appointments).
    """
    names = [v.name for v in VISIT_TYPES]
    share = np.array([v.share for v in VISIT_TYPES])
    draws = rng.choice(len(names), size=64, p=share / share.sum())
    slots: list[tuple[int, int, str]] = []
    t = start
    k = 0
    # block booking: ``block`` patients share the first appointment time
    first = names[draws[k]]
    for _ in range(block):
        vt = names[draws[k]]
        slots.append((t, minutes[vt], vt))
        k += 1
    t += minutes[first]
    while k < len(draws):
        vt = names[draws[k]]
        k += 1
        length = late[1] if late is not None and t >= late[0] else minutes[vt]
        if t + length > end:
            break
        slots.append((t, length, vt))
        t += length
    return slots


def build_template(spec: PolyclinicSpec, rng: np.random.Generator) -> pd.DataFrame:
    """The current slot template: one row per bookable slot.

    Returns the public SLOT_TEMPLATE columns plus helper columns ``start_minute``, ``session``
    and ``doctor`` (0-based doctor index) used by the generator.
    """
    rows: list[tuple] = []
    # each doctor keeps the same AM and PM slot pattern every weekday (Saturday: the AM one)
    patterns: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    for weekday in range(7):
        for sess in sessions_for(spec, weekday):
            for doc in range(sess.doctors):
                name = f"{_DAY_NAMES[weekday]}-{sess.name}-D{doc + 1:02d}"
                key = (sess.name, doc)
                if key not in patterns:
                    am = sess.name == "AM"
                    block = spec.kind.block_am if am else spec.kind.block_pm
                    minutes = spec.kind.am_slot_minutes if am else spec.kind.pm_slot_minutes
                    window = spec.kind.am_booking_minutes if am else None
                    late = None if window is None else (sess.start + window, spec.kind.am_late_slot)
                    patterns[key] = _session_slots(rng, sess.start, sess.end, block, minutes, late)
                for start, dur, vt in patterns[key]:
                    rows.append(
                        (
                            spec.polyclinic_id,
                            weekday,
                            hhmm(start),
                            dur,
                            vt,
                            name,
                            start,
                            sess.name,
                            doc,
                        )
                    )
    frame = pd.DataFrame(rows, columns=[*TEMPLATE_COLUMNS, "start_minute", "session", "doctor"])
    frame["weekday"] = frame["weekday"].astype("int64")
    frame["duration_minutes"] = frame["duration_minutes"].astype("int64")
    return frame.sort_values(
        ["weekday", "doctor_session", "start_minute"], kind="stable"
    ).reset_index(drop=True)


def daily_means(spec: PolyclinicSpec, template: pd.DataFrame) -> dict[str, list[float]]:
    """True mean daily requests per visit type and weekday (Mon..Sun; 0 when closed)."""
    from polyslot.synthetic.parameters import WEEKDAY_FACTOR

    counts = template.groupby(["visit_type", "weekday"]).size()
    out: dict[str, list[float]] = {}
    for v in VISIT_TYPES:
        row = []
        for w in range(7):
            n = int(counts.get((v.name, w), 0))
            f = WEEKDAY_FACTOR[w] if w < len(WEEKDAY_FACTOR) else 0.0
            row.append(round(spec.kind.utilisation * f * n, 4))
        out[v.name] = row
    return out
