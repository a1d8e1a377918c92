"""The span of a doctor session given only by its slots (first start, last end).

Every stage that evaluates a template's sessions builds its clinic day with
:func:`polyslot.day.build_day`; this helper remains for estimation, which turns a supplied
template's sessions into duty periods.
"""

from __future__ import annotations

from collections.abc import Iterable

from polyslot.template import Slot

__all__ = ["slot_span"]


def slot_span(slots: Iterable[Slot]) -> tuple[int, int]:
    """``(start, end)`` minutes of a session given only by its slots: first start, last end."""
    group = list(slots)
    if not group:
        raise ValueError("a session needs at least one slot")
    start = min(s.start_minute for s in group)
    end = max(s.start_minute + s.duration_minutes for s in group)
    return start, end
