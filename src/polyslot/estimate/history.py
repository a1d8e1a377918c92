"""What the history of each polyclinic holds: its known fields and its sessions per weekday.

* **Known fields** (``agg_history_fields``): a field is known at a polyclinic when at least
  one of its rows has a value. A consultation log, for example, knows consultation starts,
  ends and durations but no booking, appointment or arrival time; estimation then plans from
  what it has (docs/estimation.md) and records the fields in ``meta["history_fields"]`` so
  that later stages check only what can be checked.
* **Sessions per weekday** (``agg_day_times``): a session of the history is a half-day (before
  or after noon) of a date with at least one attendance (by its appointment, arrival or
  consultation start time). A weekday with fewer sessions than ``min_weekday_sessions`` is not
  planned as a regular weekday: its demand, template and sessions are left out of the model
  and it is named, with the reason, in ``meta["unplanned_weekdays"]``.
"""

from __future__ import annotations

import pandas as pd

from polyslot.data.store import Connection
from polyslot.estimate.aggregates import HISTORY_FIELDS
from polyslot.template import WEEKDAYS

__all__ = [
    "history_fields",
    "status_counts",
    "day_times",
    "history_sessions",
    "unplanned_weekdays",
]

#: A session of the history before this minute of the day is a morning session.
NOON = 720


def history_fields(con: Connection) -> dict[str, dict[str, bool]]:
    """``{polyclinic: {field: known}}`` for every field of :data:`HISTORY_FIELDS`."""
    cols = ", ".join(f"sum({c})" for c in HISTORY_FIELDS)
    rows = con.execute(
        f"SELECT polyclinic_id, {cols} FROM agg_history_fields GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return {
        str(r[0]): {f: bool(int(n or 0) > 0) for f, n in zip(HISTORY_FIELDS, r[1:], strict=True)}
        for r in rows
    }


def status_counts(con: Connection) -> pd.DataFrame:
    """Rows per polyclinic x visit type and status (columns ``attended``, ``no_show``,
    ``cancelled``, ``walk_in``)."""
    return con.execute(
        "SELECT polyclinic_id, visit_type, attended, no_show, cancelled, walk_in "
        "FROM agg_history_fields ORDER BY ALL"
    ).df()


def day_times(con: Connection) -> pd.DataFrame:
    """Attendances (``n``) and booked ones (``booked``) per polyclinic, date (``d``), weekday
    (``wd``) and 5-minute time of day (``m``, minutes after midnight)."""
    frame = con.execute("SELECT polyclinic_id, d, wd, m, n, booked FROM agg_day_times").df()
    frame["d"] = pd.to_datetime(frame["d"])
    return frame


def history_sessions(times: pd.DataFrame) -> dict[str, dict[int, int]]:
    """``{polyclinic: {weekday: sessions in the history}}`` from :func:`day_times`."""
    act = times[times["n"] > 0]
    halves = act.assign(pm=act["m"] >= NOON)[["polyclinic_id", "wd", "d", "pm"]]
    per = halves.drop_duplicates().groupby(["polyclinic_id", "wd"]).size()
    out: dict[str, dict[int, int]] = {}
    for (pc, wd), n in per.items():
        out.setdefault(str(pc), {})[int(wd)] = int(n)
    return out


def unplanned_weekdays(
    sessions: dict[str, dict[int, int]], min_sessions: int
) -> dict[str, dict[str, str]]:
    """``{polyclinic: {"Sat": reason}}``: the weekdays with fewer history sessions than
    ``min_sessions`` (weekdays never open are not named)."""
    out: dict[str, dict[str, str]] = {}
    for pc, per in sorted(sessions.items()):
        for wd, n in sorted(per.items()):
            if n < min_sessions:
                what = "session" if n == 1 else "sessions"
                out.setdefault(pc, {})[WEEKDAYS[wd]] = (
                    f"{n} {what} in the history (fewer than min_weekday_sessions = {min_sessions})"
                )
    return out
