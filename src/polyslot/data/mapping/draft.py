"""Guess a mapping from a profiled source (``polyslot map``); rendered by ``mapping_toml``.

Each contract column is guessed from the source column names (word patterns, in order of
preference) and the kind of values (:mod:`polyslot.data.mapping.profile`): timestamps take datetime
columns, or a date column paired with a clock-time column (same name stem; a clock-time column
without a date of its own is paired with the appointment's date column); ids take id-like
columns; ``status`` and ``visit_type`` take small vocabularies. Status values are grouped by
keywords. Every guess carries the reason it was made, so the draft marks it for review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from polyslot.data.mapping.profile import ColumnProfile
from polyslot.data.schema import TableSpec

__all__ = ["Guess", "Draft", "draft_mapping", "STATUS_WORDS"]

#: contract column -> name patterns (every word of a pattern must appear), best first.
_PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "attendance_id": (
        ("attendance", "id"),
        ("appointment", "id"),
        ("appt", "id"),
        ("booking", "id"),
        ("visit", "id"),
        ("encounter", "id"),
        ("id",),
        ("ref",),
        ("number",),
    ),
    "polyclinic_id": (
        ("polyclinic",),
        ("clinic",),
        ("site",),
        ("location",),
        ("practice",),
        ("facility",),
        ("branch",),
        ("department",),
    ),
    "patient_id": (("patient",), ("mrn",), ("person",), ("client",), ("nhs",)),
    "visit_type": (
        ("visit", "type"),
        ("appointment", "type"),
        ("appt", "type"),
        ("service",),
        ("type",),
        ("category",),
        ("reason",),
        ("kind",),
    ),
    "booking_ts": (("booking",), ("booked",), ("created",), ("made",), ("requested",)),
    "appointment_ts": (
        ("appointment",),
        ("appt",),
        ("scheduled",),
        ("slot",),
        ("start",),
        ("when",),
        ("date",),
        ("datetime",),
        ("time",),
    ),
    "arrival_ts": (("arrival",), ("arrived",), ("checkin",), ("check", "in"), ("arrive",)),
    "consult_start_ts": (
        ("consult", "start"),
        ("consultation", "start"),
        ("seen",),
        ("called",),
        ("start",),
    ),
    "consult_end_ts": (
        ("consult", "end"),
        ("consultation", "end"),
        ("finished",),
        ("end",),
        ("completed",),
        ("done",),
        ("left",),
    ),
    "consultation_duration_minutes": (("duration",), ("minutes",), ("length",)),
    "doctor_id": (
        ("doctor",),
        ("clinician",),
        ("practitioner",),
        ("provider",),
        ("physician",),
        ("gp",),
        ("staff",),
        ("consultant",),
    ),
    "status": (("status",), ("outcome",), ("attendance",), ("state",), ("result",)),
    # roster, slot template, demand forecast, no-show predictions
    "date": (("date",), ("day",)),
    "start_time": (("start",), ("from",), ("begin",), ("time",)),
    "end_time": (("end",), ("to",), ("until",)),
    "doctors": (("doctors",), ("doctor",), ("staff",), ("count",)),
    "weekday": (("weekday",), ("dow",), ("day",)),
    "duration_minutes": (("duration",), ("minutes",), ("length",)),
    "doctor_session": (("session",), ("doctor",), ("column",)),
    "count": (("count",), ("slots",), ("parallel",)),
    "expected_requests": (("expected",), ("requests",), ("forecast",), ("demand",)),
    "probability": (("probability",), ("prob",), ("risk",), ("score",)),
}
_KINDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("datetime", "date", "time"),
    "date": ("date", "datetime"),
    "time": ("time",),
    "float": ("number",),
    "int": ("number",),
    "weekday": ("number", "text"),
    "string": ("text", "number"),
}
#: status -> keywords found in a source value (lower case), in order of precedence.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "exclude": (
        "unknown",
        "scheduled",
        "booked",
        "pending",
        "planned",
        "future",
        "proposed",
        "error",
        "waitlist",
        "tentative",
        "rescheduled",
    ),
    "no_show": (
        "not attend",
        "dna",
        "no show",
        "no-show",
        "noshow",
        "missed",
        "absent",
        "did not",
        "failed",
    ),
    "cancelled": ("cancel",),
    "walk_in": ("walk", "unbooked", "drop"),
    "attended": (
        "attend",
        "seen",
        "fulfilled",
        "complete",
        "finished",
        "done",
        "arrived",
        "present",
    ),
}
_SMALL = 30


@dataclass(frozen=True)
class Guess:
    """One guessed contract column: a source column, a date + clock pair, or a constant."""

    target: str
    why: str
    source: str | None = None
    pair: tuple[str, str] | None = None
    constant: str | None = None


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


def _match(p: ColumnProfile, target: str) -> int | None:
    """Rank of the first name pattern of ``target`` that ``p``'s name matches (lower = better)."""
    words = set(p.tokens)
    joined = "".join(p.tokens)
    for rank, pattern in enumerate(_PATTERNS.get(target, ((*target.split("_"),),))):
        if all(w in words for w in pattern) or (len(pattern) > 1 and "".join(pattern) in joined):
            return rank
    return None


