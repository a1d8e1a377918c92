"""Cross-table check: every visit type a slot template reserves must occur in the history."""

from __future__ import annotations

from polyslot.data.store.completion import known_visit_types, unknown_template_visit_types
from polyslot.data.store.files import Connection
from polyslot.errors import DataError
from polyslot.template import ANY_VISIT_TYPE

__all__ = ["check_template_visit_types"]


def check_template_visit_types(con: Connection, source: str) -> None:
    """Raise when a ``slot_template`` visit type never occurs in ``attendances``.

    Empty and ``any`` (any case) are unreserved slots and always accepted. The message names
    the template file (``source``), the value and the visit types the history knows.

    Raises
    ------
    polyslot.errors.DataError
    """
    unknown = unknown_template_visit_types(con)
    if not unknown:
        return
    known = known_visit_types(con)
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    raise DataError(
        f"value {unknown[0]!r}{more} never occurs in the attendances; known visit types: "
        f"{', '.join(known) or '(none)'}; use one of them, or empty / {ANY_VISIT_TYPE!r} for "
        "a slot open to every visit type",
        source=source,
        field="visit_type",
        value=unknown[0],
    )
