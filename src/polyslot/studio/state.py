"""The studio's in-memory state: working copies, what-if factors, KPI caches, jobs.

One planner, one process: the working copy of each polyclinic (a whole week, starting as the
recommended template) and its what-if factors live here; nothing is written to the run's folder
except saved working copies in ``edits/``. KPIs of the current and recommended templates are
cached per (polyclinic, weekday, what-if); the working copy is re-evaluated on every edit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace

from polyslot.studio.kpis import DayKPIs, ModelIndex, WhatIf, day_kpis
from polyslot.studio.run_data import Polyclinic, StudioRun
from polyslot.studio.simulate import SimJobs
from polyslot.template import SlotTemplate

__all__ = ["StudioState"]


class StudioState:
    """Working copies and caches over one :class:`StudioRun`."""

    def __init__(self, run: StudioRun) -> None:
        self.run = run
        self.lock = threading.RLock()
        self._working: dict[str, SlotTemplate] = {}
        self._whatif: dict[str, WhatIf] = {}
        self._index: OrderedDict[tuple, ModelIndex] = OrderedDict()
        self._kpis: OrderedDict[tuple, DayKPIs] = OrderedDict()
        self.jobs = SimJobs()
        self.last_ms = 0.0

    def polyclinic(self, pid: str) -> Polyclinic:
        """The polyclinic (KeyError when unknown)."""
        return self.run.polyclinic(pid)

    # -- working copy --------------------------------------------------------------------------
    def working(self, pid: str) -> SlotTemplate:
        """The working copy (a whole week; the recommended template until edited)."""
        with self.lock:
            tpl = self._working.get(pid)
            if tpl is None:
                tpl = replace(self.polyclinic(pid).recommended, label="working")
                self._working[pid] = tpl
            return tpl

    def set_working(self, pid: str, template: SlotTemplate) -> None:
        """Replace the working copy."""
        with self.lock:
            self._working[pid] = replace(template, polyclinic_id=pid, label="working")

    def template(self, pid: str, scenario: str) -> SlotTemplate:
        """``current``, ``recommended`` or ``working``."""
        if scenario == "working":
            return self.working(pid)
        pc = self.polyclinic(pid)
        return pc.current if scenario == "current" else pc.recommended

    # -- what-if -------------------------------------------------------------------------------
    def whatif(self, pid: str) -> WhatIf:
        """The polyclinic's what-if factors (all 1 by default)."""
        return self._whatif.get(pid, WhatIf())

    def set_whatif(self, pid: str, whatif: WhatIf) -> None:
        """Set the what-if factors."""
        with self.lock:
            self._whatif[pid] = whatif

    def index(self, pid: str) -> ModelIndex:
        """Lookups of the polyclinic's model under its what-if factors (cached)."""
        key = (pid, self.whatif(pid))
        with self.lock:
            hit = self._index.get(key)
            if hit is None:
                hit = ModelIndex(key[1].apply(self.polyclinic(pid).model))
                self._index[key] = hit
                while len(self._index) > 16:
                    self._index.popitem(last=False)
            return hit

    # -- KPIs ----------------------------------------------------------------------------------
    def kpis(self, pid: str, weekday: int) -> dict[str, DayKPIs]:
        """Exact KPIs of the three templates on ``weekday`` (working copy always fresh)."""
        t0 = time.perf_counter()
        index = self.index(pid)
        wi = self.whatif(pid)
        out: dict[str, DayKPIs] = {}
        for scenario in ("current", "recommended"):
            key = (pid, weekday, scenario, wi)
            with self.lock:
                hit = self._kpis.get(key)
            if hit is None:
                hit = day_kpis(index, self.template(pid, scenario), weekday, demand=wi.demand)
                with self.lock:
                    self._kpis[key] = hit
                    while len(self._kpis) > 256:
                        self._kpis.popitem(last=False)
            out[scenario] = hit
        out["working"] = day_kpis(index, self.working(pid), weekday, demand=wi.demand)
        self.last_ms = (time.perf_counter() - t0) * 1e3
        return out
