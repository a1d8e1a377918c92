"""The working copy: slots-per-hour grid, cell and timeline edits, the change list.

Every edit returns a new :class:`~polyslot.template.SlotTemplate` (templates are frozen) or
raises :class:`EditError` naming the field and the value, which the studio shows inline.

Duty windows of a weekday are the model's roster sessions (``ClinicModel.sessions``) plus, for a
doctor session of a template that the roster does not know, the span of its slots. A slot must
start inside its session's window; a time between the day's first session start and last
session end that no window covers is *inside a break*, anything else *outside duty hours*.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from polyslot.studio.kpis import ANY, ModelIndex
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = [
    "EditError",
    "grid_counts",
    "duty_windows",
    "set_count",
    "add_slot",
    "remove_slot",
    "move_slot",
    "retype_slot",
    "change_list",
    "replace_day",
    "MAX_SLOTS_PER_CELL",
]

#: Largest count a cell accepts.
MAX_SLOTS_PER_CELL = 60


class EditError(ValueError):
    """A rejected edit: ``field`` and ``value`` are shown to the planner with the message."""

    def __init__(self, message: str, *, field: str, value: object) -> None:
        self.field = field
        self.value = value
        self.message = message
        super().__init__(f"{field} = {value!s}: {message}")


def hhmm(minute: int) -> str:
    """``HH:MM`` of minutes after midnight."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def grid_counts(template: SlotTemplate, weekday: int) -> dict[tuple[int, str], tuple[int, int]]:
    """``{(hour, visit_type): (slots, overbooked slots)}`` of one weekday."""
    total: Counter = Counter()
    over: Counter = Counter()
    for s in template.slots:
        if s.weekday == weekday:
            total[(s.hour, s.visit_type)] += 1
            if s.overbooked:
                over[(s.hour, s.visit_type)] += 1
    return {k: (n, over[k]) for k, n in total.items()}


def duty_windows(index: ModelIndex, template: SlotTemplate, weekday: int) -> dict[str, tuple]:
    """``{doctor_session: (start_minute, end_minute)}`` of ``weekday``."""
    out = {
        sid: (s.start_minute, s.end_minute)
        for (d, sid), s in index.sessions.items()
        if d == weekday
    }
    spans: dict[str, tuple[int, int]] = {}
    for s in template.slots:
        if s.weekday == weekday and s.doctor_session not in out:
            a, b = spans.get(s.doctor_session, (s.start_minute, 0))
            spans[s.doctor_session] = (
                min(a, s.start_minute),
                max(b, s.start_minute + s.duration_minutes),
            )
    out.update(spans)
    return dict(sorted(out.items()))


def _where(windows: dict[str, tuple], minute: int) -> str:
    if windows:
        first = min(w[0] for w in windows.values())
        last = max(w[1] for w in windows.values())
        if first <= minute < last:
            return "inside a break (no doctor session on duty)"
    return "outside duty hours"


def _check_visit_type(index: ModelIndex, visit_type: str) -> str:
    vt = str(visit_type).strip()
    if vt == "":
        vt = ANY
    if vt != ANY and vt not in index.visit_types:
        raise EditError(
            f"unknown visit type; expected one of {', '.join((*index.visit_types, ANY))}",
            field="visit_type",
            value=visit_type,
        )
    return vt


def _duration(index: ModelIndex, template: SlotTemplate, visit_type: str) -> int:
    durations = Counter(s.duration_minutes for s in template.slots if s.visit_type == visit_type)
    if durations:
        return durations.most_common(1)[0][0]
    sm = index.slot_minutes
    if visit_type in {sv.visit_type for sv in index.model.service}:
        mean = index.model.service_for(visit_type).mean_minutes
        return max(sm, int(round(mean / sm)) * sm)
    return max(sm, 10)


def _best_time(lo: int, hi: int, step: int, taken: list[int]) -> int:
    """Grid time in ``[lo, hi)`` farthest from the times already taken (earliest on ties)."""
    best, best_gap = lo, -1
    for t in range(lo, hi, step):
        gap = min((abs(t - x) for x in taken), default=10**6)
        if gap > best_gap:
            best, best_gap = t, gap
    return best