def _fits(p: ColumnProfile, target: str, kind: str) -> bool:
    if p.kind == "empty" or p.kind not in _KINDS[kind]:
        return False
    if target in ("status", "visit_type"):
        return 0 < p.distinct <= _SMALL
    return True


def _best(profiles: list[ColumnProfile], target: str, kinds: tuple[str, ...], used: set[str]):
    found = []
    for i, p in enumerate(profiles):
        if p.name in used or p.kind not in kinds:
            continue
        rank = _match(p, target)
        if rank is not None and (target not in ("status", "visit_type") or p.distinct <= _SMALL):
            found.append((rank, i, p))
    return min(found, key=lambda t: (t[0], t[1]))[2] if found else None


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
    if date is not None:
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


def draft_mapping(
    spec: TableSpec, profiles: list[ColumnProfile], ids_restart_per_clinic: bool = False
) -> Draft:
    """Guess the mapping of table ``spec`` from the profiles of its source's columns."""
    d = Draft(spec.name)
    used: set[str] = set()
    timestamps = sorted(
        (c.name for c in spec.columns if c.kind == "timestamp"),
        key=lambda n: n != "appointment_ts",
    )
    order = [c.name for c in spec.columns if c.kind != "timestamp"]
    # the appointment first: its date column is the day of clock times without their own
    main_date = None
    for target in [*order, *timestamps]:
        col = spec.column(target)
        if col.kind == "timestamp":
            g = _timestamp(target, profiles, used, main_date)
            if g is not None and target == "appointment_ts" and g.pair:
                main_date = next(p for p in profiles if p.name == g.pair[0])
            elif g is not None and target == "appointment_ts" and g.source:
                main_date = next(p for p in profiles if p.name == g.source)
        else:
            p = _best(profiles, target, _KINDS[col.kind], used)
            g = None
            if p is not None and _fits(p, target, col.kind):
                g = Guess(
                    target,
                    f"name {p.name!r}, values such as {', '.join(repr(s) for s in p.samples)}",
                    source=p.name,
                )
        if g is None:
            d.missing.append(target)
            continue
        d.guesses.append(g)
        if g.source:
            used.add(g.source)
        if g.pair:  # the date column may serve several clock columns: it stays available
            used.add(g.pair[1])
            if target == "appointment_ts":
                used.add(g.pair[0])
    d.formats, d.formats_why = _formats(profiles, used)
    status = next((g for g in d.guesses if g.target == "status"), None)
    if status is not None:
        prof = next(p for p in profiles if p.name == status.source)
        d.status_groups, d.status_unplaced = _group_status(prof.vocabulary)
    if ids_restart_per_clinic:
        d.id_scope = "polyclinic"
    d.unplaced = [p.name for p in profiles if p.name not in used]
    return d
