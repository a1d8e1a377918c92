"""A polyclinic's planned week: its doctor sessions, the weekdays left out, the current template.

Sessions come from the supplied template's doctor sessions, else the roster (supplied or
inferred by ingest), else runs of staffed hours. Weekdays with too few sessions in the history
(:func:`polyslot.estimate.history.unplanned_weekdays`) are left out; a polyclinic none of whose
weekdays remains is skipped with the reason. The current template is chosen per weekday by
:func:`polyslot.estimate.current_template.current_template`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from polyslot.clinic_model import DoctorSession, HourlyValue
from polyslot.data.store import Connection, has_table, table_columns
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.current_template import CurrentTemplate, current_template
from polyslot.estimate.staffing import (
    inferred_staffing,
    roster_sessions,
    roster_staffing,
    sessions_from_staffing,
)
from polyslot.estimate.templates import (
    given_templates,
    inferred_templates,
    on_grid_shares,
    recent_bookings,
)
from polyslot.evaluation.sessions import slot_span
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = ["Week", "WeekInputs", "week_inputs", "plan_week", "grid_templates"]


@dataclass(frozen=True)
class Week:
    """A polyclinic's planned week: visit types, sessions and the current template."""

    visit_types: tuple[str, ...]
    sessions: list[DoctorSession]
    session_source: str
    current: CurrentTemplate


@dataclass(frozen=True)
class WeekInputs:
    """What every polyclinic's week is planned from (read once for the network)."""

    given: dict[str, SlotTemplate]
    inferred: dict[str, SlotTemplate]
    on_grid: dict[tuple[str, int], float]
    has_roster: bool
    roster_source: str
    staffing: dict[str, list[HourlyValue]]
    roster_sessions: dict[str, list[DoctorSession]]
    times: pd.DataFrame
    unplanned: dict[str, dict[str, str]]
    #: Weekday numbers of ``unplanned`` per polyclinic.
    drop: dict[str, set[int]] = field(default_factory=dict)

    @property
    def staffing_source(self) -> str:
        """``meta["staffing_source"]``."""
        return self.roster_source if self.has_roster else "consultations"


def week_inputs(
    con: Connection,
    config: EstimateConfig,
    all_pcs: set[str],
    times: pd.DataFrame,
    unplanned: dict[str, dict[str, str]],
) -> WeekInputs:
    """Templates (supplied; inferred with their grid shares for polyclinics without one),
    roster or staffing, ``times`` (:func:`~polyslot.estimate.history.day_times`) and the
    unplanned weekdays."""
    given = given_templates(con)
    inferred: dict[str, SlotTemplate] = {}
    on_grid: dict[tuple[str, int], float] = {}
    if not given or all_pcs - set(given):
        recent = recent_bookings(con, config.template_weeks)
        inferred = inferred_templates(con, config.template_min_share, frame=recent)
        on_grid = on_grid_shares(recent, inferred)
    has_roster = has_table(con, "roster")
    roster_source = "roster"
    if has_roster and "inferred_from" in table_columns(con, "roster"):
        roster_source = "roster_inferred"  # built by ingest from consultation activity
    return WeekInputs(
        given,
        inferred,
        on_grid,
        has_roster,
        roster_source,
        roster_staffing(con) if has_roster else inferred_staffing(con),
        roster_sessions(con) if has_roster else {},
        times,
        unplanned,
        {pc: {WEEKDAYS.index(d) for d in days} for pc, days in unplanned.items()},
    )


def _template_sessions(t: SlotTemplate) -> list[DoctorSession]:
    out = []
    for sid, slots in t.sessions().items():
        start, end = slot_span(slots)
        out.append(DoctorSession(slots[0].weekday, sid, start, end))
    return sorted(out, key=lambda s: (s.weekday, s.session_id))


def _too_few_sessions(unplanned: dict[str, str]) -> str:
    """Why a polyclinic none of whose weekdays can be planned is skipped."""
    days = "; ".join(f"{d}: {why.split(' (', 1)[0]}" for d, why in unplanned.items())
    rule = next(iter(unplanned.values())).split(" (", 1)[1].rstrip(")")
    return f"no weekday can be planned ({rule}; {days})"


def plan_week(pc: str, visit_types: tuple[str, ...], inputs: WeekInputs) -> Week | str:
    """The planned week of ``pc``, or why it cannot be planned."""
    own = inputs.given.get(pc)
    if own is not None and own.slots and any(s.doctor_session for s in own.slots):
        sessions, source = _template_sessions(own), "slot_template"
    elif inputs.roster_sessions.get(pc):
        sessions, source = inputs.roster_sessions[pc], inputs.roster_source
    else:
        sessions, source = sessions_from_staffing(inputs.staffing.get(pc, [])), "staffing"
    off = inputs.drop.get(pc, set())
    if sessions and all(s.weekday in off for s in sessions):
        return _too_few_sessions(inputs.unplanned[pc])
    sessions = [s for s in sessions if s.weekday not in off]
    times = inputs.times[inputs.times["polyclinic_id"] == pc]
    current = current_template(
        pc, own, inputs.inferred.get(pc), sessions, times, visit_types, inputs.on_grid
    )
    return Week(visit_types, sessions, source, current.without(off))


def grid_templates(
    inferred: dict[str, SlotTemplate], weeks: dict[str, Week]
) -> dict[str, SlotTemplate]:
    """The capacity of censored demand days: only slots that are a real booking grid
    (supplied, or inferred weekdays that are a slot grid; polyclinics without a week keep
    their inferred template)."""
    grid: dict[str, SlotTemplate] = {pc: t for pc, t in inferred.items() if pc not in weeks}
    for pc, w in weeks.items():
        if w.current.grid_weekdays:
            days = w.current.grid_weekdays
            slots = tuple(s for s in w.current.template.slots if s.weekday in days)
            grid[pc] = SlotTemplate(pc, slots, 60, "current")
    return grid
