"""A roster inferred from consultation activity, for exports that come without one.

Doctors on duty per polyclinic, date and half-day (morning / afternoon):

* **half-days**: per polyclinic and weekday, the day is split at the start of the longest
  stretch between 11:00 and 15:00 in which no appointment (or, without appointments, no
  consultation) ever starts: the lunch break; 12:00 when there is none. With a facility table
  whose opening hours have a break that day (``08:00-12:00,13:00-17:00``), the split is the
  end of that break;
* **doctors**, by one of :data:`METHODS`:

  - ``doctor_id``: the distinct ``doctor_id`` seen in that half-day, when the polyclinic
    records doctor ids;
  - ``concurrent_consultations``: the most consultations running at the same time
    (``consult_start_ts`` to ``consult_end_ts``, overlaps shorter than ``OVERLAP_GRACE`` = 2
    minutes ignored) *over all dates of that weekday and half-day*: the largest peak reached on
    at least ``PEAK_DATES`` = 2 of them (on one date doctors are often idle at the same time,
    so a single date's peak undercounts them); a date whose own peak is higher keeps it. A
    date with a queue (a patient who arrived after the half-day's first consultation and was
    called ``QUEUE_WAIT`` = 5 minutes or more later) takes the consultations running when that
    patient was called instead (every doctor present was busy then; at most the pooled peak,
    at least the date's own peak): this sees a doctor absent that day, which the pooled peak
    cannot;
  - ``concurrent_consultations_and_facility``: the same, capped by the facility's doctors on
    duty at most;

  at least 1 on a half-day with any activity;
* **period**: the same on every date of a polyclinic x weekday x half-day, so the typical
  sessions are stable: from the first appointment time of at least 20 % of the dates
  (its 20th percentile, rounded down to 15 minutes) to the 80th percentile of the last
  appointment time plus the usual slot length (the modal gap between consecutive
  appointment times of a day), rounded up to 15 minutes. Without appointment times, the same
  percentiles of the first consultation start and last consultation end. With a facility
  table, the period is limited to the opening hours of that weekday and half-day (a period
  wholly outside them is kept and listed under ``outside_opening_hours``).

The rows go into the store's ``roster`` table with the extra column ``inferred_from`` (the
method), so every later stage (estimation, hold-out replay) reads it like a supplied roster and
can tell it was inferred. The SQL that reads the activity and writes the table is
:mod:`polyslot.data.store.completion`'s; this module keeps the rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from polyslot.data.store.completion import (
    activity_minutes,
    busy_when_called,
    facility_limits,
    half_day_activity,
    write_inferred_roster,
)
from polyslot.data.store.files import Connection

__all__ = [
    "INFERRED_COLUMN",
    "METHODS",
    "RULE",
    "OVERLAP_GRACE",
    "PEAK_DATES",
    "QUEUE_WAIT",
    "infer_roster",
    "pooled_peak",
]

#: Extra column of an inferred roster naming the evidence of each row.
INFERRED_COLUMN = "inferred_from"
#: How the doctors of a polyclinic were inferred (``data_quality.json`` repeats these).
METHODS: dict[str, str] = {
    "doctor_id": "distinct doctor ids per date and half-day",
    "concurrent_consultations": "the most consultations running at once over all dates of "
    "that weekday and half-day (the largest peak reached on at least 2 dates); on a date with "
    "a queue, the consultations running when a waiting patient was called",
    "concurrent_consultations_and_facility": "the most consultations running at once over all "
    "dates of that weekday and half-day (on a date with a queue, those running when a waiting "
    "patient was called), capped by the facility table's doctors; periods limited to its "
    "opening hours",
}
RULE = (
    "doctors per date and half-day = distinct doctor_id, or, without doctor ids, the most "
    "consultations overlapping by 2 minutes or more over all dates of that weekday and "
    "half-day (the largest peak reached on at least 2 dates; on a date with a queue, the "
    "consultations running when a patient who waited 5 minutes or more was called; capped by "
    "the facility table's doctors when there is one), at least 1 on a half-day with activity; "
    "period = 20th "
    "percentile of the first appointment to 80th percentile of the last appointment + modal "
    "slot gap, per weekday and half-day (15-minute steps; within the facility's opening hours)"
)
#: Consultations overlapping by less than this many minutes do not count as concurrent
#: (a doctor's next consultation may start before the last one is recorded as ended).
OVERLAP_GRACE = 2
#: The pooled peak of a weekday x half-day is the largest reached on at least this many dates
#: (one odd date does not set it).
PEAK_DATES = 2
#: A patient called this many minutes or more after arriving waited in a queue: every doctor
#: present was busy when they were called.
QUEUE_WAIT = 5
#: A period starts at the first appointment time of this share of the dates (and ends at the
#: last one of 1 - this share): an unbooked first or last slot on some days does not move it.
EDGE_SHARE = 0.2
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _activity_splits(act: pd.DataFrame) -> pd.DataFrame:
    """Lunch split minute per polyclinic x weekday from the minutes that ever hold activity."""
    rows = []
    for (pc, wd), g in act.groupby(["pc", "wd"], sort=True):
        used = set(g["m"].astype(int))
        best, best_len, run_start = 720, 0, None
        for m in range(660, 901):
            if m not in used and m < 900:
                run_start = m if run_start is None else run_start
                continue
            if run_start is not None and m - run_start > best_len:
                best, best_len = run_start, m - run_start
            run_start = None
        rows.append((pc, int(wd), best if best_len >= 15 else 720))
    return pd.DataFrame(rows, columns=["pc", "wd", "split"])


def _facility_split(intervals: list[tuple[int, int]]) -> int | None:
    """The end of the longest break between open intervals that starts 11:00-15:00 (None
    without one)."""
    gaps = [
        (b[0] - a[1], b[0])
        for a, b in zip(intervals, intervals[1:], strict=False)
        if 660 <= a[1] <= 900 and b[0] > a[1]
    ]
    return max(gaps)[1] if gaps else None


def _splits(act: pd.DataFrame, hours: pd.DataFrame) -> pd.DataFrame:
    """Split minute per polyclinic x weekday: the facility's break, else the activity's."""
    splits = _activity_splits(act)
    if hours.empty:
        return splits
    by_day = {
        (str(pc), int(wd)): sorted(zip(g["s"].astype(int), g["e"].astype(int), strict=True))
        for (pc, wd), g in hours.groupby(["pc", "wd"])
    }
    for i, r in splits.iterrows():
        split = _facility_split(by_day.get((str(r["pc"]), int(r["wd"])), []))
        if split is not None:
            splits.at[i, "split"] = split
    return splits


def _slot_gap(act: pd.DataFrame) -> dict[str, int]:
    """Modal gap (minutes) between consecutive appointment times of a day, per polyclinic."""
    out = {}
    booked = act[act["booked"]]
    for pc, g in booked.groupby("pc", sort=True):
        m = g.sort_values(["d", "m"])
        gaps = m.groupby("d")["m"].diff().dropna()
        gaps = gaps[(gaps > 0) & (gaps <= 120)].astype(int)
        out[str(pc)] = int(gaps.value_counts().sort_index().idxmax()) if len(gaps) else 15
    return out


def pooled_peak(peaks: np.ndarray) -> int:
    """The largest of the per-date peaks ``peaks`` reached on at least :data:`PEAK_DATES`
    dates (the largest when there are fewer dates)."""
    top = np.sort(np.asarray(peaks, dtype=float))[::-1]
    if not len(top):
        return 0
    return int(top[min(PEAK_DATES, len(top)) - 1])


def _period(g: pd.DataFrame, gap: int) -> tuple[int, int]:
    """The period (start, end minute) of one polyclinic x weekday x half-day."""
    if g["first_b"].notna().any():
        start = float(np.nanquantile(g["first_b"].astype(float), EDGE_SHARE))
        end = float(np.nanquantile(g["last_b"].astype(float), 1 - EDGE_SHARE)) + gap
    else:
        start = float(np.nanquantile(g["first_c"].astype(float), EDGE_SHARE))
        end = float(np.nanquantile(g["last_c"].astype(float), 1 - EDGE_SHARE))
    s = int(start // 15 * 15)
    return s, int(min(1440, max(s + 15, -(-end // 15) * 15)))


def _opening(hours: pd.DataFrame, pc: str, wd: int, half: int, split: int) -> tuple[int, int]:
    """The span of the facility's open intervals in that half-day ((-1, -1): none)."""
    h = hours[(hours["pc"].astype(str) == pc) & (hours["wd"] == wd)]
    h = h[h["s"] < split] if half == 0 else h[h["e"] > split]
    if h.empty:
        return -1, -1
    return int(h["s"].min()), int(h["e"].max())


