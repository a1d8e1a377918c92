"""Guess a mapping from a profiled source (``polyslot map``); rendered by ``draft_toml``.

Each contract column is guessed from the source column names (:mod:`.draft_words`, in order of
preference) and the kind of values (:mod:`polyslot.data.mapping.profile`): timestamps take
date-time columns, or a date column paired with a clock-time column (same name stem; a
clock-time column without a date of its own is paired with the appointment's date column, or,
without an appointment, the export's date column); a column named after another moment
(consultation start, arrival, booking) is never the appointment time; ids take id-like
columns whose values never repeat (else the row number, :mod:`.draft_rules`); ``status`` and
``visit_type`` take small vocabularies (or a visit counter); durations get a unit; walk-in
columns become ``when`` rules. Status values are grouped by keywords. Every guess carries the
reason it was made, so the draft marks it for review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from polyslot.data.mapping.draft_rules import (
    WhenGuess,
    duration_unit,
    is_visit_counter,
    walk_in_rules,
)
from polyslot.data.mapping.draft_words import (
    APPOINTMENT_WORDS,
    KINDS,
    NOT_APPOINTMENT,
    PATTERNS,
    STATUS_WORDS,
)
from polyslot.data.mapping.profile import ColumnProfile
from polyslot.data.schema import TableSpec

__all__ = ["Guess", "Draft", "draft_mapping", "STATUS_WORDS", "UniqueWithin"]

_SMALL = 30
#: ``unique_within(column, polyclinic column or None)``: whether no value of ``column``
#: repeats (within a polyclinic when one is given) on the profiled rows.
UniqueWithin = Callable[[str, str | None], bool]
_DATE_NAMES = (("visit", "date"), ("date",), ("day",), ("datum",))


@dataclass(frozen=True)
class Guess:
    """One guessed contract column: a source column (with a unit), a date + clock pair, a
    constant or the row number."""

    target: str
    why: str
    source: str | None = None
    pair: tuple[str, str] | None = None
    constant: str | None = None
    unit: str | None = None
    row_number: bool = False


@dataclass
class Draft:
    """What ``polyslot map`` proposes for one table."""

    table: str
    guesses: list[Guess] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    formats_why: str = ""
    id_scope: str | None = None
    status_groups: dict[str, list[str]] = field(default_factory=dict)
    status_unplaced: list[tuple[str, int]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    visit_counter: str | None = None
    when: list[WhenGuess] = field(default_factory=list)
    derived: dict[str, str] = field(default_factory=dict)


def _match(p: ColumnProfile, target: str) -> int | None:
    """Rank of the first name pattern of ``target`` that ``p``'s name matches (lower = better)."""
    words = set(p.tokens)
    joined = "".join(p.tokens)
    for rank, pattern in enumerate(PATTERNS.get(target, ((*target.split("_"),),))):
        if all(w in words for w in pattern) or (len(pattern) > 1 and "".join(pattern) in joined):
            return rank
    return None


def _eligible(p: ColumnProfile, target: str) -> bool:
    """Whether ``p``'s name may be taken for ``target`` at all."""
    if target == "appointment_ts":
        words = set(p.tokens)
        return not (words & NOT_APPOINTMENT) or bool(words & APPOINTMENT_WORDS)
    return True


def _best(
    profiles: list[ColumnProfile], target: str, kinds: tuple[str, ...], used: set[str]
) -> ColumnProfile | None:
    found = []
    for i, p in enumerate(profiles):
        if p.name in used or p.kind not in kinds or not _eligible(p, target):
            continue
        rank = _match(p, target)
        if rank is not None and (target not in ("status", "visit_type") or p.distinct <= _SMALL):
            found.append((rank, i, p))
    return min(found, key=lambda t: (t[0], t[1]))[2] if found else None


def _main_date(profiles: list[ColumnProfile], used: set[str]) -> ColumnProfile | None:
    """The export's date column (``Date``, ``visit_date``) when there is no appointment."""
    for pattern in _DATE_NAMES:
        for p in profiles:
            if p.name not in used and p.kind == "date" and all(w in p.tokens for w in pattern):
                return p
    return None


