"""The working copy of one polyclinic: a pure function of a base template and the edited grid.

A cell edit (``+``, ``-`` or a typed count) changes only the *target grid* of its weekday; the
day's slots are then rebuilt from the *base* (the template the day was last loaded from:
recommended at start, a reset, a frontier point, a timeline edit, a reopened scenario) by
:func:`materialize`: the cells whose target is below the base lose slots, then the cells above it
gain slots, each by the rules of :func:`polyslot.studio.edits.set_count`, in hour x visit type
order. So the same grid gives the same slots, in the same order (and therefore the same KPIs,
bit for bit) whatever the path to it: ``+1`` then ``-1`` on a cell is the base again.

Every change is recorded; :meth:`WorkingCopy.undo` restores the previous state exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from polyslot.studio.edits import grid_counts, replace_day, set_count
from polyslot.studio.kpis import ModelIndex
from polyslot.template import Slot, SlotTemplate

__all__ = ["WorkingCopy", "materialize", "MAX_UNDO"]

#: Changes kept for undo.
MAX_UNDO = 200

Cell = tuple[int, str]


def materialize(
    index: ModelIndex, base: SlotTemplate, weekday: int, target: dict[Cell, int]
) -> SlotTemplate:
    """``base`` with the cells of ``weekday`` set to ``target`` (cells not in ``target`` keep
    the base's count); removals first, then additions, each in (hour, visit type) order.

    Raises
    ------
    EditError
        A target cannot be reached (e.g. slots added in a break), naming the cell.
    """
    counts = grid_counts(base, weekday)
    tpl = base
    for phase in ("remove", "add"):
        for (hour, vt), n in sorted(target.items()):
            have = counts.get((hour, vt), (0, 0))[0]
            if (phase == "remove" and n < have) or (phase == "add" and n > have):
                tpl = set_count(index, tpl, weekday, hour, vt, n, reference=base)
    return tpl


@dataclass(frozen=True)
class _Snapshot:
    base: SlotTemplate
    grids: dict[int, dict[Cell, int]] = field(default_factory=dict)


class WorkingCopy:
    """The working copy of one polyclinic (a whole week) and its undo history.

    Parameters
    ----------
    base : SlotTemplate
        The week the working copy starts from (the recommended template).
    """

    def __init__(self, base: SlotTemplate) -> None:
        self._now = _Snapshot(replace(base, label="working"))
        self._template = self._now.base
        self._history: list[tuple[_Snapshot, SlotTemplate]] = []
        #: Incremented on every change (pages and the benchmark wait for it).
        self.version = 0

    @property
    def template(self) -> SlotTemplate:
        """The working copy."""
        return self._template

    @property
    def undo_depth(self) -> int:
        """Changes that :meth:`undo` can take back."""
        return len(self._history)

    def target(self, weekday: int) -> dict[Cell, int]:
        """The edited cells of ``weekday`` and their counts."""
        return dict(self._now.grids.get(weekday, {}))

    def _push(self, snap: _Snapshot, template: SlotTemplate) -> None:
        self._history.append((self._now, self._template))
        del self._history[:-MAX_UNDO]
        self._now, self._template = snap, template
        self.version += 1

    def set_cell(self, index: ModelIndex, weekday: int, hour: int, vt: str, count: int) -> bool:
        """Set one cell's count (validated by the caller); False when nothing changes."""
        base = self._now.base
        grid = dict(self._now.grids.get(weekday, {}))
        if count == grid_counts(base, weekday).get((hour, vt), (0, 0))[0]:
            grid.pop((hour, vt), None)
        else:
            grid[(hour, vt)] = count
        grids = {d: g for d, g in self._now.grids.items() if d != weekday}
        if grid:
            grids[weekday] = grid
        if grids == self._now.grids:
            return False
        day = materialize(index, base, weekday, grid).for_weekday(weekday).slots
        self._push(_Snapshot(base, grids), replace_day(self._template, weekday, day))
        return True

    def set_day(self, weekday: int, slots: tuple[Slot, ...]) -> None:
        """Replace the slots of ``weekday`` (a new base for that day; its edited cells are
        cleared)."""
        template = replace_day(self._template, weekday, slots)
        base = replace_day(self._now.base, weekday, slots)
        grids = {d: g for d, g in self._now.grids.items() if d != weekday}
        self._push(_Snapshot(base, grids), template)

    def set_week(self, template: SlotTemplate) -> None:
        """Replace the whole week (a reopened scenario)."""
        week = replace(self._template, slots=template.slots)
        self._push(_Snapshot(week), week)

    def undo(self) -> bool:
        """Take back the last change; False when there is none."""
        if not self._history:
            return False
        self._now, self._template = self._history.pop()
        self.version += 1
        return True