def set_count(
    index: ModelIndex,
    template: SlotTemplate,
    weekday: int,
    hour: int,
    visit_type: str,
    count: object,
    *,
    reference: SlotTemplate | None = None,
) -> SlotTemplate:
    """Set the slots of ``visit_type`` in ``hour`` of ``weekday`` to ``count``.

    Added slots go to the doctor session on duty in that hour with the fewest slots in it, at
    the grid time farthest from its other slots of the hour, with the visit type's most common
    duration in ``reference`` (default: ``template``); removed slots are taken from the
    session with the most slots of that type in the hour (overbooked ones first, latest first).
    """
    vt = _check_visit_type(index, visit_type)
    label = f"{WEEKDAYS[weekday]} {hour:02d}:00 {vt}"
    try:
        n = int(str(count).strip())
    except ValueError:
        raise EditError("must be a whole number", field=f"count ({label})", value=count) from None
    if n < 0:
        raise EditError("must be 0 or more", field=f"count ({label})", value=n)
    if n > MAX_SLOTS_PER_CELL:
        raise EditError(f"must be at most {MAX_SLOTS_PER_CELL}", field=f"count ({label})", value=n)
    if not 0 <= hour < 24:
        raise EditError("must be 0..23", field="hour", value=hour)
    cell = [s for s in template.slots if s.weekday == weekday and s.hour == hour]
    mine = [s for s in cell if s.visit_type == vt]
    slots = list(template.slots)
    if n < len(mine):
        by_session = Counter(s.doctor_session for s in mine)
        order = sorted(
            mine,
            key=lambda s: (-by_session[s.doctor_session], not s.overbooked, -s.start_minute),
        )
        for s in order[: len(mine) - n]:
            slots.remove(s)
        return replace(template, slots=tuple(slots))
    windows = duty_windows(index, template, weekday)
    h0, h1 = hour * 60, hour * 60 + 60
    open_ = {sid: (max(a, h0), min(b, h1)) for sid, (a, b) in windows.items() if a < h1 and b > h0}
    if n > len(mine) and not open_:
        raise EditError(
            f"no slot can be added: {hhmm(h0)} is {_where(windows, h0)}",
            field=f"count ({label})",
            value=n,
        )
    duration = _duration(index, reference or template, vt)
    for _ in range(n - len(mine)):
        load = Counter(s.doctor_session for s in slots if s.weekday == weekday and s.hour == hour)
        sid = min(open_, key=lambda k: (load[k], k))
        lo, hi = open_[sid]
        taken = [
            s.start_minute
            for s in slots
            if s.weekday == weekday and s.doctor_session == sid and lo <= s.start_minute < hi
        ]
        t = _best_time(lo, hi, index.slot_minutes, taken)
        slots.append(Slot(weekday, t, duration, vt, sid, t in taken))
    return replace(template, slots=tuple(slots))


def _session_slots(template: SlotTemplate, weekday: int, session: str) -> list[Slot]:
    return sorted(
        (s for s in template.slots if s.weekday == weekday and s.doctor_session == session),
        key=lambda s: s.start_minute,
    )


def _parse_time(value: object) -> int:
    text = str(value).strip()
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise EditError("expected HH:MM", field="start_time", value=value)
    hh, mm = int(parts[0]), int(parts[1])
    if hh > 23 or mm > 59:
        raise EditError("expected HH:MM", field="start_time", value=value)
    return hh * 60 + mm


def _check_in_session(windows: dict[str, tuple], session: str, minute: int) -> None:
    a, b = windows[session]
    if not a <= minute < b:
        raise EditError(
            f"is {_where(windows, minute)}: session {session} runs {hhmm(a)}-{hhmm(b)}",
            field="start_time",
            value=hhmm(minute),
        )