def _timestamp(
    target: str, profiles: list[ColumnProfile], used: set[str], main_date: ColumnProfile | None
) -> Guess | None:
    full = _best(profiles, target, ("datetime",), used)
    if full is not None:
        return Guess(
            target, f"name {full.name!r}, date-times such as {full.samples[0]!r}", source=full.name
        )
    clock = _best(profiles, target, ("time",), used)
    date = _best(profiles, target, ("date",), used)
    if clock is not None:
        day = date or main_date
        if day is None:
            return None
        return Guess(
            target,
            f"clock times in {clock.name!r} (e.g. {clock.samples[0]!r}) on the dates of "
            f"{day.name!r} (e.g. {day.samples[0]!r})",
            pair=(day.name, clock.name),
        )
    if date is not None and (target != "appointment_ts" or set(date.tokens) & APPOINTMENT_WORDS):
        return Guess(
            target, f"name {date.name!r}, dates only (no clock time found)", source=date.name
        )
    return None


def _group_status(vocab: tuple[tuple[str, int], ...]) -> tuple[dict[str, list[str]], list]:
    groups: dict[str, list[str]] = {}
    unplaced = []
    for value, n in vocab:
        low = value.strip().lower()
        for status, words in STATUS_WORDS.items():
            if low == status or any(w in low for w in words):
                groups.setdefault(status, []).append(value)
                break
        else:
            unplaced.append((value, n))
    return groups, unplaced


def _formats(profiles: list[ColumnProfile], used: set[str]) -> tuple[list[str], str]:
    fmts: list[str] = []
    notes = []
    for p in profiles:
        if p.name not in used or p.date_format is None:
            continue
        for f in (f"{p.date_format} %H:%M", f"{p.date_format} %H:%M:%S", p.date_format):
            if f not in fmts:
                fmts.append(f)
        order = "day first" if p.date_format.startswith("%d") else "month first"
        sure = "" if p.day_first_certain else " (ambiguous: no day above 12 seen; check)"
        notes.append(f"{p.name!r} {order}{sure}")
    return fmts, "; ".join(notes)


def _row_id(
    profiles: list[ColumnProfile], used: set[str], clinic: str | None, unique: UniqueWithin
) -> tuple[Guess, bool]:
    """The ``attendance_id`` guess and whether its ids are unique only within a polyclinic."""
    found = sorted(
        (rank, i, p)
        for i, p in enumerate(profiles)
        if p.name not in used
        and p.kind in ("text", "number")
        and (rank := _match(p, "attendance_id")) is not None
    )
    for _, _, p in found:
        samples = ", ".join(repr(s) for s in p.samples)
        if unique(p.name, None):
            return Guess(
                "attendance_id", f"name {p.name!r}, unique values such as {samples}", source=p.name
            ), False
        if clinic is not None and unique(p.name, clinic):
            why = f"name {p.name!r}, values such as {samples}, unique within each polyclinic"
            return Guess("attendance_id", why, source=p.name), True
    return (
        Guess(
            "attendance_id",
            "no column holds a value no other row repeats: the row's position in the export",
            row_number=True,
        ),
        False,
    )


def _column(target: str, kind: str, profiles: list[ColumnProfile], used: set[str]) -> Guess | None:
    """A non-timestamp contract column (a visit counter, a duration with its unit)."""
    p = _best(profiles, target, KINDS[kind], used)
    if p is not None and (target not in ("status", "visit_type") or 0 < p.distinct <= _SMALL):
        samples = ", ".join(repr(s) for s in p.samples)
        why = f"name {p.name!r}, values such as {samples}"
        if target == "consultation_duration_minutes":
            unit, note = duration_unit(p)
            return Guess(target, f"{why}; {note}", source=p.name, unit=unit)
        return Guess(target, why, source=p.name)
    if target == "visit_type":
        counter = next((q for q in profiles if q.name not in used and is_visit_counter(q)), None)
        if counter is not None:
            assert counter.numbers is not None
            return Guess(
                target,
                f"a visit counter in {counter.name!r} (whole numbers "
                f"{counter.numbers[0]:g}..{counter.numbers[2]:g}): 1 = first visit, recoded "
                "below",
                source=counter.name,
            )
    return None


