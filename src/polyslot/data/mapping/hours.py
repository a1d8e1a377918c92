"""Opening hours written as text, in the forms facility tables use.

Accepted (any case; ``-``, ``–``, ``to``, ``until`` between days or times)::

    Mon-Fri 8am-9pm, Sat 8am-1pm
    Mon-Fri 8:30am-12pm, 1pm-5pm; Sat 8:30am-12pm
    Mon to Fri: 08:00-12:00,13:00-17:00 | Sat: 08:00-12:00 | Sun & PH: Closed
    08:00-13:00,14:00-17:30                 (no weekday: every day)
    Mon, Wed, Fri 0900-1300; Daily 8-5     (bare hours: an end before the start is pm)
    24 hours | 24/7 | closed

Days: ``Mon``..``Sun`` (or full names), ranges (``Mon-Fri``, wrapping ``Sat-Mon``), ``daily``,
``weekdays`` (Mon-Fri), ``weekends``; ``PH`` / ``public holidays`` are read and ignored (the
history has no holiday calendar). Times: ``8am``, ``8:30 pm``, ``12pm`` (noon), ``noon``,
``midnight``, ``08:00``, ``8.30``, ``0800``, ``24:00``. A later group overrides an earlier one
for the same weekday (``Daily 8am-5pm, Sun closed``). A weekday never named is closed.

:func:`parse_hours` returns, per weekday (0 = Monday), the sorted, merged open intervals in
minutes after midnight; anything it cannot read raises :class:`HoursError` quoting the part
it could not read, which the facility reader turns into a one-line error naming the file, the
column and the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["HoursError", "Interval", "parse_hours", "parse_day_hours", "format_minute"]

#: An open interval ``(start, end)`` in minutes after midnight, ``0 <= start < end <= 1440``.
Interval = tuple[int, int]

_DAY = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_GROUPS = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "every day": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekday": tuple(range(5)),
    "weekends": (5, 6),
    "weekend": (5, 6),
}
_DAY_WORD = "|".join(sorted(_DAY, key=len, reverse=True))
_GROUP_WORD = "|".join(sorted(_GROUPS, key=len, reverse=True))
_TIME = r"(?:noon|midnight|\d{1,2}(?:[:.h]\d{2}|\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)?)"
_TOKENS = re.compile(
    rf"""\s*(?:
      (?P<dayrange>(?:{_DAY_WORD})\b\s*-\s*(?:{_DAY_WORD})\b)
    | (?P<group>(?:{_GROUP_WORD})\b)
    | (?P<day>(?:{_DAY_WORD})\b)
    | (?P<holiday>(?:public\s+holidays?|ph|p\.h\.)(?![a-z]))
    | (?P<always>24\s*/\s*7|24\s*(?:hours?|hrs?|h)\b|open\s+24\s+hours?)
    | (?P<closed>closed?\b)
    | (?P<range>{_TIME}\s*-\s*{_TIME})
    | (?P<sep>[,;&|/:()]|\band\b|\bhrs?\b|\bopen\b|\.)
    )""",
    re.VERBOSE,
)
_CLOCK = re.compile(
    r"^(?:(?P<word>noon|midnight)|(?P<h>\d{1,2})(?:[:.h]?(?P<m>\d{2}))?\s*(?P<mer>[ap])?\.?m?\.?)$"
)


class HoursError(ValueError):
    """Opening hours that cannot be read (the message quotes the part)."""


def format_minute(minute: int) -> str:
    """``HH:MM`` of a minute after midnight (1440 is ``24:00``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _clock(text: str) -> tuple[int, str | None]:
    """``(minutes, meridiem or None)`` of one time; ``noon`` is 12:00 pm, midnight 0:00 am."""
    m = _CLOCK.match(text.strip())
    if m is None:
        raise HoursError(f"cannot read the time {text.strip()!r}")
    if m.group("word") == "noon":
        return 720, "p"
    if m.group("word") == "midnight":
        return 0, "a"
    h, mm, mer = int(m.group("h")), int(m.group("m") or 0), m.group("mer")
    if mm > 59 or h > 24 or (mer and not 1 <= h <= 12):
        raise HoursError(f"cannot read the time {text.strip()!r}")
    return h * 60 + mm, mer


def _with(minute: int, mer: str) -> int:
    """``minute`` (a 12-hour clock reading) in 24-hour time for meridiem ``mer``."""
    h, m = divmod(minute, 60)
    h = h % 12 + (12 if mer == "p" else 0)
    return h * 60 + m


def _range(text: str) -> Interval:
    """One ``start-end`` time range (a bare end before the start is read as pm)."""
    left, right = re.split(r"\s*-\s*", text.strip(), maxsplit=1)
    (s, ms), (e, me) = _clock(left), _clock(right)
    if ms:
        s = _with(s, ms)
    if me:
        e = _with(e, me) if right.strip() != "midnight" else 1440
        if not ms:  # "8-11am", "1-5pm", "11-1pm"
            s = _with(s, me) if _with(s, me) < e else _with(s, "a" if me == "p" else "p")
    if not me and e <= s and re.fullmatch(r"[1-9](?:[:.]\d{2})?|1[0-2]", right.strip()):
        e += 12 * 60  # "8-5", "8am-5:30": a bare 12-hour end; "17:00-08:00" stays an error
    if e == 0:
        e = 1440
    if not 0 <= s < e <= 1440:
        raise HoursError(f"the time range {text.strip()!r} ends before it starts")
    return s, e


def _merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def _days(match: re.Match[str]) -> tuple[int, ...]:
    if match.group("group"):
        return _GROUPS[re.sub(r"\s+", " ", match.group("group").lower())]
    if match.group("day"):
        return (_DAY[match.group("day").lower()],)
    a, b = re.split(r"\s*-\s*", match.group("dayrange").lower())
    first, last = _DAY[a], _DAY[b]
    return tuple((first + k) % 7 for k in range((last - first) % 7 + 1))


def _tokens(text: str) -> list[re.Match[str]]:
    norm = re.sub(r"[\u2013\u2014\u2012]", "-", text.lower())
    norm = re.sub(r"\s+(?:to|until|till|through|thru)\s+", "-", norm)
    out, pos = [], 0
    while pos < len(norm):
        if norm[pos:].strip() == "":
            break
        m = _TOKENS.match(norm, pos)
        if m is None or m.end() == pos:
            bad = norm[pos:].strip().split()[0] if norm[pos:].strip() else norm[pos:]
            raise HoursError(f"cannot read {bad!r}")
        out.append(m)
        pos = m.end()
    return out


@dataclass
class _Group:
    """Weekdays named together and their times (``named`` False: every day)."""

    days: list[int] = field(default_factory=list)
    times: list[Interval] = field(default_factory=list)
    named: bool = False
    holiday: bool = False
    closed: bool = False


def _groups(text: str) -> list[_Group]:
    groups, g = [], _Group()
    for m in _tokens(text):
        kind = m.lastgroup
        if kind in ("day", "dayrange", "group", "holiday"):
            if g.times or g.closed:  # a new group of days starts
                groups.append(g)
                g = _Group()
            g.named = True
            if kind == "holiday":
                g.holiday = True
            else:
                g.days += _days(m)
        elif kind == "range":
            g.times.append(_range(m.group("range")))
        elif kind == "always":
            g.times.append((0, 1440))
        elif kind == "closed":
            g.closed = True
    groups.append(g)
    return groups


def parse_hours(text: str) -> dict[int, tuple[Interval, ...]]:
    """Open intervals per weekday (0 = Monday) of an opening-hours text (module docstring).

    Weekdays that are closed, or never named when the text names weekdays, are absent.

    Raises
    ------
    HoursError
        A part of the text is not opening hours.
    """
    groups = _groups(text)
    for g in groups:
        if g.named and not g.times and not g.closed:
            raise HoursError("weekdays without opening times after them (e.g. 'Mon-Fri 8am-5pm')")
    if not any(g.times for g in groups) and not any(g.closed for g in groups):
        raise HoursError("no opening times")
    out: dict[int, tuple[Interval, ...]] = {}
    for g in groups:
        if g.holiday and not g.days:
            continue  # public holidays only
        for d in g.days if g.named else range(7):
            out[d] = () if g.closed else _merge(g.times)
    return {d: iv for d, iv in sorted(out.items()) if iv}


def parse_day_hours(text: str) -> tuple[Interval, ...]:
    """The open intervals of one weekday's cell (``08:00-12:00, 13:00-17:00``; empty, ``-`` or
    ``closed``: none).

    Raises
    ------
    HoursError
        The cell is not times of one day (a weekday in it, or text that is not a time).
    """
    stripped = text.strip()
    if stripped in ("", "-", "--") or stripped.lower() in ("closed", "close", "nil", "none"):
        return ()
    found = parse_hours(stripped)
    if len(set(found.values())) > 1 or (found and len(found) != 7):
        raise HoursError("a weekday column holds the times of that day only")
    return next(iter(found.values()), ())
