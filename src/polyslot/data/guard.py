"""The quarantine guard: stop when too many of a table's rows are quarantined, and say why.

When more than ``max_quarantine_share`` of a table's rows (read minus excluded) are
quarantined, ingest stops with one line naming the top reason, its column, an example value
and the likely fix, e.g. ``appointment_ts: 10,512 of 14,129 rows hold a clock time without a
date; map it as [date column, time column]``. The counts come from the quarantine staging
table: the column blamed is the one that is really empty when a value is missing (``booking_ts:
3,319 of 3,319 rows are empty (with status=attended)``), else the first column quoted in each
row's ``detail``.
"""

from __future__ import annotations

import re

from polyslot.data.schema import STATUSES, get_spec
from polyslot.data.stage import TableCounts
from polyslot.data.store.files import Connection

__all__ = ["DEFAULT_MAX_QUARANTINE_SHARE", "guard_message", "likely_fix"]

DEFAULT_MAX_QUARANTINE_SHARE = 0.05

_CLOCK = re.compile(r"^\s*\d{1,2}[:.]\d{2}([:.]\d{2})?\s*$")
_SLASHED = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")


def _date_format_hint(value: str) -> str:
    m = _SLASHED.match(value)
    if not m:
        return 'add its format to timestamp_formats (strftime, e.g. "%d/%m/%Y %H:%M")'
    a, b, c = (int(x) for x in m.groups())
    sep = value.strip()[len(m.group(1))]
    clock = " %H:%M" if re.search(r"\d:\d{2}", value) else ""
    if a > 31:
        fmt = f"%Y{sep}%m{sep}%d"
    elif b > 12 >= a:
        fmt = f"%m{sep}%d{sep}%Y"
    else:
        fmt = f"%d{sep}%m{sep}%Y"
    year = "%y" if c < 100 and a <= 31 else None
    if year:
        fmt = fmt.replace("%Y", year)
    return f'add timestamp_formats = ["{fmt}{clock}"] (check day and month order)'


def likely_fix(table: str, reason: str, column: str, value: str, id_scope: str) -> tuple[str, str]:
    """``(what the rows hold, the likely fix)`` for the top quarantine reason."""
    section = f"[{table}.columns]"
    if reason == "unparseable_timestamp":
        if _CLOCK.match(value):
            return "hold a clock time without a date", "map it as [date column, time column]"
        return "hold dates that are not ISO 8601", _date_format_hint(value)
    if reason == "unknown_status":
        return (
            f"hold a status other than {', '.join(STATUSES)}",
            f"recode it under [{table}.values.status] (or list it under exclude)",
        )
    if reason in ("duplicate_attendance_id", "duplicate_key"):
        if id_scope != "polyclinic" and column == "attendance_id":
            return (
                "repeat an id of an earlier row",
                f'if ids restart per polyclinic, set id_scope = "polyclinic" under [{table}]',
            )
        return "repeat the key of an earlier row", "check the export for rows sent twice"
    if reason in ("missing_required_field", "missing_appointment") and _may_be_unknown(
        table, column
    ):
        return (
            "are empty",
            f"map it in {section} to the source column that holds it; if the export has no "
            f"{column} at all, leave it out of the mapping (unknown for every row, never a "
            "reason to quarantine)",
        )
    if reason == "missing_required_field":
        return (
            "are empty",
            f'map it in {section} to a source column or a constant {{ value = "..." }}',
        )
    if reason == "inconsistent_status" and _may_be_unknown(table, column) and not value:
        return (
            "are empty although their status needs them",
            f"check the status recoding and {column} in {section}; if the export has no "
            f"{column} at all, leave it out of the mapping (unknown for every row)",
        )
    if reason in ("unparseable_number", "unparseable_time", "invalid_weekday"):
        return "cannot be parsed", f"check which source column {section} maps to it"
    if reason in ("inconsistent_status", "missing_appointment"):
        return (
            "contradict their status",
            f"check the status recoding and the timestamp columns in {section}",
        )
    return "break the rule " + reason, "see the quarantine detail"


def _may_be_unknown(table: str, column: str) -> bool:
    """Whether ``column`` may be left out of a mapping (a nullable contract column)."""
    try:
        return get_spec(table).column(column).nullable
    except KeyError:
        return False


#: Per quarantined row: its reason, the column to blame (the empty one when a value is missing,
#: else the first quoted), its value, and the first quoted column=value as context.
_BLAME = r"""
SELECT reason, col, count(*) AS n, min(val) AS val, min(ctx) AS ctx FROM (
    SELECT reason,
           CASE WHEN blame_empty THEN empty_col ELSE first_col END AS col,
           CASE WHEN blame_empty THEN '' ELSE first_val END AS val,
           CASE WHEN blame_empty AND empty_col <> first_col
                THEN first_col || '=' || first_val ELSE '' END AS ctx
    FROM (
        SELECT *, empty_col <> '' AND (
                reason IN ('missing_required_field', 'missing_appointment')
                OR (reason = 'inconsistent_status' AND first_val IN ('attended', 'walk_in'))
               ) AS blame_empty
        FROM (
            SELECT reason,
                   regexp_extract(detail, '^[a-z_]+: ([A-Za-z0-9_]+)', 1) AS first_col,
                   regexp_extract(detail, '^[a-z_]+: [A-Za-z0-9_]+=''?([^,;'']*)', 1)
                       AS first_val,
                   regexp_extract(detail, '^[a-z_]+: [^;]*?\b([A-Za-z0-9_]+)=empty\b', 1)
                       AS empty_col
            FROM {staging})))
GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 1
"""


def guard_message(
    con: Connection,
    staging: str,
    counts: TableCounts,
    max_share: float,
    *,
    id_scope: str = "network",
    quarantine_file: str = "quarantine.csv",
) -> str | None:
    """The guard's one line for a table, or None when its quarantine share is allowed."""
    total = counts.read - counts.excluded
    if total <= 0 or counts.quarantined <= max_share * total:
        return None
    reason, column, n, value, context = con.execute(_BLAME.format(staging=staging)).fetchall()[0]
    value = (value or "").removesuffix(" first seen in an earlier row")
    holds, fix = likely_fix(counts.table, reason, column, value, id_scope)
    example = f" (e.g. {value!r})" if value else (f" (with {context})" if context else "")
    return (
        f"{counts.table}: {column or reason}: {n:,} of {total:,} rows {holds}{example}; {fix} "
        f"[{reason}; {counts.quarantined:,} rows quarantined in all, "
        f"{counts.quarantined / total:.1%} > max_quarantine_share {max_share:.0%}; "
        f"details in {quarantine_file}]"
    )
