"""The aggregates behind the clinic day as a whole (:mod:`polyslot.estimate.complete`).

Part of the SQL of :mod:`polyslot.estimate.aggregates` (same two dialects, integer counts):

* ``agg_cancellations``: per polyclinic x visit type, the bookings (attended, no-show,
  cancelled) and the cancelled ones;
* ``agg_overtaking``: per polyclinic, the visits that waited more than a minute and those of
  them overtaken: someone who arrived later (same day) started more than a minute earlier. A
  pooled first-come-first-served queue overtakes nobody; per-doctor queues do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyslot.estimate.aggregates import Dialect

__all__ = ["CLINIC_DAY_AGGREGATES", "clinic_day_sql"]

CLINIC_DAY_AGGREGATES = ("agg_cancellations", "agg_overtaking")


def clinic_day_sql(d: Dialect, name: str) -> str:
    """The SQL of aggregate ``name`` (one of :data:`CLINIC_DAY_AGGREGATES`) in dialect ``d``."""
    if name == "agg_cancellations":
        return (
            "SELECT polyclinic_id, visit_type, "
            "CAST(sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS cancelled, "
            "CAST(count(*) AS BIGINT) AS booked FROM attendances "
            "WHERE status IN ('attended', 'no_show', 'cancelled') GROUP BY 1, 2"
        )
    if name != "agg_overtaking":
        raise ValueError(f"unknown aggregate {name!r}")
    a = f"({d.micros('arrival_ts')} / 60000000.0)"
    st = f"({d.micros('consult_start_ts')} / 60000000.0)"
    return f"""
        WITH p AS (
            SELECT polyclinic_id, CAST(arrival_ts AS DATE) AS d, {a} AS a, {st} AS s
            FROM attendances
            WHERE status IN ('attended', 'walk_in') AND arrival_ts IS NOT NULL
              AND consult_start_ts IS NOT NULL AND consult_start_ts >= arrival_ts),
        q AS (
            SELECT polyclinic_id, a, s,
                   min(s) OVER (PARTITION BY polyclinic_id, d ORDER BY a, s
                                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later
            FROM p)
        SELECT polyclinic_id,
               CAST(sum(CASE WHEN s - a > 1 THEN 1 ELSE 0 END) AS BIGINT) AS waited,
               CAST(sum(CASE WHEN s - a > 1 AND later < s - 1 THEN 1 ELSE 0 END) AS BIGINT)
                   AS overtaken
        FROM q GROUP BY 1"""