def _fallback(target: str, d: Draft, source_name: str) -> Guess | None:
    """A constant where the export has no such column but its meaning is clear."""
    placed = {g.target for g in d.guesses}
    if target == "status" and "consult_start_ts" in placed and "appointment_ts" not in placed:
        return Guess(
            target,
            "no status column, and consultations without appointments: every row is a "
            "consultation given",
            constant="attended",
        )
    if target == "polyclinic_id" and d.table == "attendances":
        return Guess(
            target,
            "no polyclinic column: the whole export is one polyclinic, named after the file",
            constant=source_name,
        )
    return None


def _place(d: Draft, g: Guess, used: set[str]) -> None:
    d.guesses.append(g)
    if g.source:
        used.add(g.source)
    if g.pair:  # the date column may serve several clock columns: it stays available
        used.add(g.pair[1])
        if g.target == "appointment_ts":
            used.add(g.pair[0])


def draft_mapping(
    spec: TableSpec,
    profiles: list[ColumnProfile],
    ids_restart_per_clinic: bool = False,
    unique_within: UniqueWithin | None = None,
    source_name: str = "polyclinic",
) -> Draft:
    """Guess the mapping of table ``spec`` from the profiles of its source's columns.

    ``unique_within`` tells whether a column's values repeat (the row id must not); without
    it, the profiles' distinct counts decide. ``source_name`` names the one polyclinic of an
    export without a polyclinic column.
    """
    d = Draft(spec.name)
    by_name = {p.name: p for p in profiles}
    unique = unique_within or (lambda col, _clinic: by_name[col].unique)
    used: set[str] = set()
    timestamps = sorted(
        (c.name for c in spec.columns if c.kind == "timestamp"),
        key=lambda n: n != "appointment_ts",
    )
    first = [n for n in ("polyclinic_id", "patient_id") if n in spec.column_names]
    order = first + [c.name for c in spec.columns if c.kind != "timestamp" and c.name not in first]
    main_date = None
    deferred: list[str] = []
    for target in [*order, *timestamps]:
        col = spec.column(target)
        g: Guess | None
        if target == "attendance_id" and spec.name == "attendances":
            clinic = next((g.source for g in d.guesses if g.target == "polyclinic_id"), None)
            g, per_clinic = _row_id(profiles, used, clinic, unique)
            d.id_scope = "polyclinic" if per_clinic else None
        elif col.kind == "timestamp":
            g = _timestamp(target, profiles, used, main_date)
            if target == "appointment_ts":
                day = g.pair[0] if g and g.pair else (g.source if g else None)
                main_date = by_name[day] if day else _main_date(profiles, used)
        else:
            g = _column(target, col.kind, profiles, used)
            if target == "visit_type" and g and g.source and is_visit_counter(by_name[g.source]):
                d.visit_counter = g.source
        if g is None:
            deferred.append(target)
            continue
        _place(d, g, used)
    for target in deferred:  # constants, once the columns found say what the export is
        fallback = _fallback(target, d, source_name)
        if fallback is None:
            d.missing.append(target)
        else:
            _place(d, fallback, used)
    d.guesses.sort(key=lambda g: spec.column_names.index(g.target))
    placed = {g.target for g in d.guesses}
    if "consult_end_ts" in d.missing and {"consult_start_ts", "consultation_duration_minutes"} <= (
        placed
    ):
        d.derived["consult_end_ts"] = "consult_start_ts + consultation_duration_minutes"
    used |= {c for g in d.guesses for c in g.pair or ()}  # the dates of pairs are placed too
    d.formats, d.formats_why = _formats(profiles, used)
    status = next((g for g in d.guesses if g.target == "status"), None)
    if status is not None and status.source is not None:
        d.status_groups, d.status_unplaced = _group_status(by_name[status.source].vocabulary)
        d.when = walk_in_rules(profiles, used, status.source)
        used |= {w.column for w in d.when}
    if ids_restart_per_clinic:
        d.id_scope = "polyclinic"
    d.unplaced = [p.name for p in profiles if p.name not in used]
    return d
