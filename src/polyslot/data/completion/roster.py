"""A roster inferred from consultation activity, for exports that come without one.

Doctors on duty per polyclinic, date and half-day (morning / afternoon):

* **half-days**: per polyclinic and weekday, the day is split at the start of the longest
  stretch between 11:00 and 15:00 in which no appointment (or, without appointments, no
  consultation) ever starts: the lunch break; 12:00 when there is none;
* **doctors**: the number of distinct ``doctor_id`` seen in that half-day when the polyclinic
  records doctor ids; otherwise the most consultations running at the same time
  (``consult_start_ts`` to ``consult_end_ts``, overlaps shorter than ``OVERLAP_GRACE`` = 5
  minutes ignored); at least 1 on a half-day with any activity;
* **period**: the same on every date of a polyclinic x weekday x half-day, so the typical
  sessions are stable: from the first appointment time of at least 20 % of the dates
  (its 20th percentile, rounded down to 15 minutes) to the 80th percentile of the last
  appointment time plus the usual slot length (the modal gap between consecutive
  appointment times of a day), rounded up to 15 minutes. Without appointment times, the same
  percentiles of the first consultation start and last consultation end.

The rows go into the store's ``roster`` table with the extra column ``inferred_from``
(``doctor_id`` or ``concurrent_consultations``), so every later stage (estimation, hold-out
replay) reads it like a supplied roster and can tell it was inferred. The SQL that reads the
activity and writes the table is :mod:`polyslot.data.store.completion`'s; this module keeps the
rules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from polyslot.data.store.completion import (
    activity_minutes,
    half_day_activity,
    write_inferred_roster,
)
from polyslot.data.store.files import Connection

__all__ = ["INFERRED_COLUMN", "RULE", "infer_roster"]

#: Extra column of an inferred roster naming the evidence of each row.
INFERRED_COLUMN = "inferred_from"
RULE = (
    "doctors per date and half-day = distinct doctor_id (or, without doctor ids, the most "
    "consultations overlapping by 5 minutes or more), at least 1 on a half-day with "
    "activity; period = 20th percentile of the first appointment to 80th percentile of the "
    "last appointment + modal slot gap, per weekday and half-day (15-minute steps)"
)
#: Consultations overlapping by less than this many minutes do not count as concurrent
#: (a doctor's next consultation often starts before the last one is recorded as ended).
OVERLAP_GRACE = 5
#: A period starts at the first appointment time of this share of the dates (and ends at the
#: last one of 1 - this share): an unbooked first or last slot on some days does not move it.
EDGE_SHARE = 0.2


def _splits(act: pd.DataFrame) -> pd.DataFrame:
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


def infer_roster(con: Connection, table: str = "roster") -> dict[str, Any] | None:
    """Create ``table`` from the ``attendances`` of ``con``; return what to report, or None.

    Returns None (and creates nothing) when no attendance has a usable time.
    """
    act = activity_minutes(con)
    if act.empty:
        return None
    gap = _slot_gap(act)
    per_half = half_day_activity(con, _splits(act), OVERLAP_GRACE)
    has_ids = per_half.groupby("pc")["nid"].max() > 0
    rows = []
    for (pc, _wd, _half), g in per_half.groupby(["pc", "wd", "half"], sort=True):
        if g["first_b"].notna().any():
            start = float(np.nanquantile(g["first_b"].astype(float), EDGE_SHARE))
            end = float(np.nanquantile(g["last_b"].astype(float), 1 - EDGE_SHARE))
            end += gap.get(str(pc), 15)
        else:
            start = float(np.nanquantile(g["first_c"].astype(float), EDGE_SHARE))
            end = float(np.nanquantile(g["last_c"].astype(float), 1 - EDGE_SHARE))
        s = int(start // 15 * 15)
        e = int(min(1440, max(s + 15, -(-end // 15) * 15)))
        method = "doctor_id" if bool(has_ids.get(pc, False)) else "concurrent_consultations"
        for r in g.itertuples():
            doctors = max(1, int(r.nid) if method == "doctor_id" else int(r.nc))
            rows.append((str(pc), r.d, _hhmm(s), _hhmm(e), doctors, method))
    columns = ["polyclinic_id", "date", "start_time", "end_time", "doctors", INFERRED_COLUMN]
    frame = pd.DataFrame(rows, columns=columns).sort_values(
        ["polyclinic_id", "date", "start_time"], kind="stable"
    )
    frame.insert(0, "source_row", np.arange(1, len(frame) + 1, dtype=np.int64))
    write_inferred_roster(con, frame, table, INFERRED_COLUMN)
    methods = dict(frame.groupby("polyclinic_id")[INFERRED_COLUMN].first())
    return {
        "source": "inferred from attendances",
        "rule": RULE,
        "rows": len(frame),
        "polyclinics": {str(k): str(v) for k, v in sorted(methods.items())},
    }


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