def _session_index(template, weekday, session, index_value, windows) -> tuple[list[Slot], int]:
    if session not in windows:
        raise EditError("unknown doctor session", field="doctor_session", value=session)
    slots = _session_slots(template, weekday, session)
    try:
        i = int(str(index_value))
    except ValueError:
        raise EditError("must be a slot number", field="slot", value=index_value) from None
    if not 0 <= i < len(slots):
        raise EditError(f"must be 0..{len(slots) - 1}", field="slot", value=index_value)
    return slots, i


def add_slot(
    index: ModelIndex,
    template: SlotTemplate,
    weekday: int,
    session: str,
    start_time: object,
    visit_type: str,
    overbooked: bool = False,
) -> SlotTemplate:
    """Add one slot to a doctor session's timeline."""
    vt = _check_visit_type(index, visit_type)
    windows = duty_windows(index, template, weekday)
    if session not in windows:
        raise EditError("unknown doctor session", field="doctor_session", value=session)
    minute = _parse_time(start_time)
    _check_in_session(windows, session, minute)
    taken = {s.start_minute for s in _session_slots(template, weekday, session)}
    slot = Slot(
        weekday, minute, _duration(index, template, vt), vt, session, overbooked or minute in taken
    )
    return replace(template, slots=(*template.slots, slot))


def remove_slot(
    index: ModelIndex, template: SlotTemplate, weekday: int, session: str, slot: object
) -> SlotTemplate:
    """Remove slot number ``slot`` (in time order) of a doctor session."""
    windows = duty_windows(index, template, weekday)
    slots, i = _session_index(template, weekday, session, slot, windows)
    rest = list(template.slots)
    rest.remove(slots[i])
    return replace(template, slots=tuple(rest))


def move_slot(
    index: ModelIndex,
    template: SlotTemplate,
    weekday: int,
    session: str,
    slot: object,
    start_time: object,
) -> SlotTemplate:
    """Move slot number ``slot`` of a doctor session to ``start_time`` (HH:MM)."""
    windows = duty_windows(index, template, weekday)
    slots, i = _session_index(template, weekday, session, slot, windows)
    minute = _parse_time(start_time)
    _check_in_session(windows, session, minute)
    others = {s.start_minute for j, s in enumerate(slots) if j != i}
    rest = list(template.slots)
    rest.remove(slots[i])
    rest.append(replace(slots[i], start_minute=minute, overbooked=minute in others))
    return replace(template, slots=tuple(rest))


def retype_slot(
    index: ModelIndex,
    template: SlotTemplate,
    weekday: int,
    session: str,
    slot: object,
    visit_type: str,
) -> SlotTemplate:
    """Give slot number ``slot`` of a doctor session another visit type (or ``any``)."""
    vt = _check_visit_type(index, visit_type)
    windows = duty_windows(index, template, weekday)
    slots, i = _session_index(template, weekday, session, slot, windows)
    rest = list(template.slots)
    rest.remove(slots[i])
    rest.append(replace(slots[i], visit_type=vt))
    return replace(template, slots=tuple(rest))


def replace_day(template: SlotTemplate, weekday: int, slots: tuple[Slot, ...]) -> SlotTemplate:
    """``template`` with the slots of ``weekday`` replaced by ``slots``."""
    keep = tuple(s for s in template.slots if s.weekday != weekday)
    return replace(template, slots=keep + tuple(s for s in slots if s.weekday == weekday))


def _week_counts(template: SlotTemplate) -> Counter:
    return Counter((s.weekday, s.hour, s.visit_type) for s in template.slots)


def change_list(current: SlotTemplate, working: SlotTemplate) -> list[str]:
    """Lines ``"Mon 09:00: vaccination 6 -> 4"`` for every weekday x hour x visit type whose
    slot count differs, in weekday, hour, visit type order."""
    a, b = _week_counts(current), _week_counts(working)
    lines = []
    for d, hour, vt in sorted(set(a) | set(b)):
        x, y = a.get((d, hour, vt), 0), b.get((d, hour, vt), 0)
        if x != y:
            lines.append(f"{WEEKDAYS[d]} {hour:02d}:00: {vt} {x} -> {y}")
    return lines
