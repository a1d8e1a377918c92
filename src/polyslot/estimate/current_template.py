"""The current template of one polyclinic: supplied, inferred from appointment times, or
evenly spaced from the observed patients per session.

* **Supplied** (``slot_template``): taken as is.
* **Inferred** (:func:`polyslot.estimate.templates.inferred_templates`): per weekday, only when
  the appointment times are a slot grid: at least ``GRID_SHARE`` (80 %) of the weekday's
  recent bookings were made at a slot time of the inferred template
  (:func:`~polyslot.estimate.templates.on_grid_shares`; 99-100 % on the synthetic sample).
  Appointment times that are not a slot grid (scattered over the minutes, e.g. consultation
  starts mapped as appointments: 13-35 % on a consultation log) leave only the few times
  booked on enough days: 5 slots for the 14 patients of a session, or one.
* **Evenly spaced** (every other weekday with sessions): each doctor session of the weekday
  gets the typical number of patients per session, spaced evenly over its span. Patients of a
  date are booked rows (attended, no-show, cancelled) counted by their appointment, arrival
  or consultation start time; a time belongs to the half-day (AM / PM by the session's start)
  of the session that holds it, else of the nearest session. The count of a half-day is the
  :data:`TEMPLATE_QUANTILE` (90th) percentile over the dates with patients in it (the slots
  the clinic filled on nine days in ten; the booking model then learns how full they get),
  shared among its sessions in proportion to their lengths. The slots are unreserved (``any``)
  unless the polyclinic has one visit type: which visit type came when was not a booking
  decision.

Only supplied and grid weekdays give the demand forecaster a capacity (censored days): an
evenly spaced template is the observed count itself, so a day reaching it says nothing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from polyslot.clinic_model import DoctorSession
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS, Slot, SlotTemplate
from polyslot.unreserved import apportion

__all__ = [
    "GRID_SHARE",
    "EVEN_SOURCE",
    "CurrentTemplate",
    "current_template",
    "even_slots",
]

#: Percentile of the patients per half-day that an evenly spaced template offers.
TEMPLATE_QUANTILE = 0.9

#: An inferred weekday is a slot grid when at least this share of its recent bookings were
#: made at a slot time of the inferred template.
GRID_SHARE = 0.8
EVEN_SOURCE = "evenly spaced from observed patients per session"
GRID_SOURCE = "inferred from appointment times"


@dataclass(frozen=True)
class CurrentTemplate:
    """The current template of a polyclinic and how each weekday of it was made."""

    template: SlotTemplate
    #: Whether the template was supplied (``slot_template``).
    given: bool = False
    #: Weekdays whose slots are a real booking grid (supplied or inferred): demand capacity.
    grid_weekdays: frozenset[int] = frozenset()
    #: ``{"Wed": why}`` of the evenly spaced weekdays.
    even: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """``meta["template_source"]``: ``slot_template``, ``inferred`` (any weekday inferred
        from appointment times), ``evenly_spaced`` or ``none``."""
        if self.given:
            return "slot_template"
        if not self.template.slots:
            return "none"
        return "inferred" if self.grid_weekdays else "evenly_spaced"

    def without(self, weekdays: set[int]) -> CurrentTemplate:
        """The same template without ``weekdays`` (weekdays not planned)."""
        if not weekdays:
            return self
        slots = tuple(s for s in self.template.slots if s.weekday not in weekdays)
        names = {WEEKDAYS[w] for w in weekdays}
        return CurrentTemplate(
            dataclasses.replace(self.template, slots=slots),
            self.given,
            self.grid_weekdays - weekdays,
            {d: why for d, why in self.even.items() if d not in names},
        )

    @property
    def description(self) -> str:
        """``meta["current_template_source"]``: how the template was made, in words."""
        if self.source == "slot_template":
            return "supplied (slot_template)"
        if self.source == "none":
            return "none"
        parts = []
        grid = [WEEKDAYS[w] for w in sorted(self.grid_weekdays)]
        if grid:
            parts.append(f"{GRID_SOURCE} ({', '.join(grid)})" if self.even else GRID_SOURCE)
        if self.even:
            days = ", ".join(self.even)
            parts.append(f"{EVEN_SOURCE} ({days})" if grid else EVEN_SOURCE)
        return "; ".join(parts)


def _part(s: DoctorSession) -> str:
    return "AM" if s.start_minute < 720 else "PM"


def _part_of(minutes: np.ndarray, sessions: list[DoctorSession]) -> np.ndarray:
    """Half-day of the session holding each minute, else of the nearest session."""
    start = np.array([s.start_minute for s in sessions], float)
    end = np.array([s.end_minute for s in sessions], float)
    m = minutes.astype(float)[:, None]
    dist = np.where(m < start, start - m, np.where(m >= end, m - end + 1, 0.0))
    parts = np.array([_part(s) for s in sessions])
    return parts[np.argmin(dist, axis=1)]


def even_slots(
    weekday: int, sessions: list[DoctorSession], times: pd.DataFrame, visit_type: str
) -> list[Slot]:
    """Evenly spaced slots of one weekday (rule in the module docstring).

    ``times``: the weekday's ``d``, ``m``, ``booked`` rows (:func:`~polyslot.estimate.history.
    day_times` of one polyclinic and weekday).
    """
    if not sessions or times.empty:
        return []
    t = times[times["booked"] > 0]
    t = t.assign(part=_part_of(t["m"].to_numpy(), sessions))
    per_day = t.groupby(["part", "d"])["booked"].sum()
    out: list[Slot] = []
    for part in ("AM", "PM"):
        mine = [s for s in sessions if _part(s) == part]
        if not mine or part not in per_day.index.get_level_values(0):
            continue
        typical = int(math.floor(float(per_day.loc[part].quantile(TEMPLATE_QUANTILE)) + 0.5))
        lengths = tuple(float(s.end_minute - s.start_minute) for s in mine)
        share = apportion(typical, lengths, tuple(s.session_id for s in mine))
        for s in mine:
            n = share[s.session_id]
            span = s.end_minute - s.start_minute
            for i in range(n):
                out.append(
                    Slot(weekday, s.start_minute + i * span // n, max(1, span // n),
                         visit_type, s.session_id)
                )  # fmt: skip
    return sorted(out, key=lambda x: (x.start_minute, x.doctor_session))


def current_template(
    pc: str,
    given: SlotTemplate | None,
    inferred: SlotTemplate | None,
    sessions: list[DoctorSession],
    times: pd.DataFrame,
    visit_types: tuple[str, ...],
    on_grid: dict[tuple[str, int], float],
) -> CurrentTemplate:
    """The current template of ``pc`` over the weekdays of ``sessions`` (and of ``inferred``).

    ``times``: :func:`~polyslot.estimate.history.day_times` rows of ``pc``; ``on_grid``:
    :func:`~polyslot.estimate.templates.on_grid_shares` of the inferred templates.
    """
    if given is not None:
        return CurrentTemplate(given, True, frozenset(s.weekday for s in given.slots))
    kind = visit_types[0] if len(visit_types) == 1 else ANY_VISIT_TYPE
    slots: list[Slot] = []
    grid: set[int] = set()
    even: dict[str, str] = {}
    have = inferred.slots if inferred else ()
    for wd in sorted({s.weekday for s in sessions} | {s.weekday for s in have}):
        own = [s for s in have if s.weekday == wd]
        share = on_grid.get((pc, wd), 0.0)
        if own and share >= GRID_SHARE:
            slots.extend(own)
            grid.add(wd)
            continue
        day = [s for s in sessions if s.weekday == wd]
        made = even_slots(wd, day, times[times["wd"] == wd], kind)
        if not made:
            continue
        slots.extend(made)
        if inferred is None or not inferred.slots:
            even[WEEKDAYS[wd]] = "no appointment times to infer a slot grid from"
        elif not own:
            even[WEEKDAYS[wd]] = "no appointment times in the recent weeks"
        else:
            even[WEEKDAYS[wd]] = (
                f"appointment times are not a slot grid: {share:.0%} of the recent bookings "
                f"were at a slot time of the inferred template ({len(own)} slots; at least "
                f"{GRID_SHARE:.0%} expected)"
            )
    return CurrentTemplate(
        SlotTemplate(pc, tuple(slots), 60, "current"), False, frozenset(grid), even
    )
