"""Cross-table check: every visit type a slot template reserves must occur in the history."""

from __future__ import annotations

import duckdb

from polyslot.errors import DataError
from polyslot.template import ANY_VISIT_TYPE

__all__ = ["check_template_visit_types"]


def check_template_visit_types(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Raise when a ``slot_template`` visit type never occurs in ``attendances``.

    Empty and ``any`` (any case) are unreserved slots and always accepted. The message names
    the template file (``source``), the value and the visit types the history knows.

    Raises
    ------
    polyslot.errors.DataError
    """
    cols = {r[0] for r in con.execute("DESCRIBE slot_template").fetchall()}
    if "visit_type" not in cols:
        return
    unknown = [
        r[0]
        for r in con.execute(
            """SELECT DISTINCT trim(t.visit_type) AS v FROM slot_template t
               WHERE t.visit_type IS NOT NULL AND trim(t.visit_type) <> ''
                 AND lower(trim(t.visit_type)) <> ?
                 AND trim(t.visit_type) NOT IN (
                     SELECT DISTINCT visit_type FROM attendances WHERE visit_type IS NOT NULL)
               ORDER BY v""",
            [ANY_VISIT_TYPE],
        ).fetchall()
    ]
    if not unknown:
        return
    known = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT visit_type FROM attendances WHERE visit_type IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    raise DataError(
        f"value {unknown[0]!r}{more} never occurs in the attendances; known visit types: "
        f"{', '.join(known) or '(none)'}; use one of them, or empty / {ANY_VISIT_TYPE!r} for "
        "a slot open to every visit type",
        source=source,
        field="visit_type",
        value=unknown[0],
    )
