"""Doctor-sessions by half-day: count them, add or take them off a copy of a ClinicModel, and
lay a week's sessions out as roster rows.

* A borrowed doctor works the borrowing polyclinic's own hours of that half-day: the added
  session copies the duty times most of the half-day's sessions have (ties: the earliest start,
  then the latest end) and is named ``<Wkd>-<AM|PM>-net<j>``.
* A lent doctor is the half-day's last session in id order (deterministic).
* A polyclinic only borrows on a half-day it already works (the slots and opening hours of the
  other half stay as they are) and keeps at least one doctor on every half-day it works.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.errors import InputError
from polyslot.staffing import HALVES, half_of
from polyslot.template import WEEKDAYS

__all__ = [
    "half_sessions",
    "session_counts",
    "changed_sessions",
    "changed_model",
    "roster_rows",
    "hhmm",
]


def hhmm(minute: int) -> str:
    """``HH:MM`` (24:00 allowed)."""
    return f"{int(minute) // 60:02d}:{int(minute) % 60:02d}"


def half_sessions(
    sessions: Iterable[DoctorSession], weekday: int
) -> dict[str, list[DoctorSession]]:
    """The doctor-sessions of ``weekday`` per half-day, each list in id order."""
    out: dict[str, list[DoctorSession]] = {h: [] for h in HALVES}
    for s in sessions:
        if s.weekday == weekday:
            out[half_of(s)].append(s)
    for h in HALVES:
        out[h].sort(key=lambda s: s.session_id)
    return out


def session_counts(model: ClinicModel, weekday: int) -> dict[str, int]:
    """Doctor-sessions on duty per half-day of ``weekday``."""
    return {h: len(v) for h, v in half_sessions(model.sessions, weekday).items()}


def _typical(sessions: list[DoctorSession]) -> tuple[int, int]:
    times = Counter((s.start_minute, s.end_minute) for s in sessions)
    return min(times, key=lambda t: (-times[t], t[0], -t[1]))


def changed_sessions(
    sessions: Iterable[DoctorSession], weekday: int, change: Mapping[str, int]
) -> tuple[tuple[DoctorSession, ...], tuple[DoctorSession, ...], tuple[str, ...]]:
    """``sessions`` with ``change[half]`` doctor-sessions more (negative: fewer) on ``weekday``.

    Returns the new sessions, the added ones and the ids of the removed ones.

    Raises
    ------
    InputError
        A half-day the polyclinic does not work gets a doctor, or would keep none.
    """
    sessions = tuple(sessions)
    halves = half_sessions(sessions, weekday)
    taken = {s.session_id for s in sessions}
    added: list[DoctorSession] = []
    removed: list[str] = []
    for h in HALVES:
        k = int(change.get(h, 0))
        have = halves[h]
        if k and not have:
            raise InputError(
                f"{WEEKDAYS[weekday]} {h}: no doctor-session today, so none can be added or taken",
                field="sessions",
                value=k,
            )
        if k < 0:
            if -k >= len(have):
                raise InputError(
                    f"{WEEKDAYS[weekday]} {h}: {len(have)} doctor-sessions today; at least one "
                    "must stay",
                    field="sessions",
                    value=k,
                )
            removed += [s.session_id for s in have[len(have) + k:]]
        elif k > 0:
            start, end = _typical(have)
            j = 0
            for _ in range(k):
                j += 1
                while f"{WEEKDAYS[weekday]}-{h}-net{j}" in taken:
                    j += 1
                sid = f"{WEEKDAYS[weekday]}-{h}-net{j}"
                taken.add(sid)
                added.append(DoctorSession(weekday, sid, start, end))
    gone = set(removed)
    kept = tuple(s for s in sessions if s.session_id not in gone)
    return kept + tuple(added), tuple(added), tuple(removed)


def changed_model(
    model: ClinicModel, weekday: int, am: int = 0, pm: int = 0
) -> tuple[ClinicModel, tuple[DoctorSession, ...], tuple[str, ...]]:
    """A copy of ``model`` with ``am`` / ``pm`` doctor-sessions more (negative: fewer) on
    ``weekday`` (see :func:`changed_sessions`); the added sessions and the removed ids."""
    sessions, added, removed = changed_sessions(model.sessions, weekday, {"AM": am, "PM": pm})
    if not added and not removed:
        return model, (), ()
    return dataclasses.replace(model, sessions=sessions), added, removed


def roster_rows(polyclinic_id: str, sessions: Iterable[DoctorSession]) -> list[dict[str, object]]:
    """One row per weekday and duty period: ``polyclinic_id``, ``weekday``, ``start_time``,
    ``end_time``, ``doctors`` (the roster table's columns with the weekday for the date)."""
    count = Counter((s.weekday, s.start_minute, s.end_minute) for s in sessions)
    return [
        {
            "polyclinic_id": polyclinic_id,
            "weekday": d,
            "start_time": hhmm(a),
            "end_time": hhmm(b),
            "doctors": n,
        }
        for (d, a, b), n in sorted(count.items())
    ]
