"""The current slot template of each polyclinic.

Given SLOT_TEMPLATE, it is taken as is (a row with ``count = c`` and no doctor session becomes
``c`` parallel slots in sessions ``<Day>-S<k>``). Otherwise it is inferred from history:

* a slot (weekday, start minute, visit type, parallel index k) exists when at least k booked
  appointments (attended, no-show or cancelled) of that visit type were made at that exact
  time on at least ``template_min_share`` of the open days of that weekday (days with any
  booked appointment);
* its length is the modal gap between consecutive appointment times of the same doctor on the
  same day after an appointment of that visit type, or, without doctor ids, the mean
  consultation time of the visit type rounded up to 5 minutes;
* its doctor session is ``<Day>-<AM|PM>-I<k>`` (AM before noon).
"""

from __future__ import annotations

import math

import numpy as np

from polyslot.data.store import Connection, has_table, table_columns
from polyslot.estimate.staffing import MINUTE_SQL
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = ["given_templates", "inferred_templates"]


def given_templates(con: Connection) -> dict[str, SlotTemplate]:
    """Templates from the ``slot_template`` table, per polyclinic (empty dict if absent)."""
    if not has_table(con, "slot_template"):
        return {}
    cols = set(table_columns(con, "slot_template"))
    sess = "doctor_session" if "doctor_session" in cols else "NULL"
    cnt = "coalesce(count, 1)" if "count" in cols else "1"
    rows = con.execute(
        f"""SELECT polyclinic_id, weekday, {MINUTE_SQL("start_time")}, duration_minutes,
                   visit_type, {sess}, {cnt}
            FROM slot_template ORDER BY 1, 2, 3"""
    ).fetchall()
    slots: dict[str, list[Slot]] = {}
    for pc, wd, start, dur, vt, ds, c in rows:
        for k in range(int(c)):
            sid = ds if ds is not None and int(c) == 1 else f"{WEEKDAYS[int(wd)]}-S{k + 1:02d}"
            if ds is not None and int(c) > 1:
                sid = f"{ds}-{k + 1}"
            slots.setdefault(pc, []).append(Slot(int(wd), int(start), int(dur), str(vt), sid))
    return {pc: SlotTemplate(pc, tuple(s), 60, "current") for pc, s in slots.items()}


def _durations(con: Connection) -> dict[tuple[str, str], int]:
    gaps = con.execute(
        # the most frequent gap; ties go to the shorter gap
        "SELECT polyclinic_id, visit_type, arg_max(gap, n * 100000 - gap) FROM agg_gaps "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    out = {(pc, vt): int(g) for pc, vt, g in gaps}
    for pc, vt, m in con.execute(
        "SELECT polyclinic_id, visit_type, CAST(s1 AS DOUBLE) / n FROM agg_duration_moments "
        "ORDER BY ALL"
    ).fetchall():
        out.setdefault((pc, vt), max(5, int(math.ceil(m / 5.0)) * 5))
    return out


def inferred_templates(con: Connection, min_share: float) -> dict[str, SlotTemplate]:
    """Templates inferred from booked appointment times (rule in the module docstring)."""
    rows = con.execute(
        """
        WITH per AS (SELECT polyclinic_id, wd, m, visit_type, d, c FROM agg_slot_days),
        days AS (SELECT polyclinic_id, wd, count(DISTINCT d) AS nd FROM per GROUP BY ALL)
        SELECT per.polyclinic_id, per.wd, per.m, per.visit_type, list(per.c ORDER BY per.c) AS cs,
               any_value(days.nd) AS nd
        FROM per JOIN days USING (polyclinic_id, wd) GROUP BY ALL ORDER BY 1, 2, 3, 4
        """
    ).fetchall()
    durations = _durations(con)
    slots: dict[str, list[Slot]] = {}
    for pc, wd, m, vt, cs, nd in rows:
        counts = np.zeros(int(nd), dtype=int)
        counts[: len(cs)] = cs
        counts = np.sort(counts)[::-1]
        need = max(1, int(math.ceil(min_share * nd)))
        k = int(counts[need - 1]) if need <= counts.size else 0
        part = "AM" if m < 720 else "PM"
        for i in range(k):
            slots.setdefault(pc, []).append(
                Slot(
                    int(wd),
                    int(m),
                    durations.get((pc, vt), 15),
                    str(vt),
                    f"{WEEKDAYS[int(wd)]}-{part}-I{i + 1:02d}",
                )
            )
    return {pc: SlotTemplate(pc, tuple(s), 60, "current") for pc, s in slots.items()}
