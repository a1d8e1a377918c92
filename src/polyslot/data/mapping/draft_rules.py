"""The guesses of ``polyslot map`` beyond naming a column: row ids, duration units, visit
counters and walk-in columns.

- **Row id**: a column is taken as ``attendance_id`` only when no value repeats on the
  profiled rows (or none repeats within a polyclinic: ``id_scope = "polyclinic"``); a patient
  id never is. Without one, ``{ row_number = true }``.
- **Duration unit**: a duration column named in seconds or hours (``ServTime_sec``,
  ``duration_hrs``), or whose values look like seconds (median of 100 or more: no
  consultation lasts 100 minutes typically) or hours (median 1 or less), gets ``unit``.
- **Visit counter**: whole numbers from 1 in a column named after visits that says it counts
  (``VisitNo``, ``visit_count``) or holds 1 on at least 5 % of the rows and values up to 3 or
  more (``Visits``): ``first_visit = ["1"]``, ``default = "revisit"``.
- **Walk-ins**: a text column other than the status whose values include a walk-in word
  (``walk``, ``unbooked``, ``emergency``, ...): a ``[[attendances.when]]`` rule setting
  ``status = "walk_in"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyslot.data.mapping.profile import ColumnProfile

__all__ = [
    "WALK_IN_WORDS",
    "WhenGuess",
    "duration_unit",
    "is_visit_counter",
    "walk_in_rules",
]

#: Words of a source value meaning the patient came without an appointment.
WALK_IN_WORDS = (
    "walk",
    "unbooked",
    "drop-in",
    "drop in",
    "emergency",
    "unscheduled",
    "no appointment",
    "without appointment",
    "same day",
)
_COUNTER_WORDS = ("no", "nr", "num", "number", "count", "seq", "sequence", "counter")


@dataclass(frozen=True)
class WhenGuess:
    """A drafted ``[[attendances.when]]`` rule."""

    column: str
    values: tuple[str, ...]
    why: str


def duration_unit(p: ColumnProfile) -> tuple[str | None, str]:
    """``(unit or None for minutes, why)`` of a duration column."""
    words = set(p.tokens)
    if words & {"sec", "secs", "second", "seconds", "s"}:
        return "seconds", f"the name {p.name!r} says seconds"
    if words & {"hour", "hours", "hr", "hrs", "h"}:
        return "hours", f"the name {p.name!r} says hours"
    if words & {"min", "mins", "minute", "minutes"}:
        return None, f"the name {p.name!r} says minutes"
    if p.numbers is None:
        return None, "minutes assumed"
    median = p.numbers[1]
    if median >= 100:
        return "seconds", f"values look like seconds (median {median:g}, max {p.numbers[2]:g})"
    if median <= 1:
        return "hours", f"values look like hours (median {median:g})"
    return None, f"values look like minutes (median {median:g})"


def is_visit_counter(p: ColumnProfile) -> bool:
    """Whether ``p`` looks like a visit counter (1 = first visit): whole numbers from 1 in a
    column named after visits (``VisitNo``, ``visit_count``, ``Visits``, ``episode``) that
    either says it counts or holds 1 on at least 5 % of the rows and values up to 3 or more."""
    if p.kind != "number" or not p.whole or p.numbers is None or p.numbers[0] != 1:
        return False
    words = set(p.tokens)
    if not words & {"visit", "visits", "episode", "episodes", "attendance", "attendances"}:
        return False
    says = bool(words & set(_COUNTER_WORDS))
    share = p.ones / p.filled if p.filled else 0.0
    return says or (p.numbers[2] >= 3 and not p.unique and share >= 0.05)


def walk_in_rules(
    profiles: list[ColumnProfile], used: set[str], status: str | None
) -> list[WhenGuess]:
    """``when`` rules for the text columns beside ``status`` that flag walk-ins."""
    if status is None:
        return []
    out = []
    for p in profiles:
        if p.name in used or p.name == status or not p.vocabulary or p.kind != "text":
            continue
        hits = tuple(
            v for v, _ in p.vocabulary if any(w in v.strip().lower() for w in WALK_IN_WORDS)
        )
        if hits and len(hits) < len(p.vocabulary):
            values = ", ".join(repr(v) for v in hits)
            out.append(
                WhenGuess(
                    p.name,
                    hits,
                    f"{p.name!r} holds {values} beside the status column {status!r}: those "
                    "rows are walk-ins (their appointment time is cleared)",
                )
            )
    return out