def _session_key(wd: int, half: int) -> str:
    return f"{_WEEKDAYS[wd]}-{'AM' if half == 0 else 'PM'}"


def infer_roster(con: Connection, table: str = "roster") -> dict[str, Any] | None:
    """Create ``table`` from the ``attendances`` of ``con`` (and its ``facility`` tables, when
    ingest stored some); return what to report, or None.

    Returns None (and creates nothing) when no attendance has a usable time.
    """
    act = activity_minutes(con)
    if act.empty:
        return None
    cap, hours = facility_limits(con)
    gap = _slot_gap(act)
    splits = _splits(act, hours)
    split_of = {(str(r.pc), int(r.wd)): int(r.split) for r in splits.itertuples()}
    per_half = half_day_activity(con, splits, OVERLAP_GRACE).merge(
        busy_when_called(con, splits, QUEUE_WAIT), on=["pc", "d", "half"], how="left"
    )
    has_ids = per_half.groupby("pc")["nid"].max() > 0
    with_hours = set(hours["pc"].astype(str))
    described = set(cap) | with_hours
    rows: list[tuple] = []
    sessions: dict[str, dict[str, dict[str, Any]]] = {}
    outside: list[str] = []
    for (pc, wd, half), g in per_half.groupby(["pc", "wd", "half"], sort=True):
        pc, wd, half = str(pc), int(wd), int(half)
        s, e = _period(g, gap.get(pc, 15))
        o_start, o_end = _opening(hours, pc, wd, half, split_of.get((pc, wd), 720))
        if o_start >= 0 and max(s, o_start) < min(e, o_end):
            s, e = max(s, o_start), min(e, o_end)
        elif o_start >= 0 or pc in with_hours:
            outside.append(f"{pc} {_session_key(wd, half)}")
        if bool(has_ids.get(pc, False)):
            method, doctors = "doctor_id", g["nid"].astype(int).to_numpy()
        else:
            method = "concurrent_consultations"
            if pc in described:
                method = "concurrent_consultations_and_facility"
            nc = g["nc"].astype(int).to_numpy()
            pooled = pooled_peak(nc)
            busy = g["busy"].to_numpy(dtype=float)
            queued = np.minimum(pooled, np.nan_to_num(busy, nan=pooled)).astype(int)
            doctors = np.maximum(nc, queued)
            if pc in cap:
                doctors = np.minimum(doctors, cap[pc])
        doctors = np.maximum(doctors, 1)
        sessions.setdefault(pc, {})[_session_key(wd, half)] = {
            "start": _hhmm(s),
            "end": _hhmm(e),
            "doctors": round(float(doctors.mean()), 2),
            "dates": len(g),
        }
        rows += [
            (pc, d, _hhmm(s), _hhmm(e), int(n), method)
            for d, n in zip(g["d"], doctors, strict=True)
        ]
    columns = ["polyclinic_id", "date", "start_time", "end_time", "doctors", INFERRED_COLUMN]
    frame = pd.DataFrame(rows, columns=columns).sort_values(
        ["polyclinic_id", "date", "start_time"], kind="stable"
    )
    frame.insert(0, "source_row", np.arange(1, len(frame) + 1, dtype=np.int64))
    write_inferred_roster(con, frame, table, INFERRED_COLUMN)
    methods = dict(frame.groupby("polyclinic_id")[INFERRED_COLUMN].first())
    out: dict[str, Any] = {
        "source": "inferred from attendances" + (" and the facility table" if described else ""),
        "rule": RULE,
        "rows": len(frame),
        "polyclinics": {str(k): str(v) for k, v in sorted(methods.items())},
        "methods": {m: METHODS[m] for m in sorted(set(methods.values()))},
        "sessions": sessions,
    }
    if described:
        seen = set(methods)
        out["facility"] = {
            "polyclinics": sorted(seen & described),
            "not_in_attendances": sorted(described - seen),
            "not_in_facility": sorted(seen - described),
            "outside_opening_hours": outside,
        }
    return out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
