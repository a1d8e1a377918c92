"""Intraday profiles: preferred hours of booked requests and walk-in arrivals.

Preference: the share of a visit type's booked appointments (attended, no-show, cancelled) on
a weekday that fall in each clock hour (a proxy for preferred times: bookings can only land
where the template has slots). Walk-ins: walk-in arrivals (``arrival_ts``, else
``consult_start_ts``) per weekday x hour divided by the number of open days of that weekday.
"""

from __future__ import annotations

from polyslot.clinic_model import HourlyValue
from polyslot.data.store import Connection

__all__ = ["preference_shares", "walk_in_rates"]


def preference_shares(con: Connection) -> dict[str, list[HourlyValue]]:
    """``{polyclinic: [HourlyValue(weekday, hour, share, visit_type)]}``."""
    rows = con.execute(
        """
        WITH c AS (SELECT polyclinic_id, visit_type, wd, hour, n FROM agg_preference)
        SELECT polyclinic_id, visit_type, wd, hour,
               n / sum(n) OVER (PARTITION BY polyclinic_id, visit_type, wd)
        FROM c ORDER BY 1, 2, 3, 4
        """
    ).fetchall()
    out: dict[str, list[HourlyValue]] = {}
    for pc, vt, wd, hour, share in rows:
        out.setdefault(pc, []).append(HourlyValue(int(wd), int(hour), float(share), str(vt)))
    return out


def walk_in_rates(con: Connection) -> dict[str, list[HourlyValue]]:
    """``{polyclinic: [HourlyValue(weekday, hour, mean walk-ins per open day)]}``."""
    rows = con.execute(
        """
        WITH open AS (
            SELECT polyclinic_id, isodow(d) - 1 AS wd, count(*) AS nd
            FROM agg_open_days GROUP BY ALL),
        w AS (SELECT polyclinic_id, wd, hour, n FROM agg_walk_ins)
        SELECT w.polyclinic_id, w.wd, w.hour, w.n / open.nd
        FROM w JOIN open USING (polyclinic_id, wd) ORDER BY 1, 2, 3
        """
    ).fetchall()
    out: dict[str, list[HourlyValue]] = {}
    for pc, wd, hour, v in rows:
        out.setdefault(pc, []).append(HourlyValue(int(wd), int(hour), round(float(v), 6)))
    return out
