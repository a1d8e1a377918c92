"""The studio's in-memory state: working copies, what-if factors, the KPI cache, jobs.

One planner, one process: the working copy of each polyclinic (a whole week, starting as the
recommended template; :class:`~polyslot.studio.working.WorkingCopy`) and its what-if factors
live here. Every KPI the studio shows comes from :meth:`StudioState.day`, one call of
:func:`~polyslot.studio.kpis.day_kpis` per (polyclinic, what-if, weekday, slots of the day),
cached by exactly that key (the day's slots in order): the same day gives the very same
numbers, however it was reached.
Nothing is written to the run's folder except scenarios (:mod:`polyslot.studio.scenarios`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from polyslot.day import ClinicDay
from polyslot.evaluation.clinic_day import DayMetrics
from polyslot.evaluation.day_settings import polyclinic_seed
from polyslot.studio.kpis import DayKPIs, ModelIndex, WhatIf, day_kpis, from_metrics
from polyslot.studio.run_data import Polyclinic, StudioRun
from polyslot.studio.scenarios import ScenarioStore
from polyslot.studio.simulate import SimJobs
from polyslot.studio.working import WorkingCopy
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = ["StudioState", "TEMPLATES"]

#: The templates every page knows by name.
TEMPLATES = ("current", "recommended", "working")
_MAX_CACHED_DAYS = 1024


class StudioState:
    """Working copies and caches over one :class:`StudioRun`."""

    def __init__(self, run: StudioRun) -> None:
        self.run = run
        self.scenarios = ScenarioStore(run.out)
        self.lock = threading.RLock()
        self._working: dict[str, WorkingCopy] = {}
        self._whatif: dict[str, WhatIf] = {}
        self._whatif_changes: dict[str, int] = {}
        self._origin: dict[str, dict[str, Any]] = {}
        self._index: OrderedDict[tuple, ModelIndex] = OrderedDict()
        self._days: OrderedDict[tuple, tuple[ClinicDay, DayMetrics]] = OrderedDict()
        self.jobs = SimJobs()
        self.network: Any = None  # the network plan's page (polyslot.studio.network), on demand
        self.last_ms = 0.0
        self.warm_seconds = 0.0

    def polyclinic(self, pid: str) -> Polyclinic:
        """The polyclinic (KeyError when unknown)."""
        return self.run.polyclinic(pid)

    def open_day(self, pid: str, day: str) -> int:
        """The weekday number of ``day`` (``Mon``..``Sun``); KeyError (404) when unknown or when
        the polyclinic has no session and no slot that day."""
        pc = self.polyclinic(pid)
        if day not in WEEKDAYS or WEEKDAYS.index(day) not in pc.open_days:
            raise KeyError(f"{pid} {day}")
        return WEEKDAYS.index(day)

    # -- working copy --------------------------------------------------------------------------
    def working_copy(self, pid: str) -> WorkingCopy:
        """The polyclinic's working copy (the recommended template until edited)."""
        with self.lock:
            wc = self._working.get(pid)
            if wc is None:
                wc = WorkingCopy(self.polyclinic(pid).recommended)
                self._working[pid] = wc
            return wc

    def working(self, pid: str) -> SlotTemplate:
        """The working copy's template (a whole week)."""
        return self.working_copy(pid).template

    def template(self, pid: str, name: str) -> SlotTemplate:
        """``current``, ``recommended``, ``working`` or a saved scenario's name (KeyError when
        unknown)."""
        if name == "working":
            return self.working(pid)
        pc = self.polyclinic(pid)
        if name in ("current", "recommended"):
            return pc.current if name == "current" else pc.recommended
        return self.scenarios.load(pid, name).template

    def origin(self, pid: str) -> dict[str, Any] | None:
        """The scenario the working copy was last reopened from (name, stale, run ids)."""
        return self._origin.get(pid)

    def set_origin(self, pid: str, info: dict[str, Any] | None) -> None:
        """Record (or clear) the scenario the working copy comes from."""
        with self.lock:
            if info is None:
                self._origin.pop(pid, None)
            else:
                self._origin[pid] = info

    # -- what-if -------------------------------------------------------------------------------
    def whatif(self, pid: str) -> WhatIf:
        """The polyclinic's what-if factors (all 1 by default)."""
        return self._whatif.get(pid, WhatIf())

    def set_whatif(self, pid: str, whatif: WhatIf) -> None:
        """Set the what-if factors."""
        with self.lock:
            self._whatif[pid] = whatif
            self._whatif_changes[pid] = self._whatif_changes.get(pid, 0) + 1

    def version(self, pid: str) -> str:
        """Changes whenever the KPIs shown can change: ``<working copy>-<what-if>`` counts."""
        return f"{self.working_copy(pid).version}-{self._whatif_changes.get(pid, 0)}"

    def index(self, pid: str, whatif: WhatIf | None = None) -> ModelIndex:
        """Lookups of the polyclinic's model under ``whatif`` (default: none; the edits use
        this one), cached."""
        key = (pid, whatif or WhatIf())
        with self.lock:
            hit = self._index.get(key)
            if hit is None:
                hit = ModelIndex(
                    self.polyclinic(pid).model,
                    key[1],
                    self.run.settings,
                    polyclinic_seed(self.run.seed, pid),
                )
                self._index[key] = hit
                while len(self._index) > 16:
                    self._index.popitem(last=False)
            return hit

    def engine(self, pid: str) -> ModelIndex:
        """The KPI engine's lookups under the polyclinic's current what-if factors."""
        return self.index(pid, self.whatif(pid))

    # -- KPIs ----------------------------------------------------------------------------------
    def evaluated(
        self, pid: str, template: SlotTemplate, weekday: int
    ) -> tuple[ClinicDay, DayMetrics]:
        """The clinic day of ``weekday`` of ``template`` under the current what-if factors and
        its evaluation (the only place the studio evaluates; cached by the day's slots)."""
        wi = self.whatif(pid)
        key = (pid, wi, weekday, tuple(s for s in template.slots if s.weekday == weekday))
        with self.lock:
            hit = self._days.get(key)
            if hit is not None:
                self._days.move_to_end(key)
                return hit
        index = self.engine(pid)
        day = index.day(template, weekday)
        found = (day, index.evaluate(day))
        with self.lock:
            self._days[key] = found
            while len(self._days) > _MAX_CACHED_DAYS:
                self._days.popitem(last=False)
        return found

    def day(self, pid: str, template: SlotTemplate, weekday: int) -> DayKPIs:
        """KPIs of ``weekday`` of ``template`` under the current what-if factors (the one
        clinic model, :meth:`evaluated`)."""
        if not any(s.weekday == weekday for s in template.slots):
            return day_kpis(self.engine(pid), template, weekday)
        return from_metrics(*self.evaluated(pid, template, weekday))

    def kpis(self, pid: str, weekday: int) -> dict[str, DayKPIs]:
        """KPIs of the current, recommended and working templates on ``weekday``."""
        t0 = time.perf_counter()
        out = {name: self.day(pid, self.template(pid, name), weekday) for name in TEMPLATES}
        self.last_ms = (time.perf_counter() - t0) * 1e3
        return out

    @property
    def cached_days(self) -> int:
        """Days whose KPIs are cached."""
        return len(self._days)

    def warm(self) -> float:
        """Load every polyclinic and compute the KPIs of its current and recommended templates
        on every open day (the first editor view then only renders); returns the seconds."""
        t0 = time.perf_counter()
        for pid in self.run.ids:
            pc = self.polyclinic(pid)
            for weekday in pc.open_days:
                self.kpis(pid, weekday)
        self.warm_seconds = time.perf_counter() - t0
        return self.warm_seconds
