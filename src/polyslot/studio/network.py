"""The network plan in the studio: the moves of ``network/plan.json`` and a what-if on them.

The network state of a polyclinic is its model's doctor-sessions with the plan's moves applied
(a lender's ``doctor_session`` taken off, a borrower's ``borrower_session`` put on duty with its
hours) and its template for that roster (``network/templates/<id>.json``; the recommended one
when the plan has none). A what-if adds or takes off one doctor-session on one half-day of a
polyclinic (:func:`polyslot.network.halves.changed_sessions`), optionally with the opposite
change at another polyclinic (the doctor comes from, or goes to, there), and shows both
polyclinics' KPIs of that weekday before and after: the clinic day is built by the one builder
with the changed sessions and evaluated with the run's settings and seed
(:class:`~polyslot.studio.kpis.ModelIndex`), the template held as it is.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from polyslot.clinic_model import DoctorSession
from polyslot.errors import InputError
from polyslot.evaluation.day_settings import polyclinic_seed
from polyslot.network.halves import changed_sessions, half_sessions, hhmm
from polyslot.report.export import read_template
from polyslot.staffing import HALVES
from polyslot.studio.kpis import DayKPIs, ModelIndex, from_metrics
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = ["NetworkStudio", "WhatIfChange"]

_MAX_CACHED = 256


def _minute(text: str) -> int:
    h, m = str(text).split(":")
    return int(h) * 60 + int(m)


@dataclasses.dataclass(frozen=True)
class WhatIfChange:
    """One doctor-session more (``change`` +1) or fewer (-1) at ``polyclinic`` on ``weekday``'s
    ``half``; ``other`` (optional) gets the opposite change."""

    polyclinic: str
    weekday: int
    half: str
    change: int
    other: str | None = None


class NetworkStudio:
    """The run's network plan and its what-if (see the module docstring)."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.out = state.run.out
        self._doc: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, DayKPIs] = OrderedDict()

    # -- the plan ------------------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        """``network/plan.json`` (empty when the run has none)."""
        if self._doc is None:
            path = self.out / "network" / "plan.json"
            try:
                doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            except ValueError:
                doc = {}
            self._doc = doc if isinstance(doc, dict) else {}
        return self._doc

    def ids(self) -> list[str]:
        """Polyclinics of the run."""
        return list(self.state.run.ids)

    def sessions(self, pid: str) -> tuple[DoctorSession, ...]:
        """The polyclinic's doctor-sessions after the plan's moves."""
        model = self.state.polyclinic(pid).model
        out = list(model.sessions)
        for m in self.document().get("moves", []):
            d = WEEKDAYS.index(m["weekday"])
            if m["from"] == pid:
                gone = m["doctor_session"]
                out = [s for s in out if not (s.weekday == d and s.session_id == gone)]
            if m["to"] == pid:
                out.append(DoctorSession(d, str(m["borrower_session"]), _minute(m["start_time"]),
                                         _minute(m["end_time"])))
        return tuple(out)

    def template(self, pid: str) -> SlotTemplate:
        """The polyclinic's template for the network roster."""
        path = self.out / "network" / "templates" / f"{pid}.json"
        if path.is_file():
            return read_template(path, label="network")
        return self.state.polyclinic(pid).recommended

    def counts(self, pid: str, weekday: int) -> dict[str, int]:
        """Doctor-sessions per half-day of ``weekday`` in the network plan."""
        return {h: len(v) for h, v in half_sessions(self.sessions(pid), weekday).items()}

    # -- KPIs ----------------------------------------------------------------------------------
    def kpis(self, pid: str, weekday: int, sessions: tuple[DoctorSession, ...]) -> DayKPIs:
        """The one model's KPIs of ``weekday`` with ``sessions`` on duty (the run's settings and
        seed; cached by the day's sessions and slots)."""
        tpl = self.template(pid)
        day_slots = tuple(s for s in tpl.slots if s.weekday == weekday)
        on_duty = tuple(sorted((s for s in sessions if s.weekday == weekday),
                               key=lambda s: s.session_id))  # fmt: skip
        key = (pid, weekday, on_duty, day_slots)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        pc = self.state.polyclinic(pid)
        model = dataclasses.replace(pc.model, sessions=tuple(sessions))
        run = self.state.run
        index = ModelIndex(model, None, run.settings, polyclinic_seed(run.seed, pid))
        day = index.day(tpl, weekday, "network")
        found = from_metrics(day, index.evaluate(day))
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > _MAX_CACHED:
                self._cache.popitem(last=False)
        return found

    def parse(self, form: Mapping[str, str]) -> WhatIfChange:
        """The what-if of a form (``polyclinic``, ``weekday``, ``session``, ``change``,
        ``other``); InputError naming the field and the value when one is not allowed."""
        pid = form.get("polyclinic", "")
        if pid not in self.ids():
            raise InputError("must be a polyclinic of the run", field="polyclinic", value=pid)
        day = form.get("weekday", "")
        if day not in WEEKDAYS:
            raise InputError("must be Mon..Sun", field="weekday", value=day)
        half = form.get("session", "")
        if half not in HALVES:
            raise InputError("must be AM or PM", field="session", value=half)
        raw = form.get("change", "")
        if raw not in ("+1", "1", "-1"):
            raise InputError("must be +1 (add a doctor) or -1 (take one off)", field="change",
                             value=raw)
        other = form.get("other", "") or None
        if other is not None and (other not in self.ids() or other == pid):
            raise InputError("must be another polyclinic of the run (or none)", field="other",
                             value=other)
        change = WhatIfChange(pid, WEEKDAYS.index(day), half, 1 if raw != "-1" else -1, other)
        for who, k in ((pid, change.change), (other, -change.change)):
            if who is not None:
                self._check(who, change.weekday, half, k)
        return change

    def _check(self, pid: str, weekday: int, half: str, k: int) -> None:
        n = self.counts(pid, weekday)[half]
        if n == 0:
            raise InputError(f"{pid} has no doctor-session on {WEEKDAYS[weekday]} {half}",
                             field="session", value=half)
        if k < 0 and n <= 1:
            raise InputError(f"{pid} keeps at least one doctor on {WEEKDAYS[weekday]} {half}",
                             field="change", value=k)

    def what_if(self, change: WhatIfChange) -> list[dict[str, Any]]:
        """Both polyclinics' KPIs of the weekday: the network plan and with ``change``."""
        rows = []
        for pid, k in ((change.polyclinic, change.change), (change.other, -change.change)):
            if pid is None:
                continue
            base = self.sessions(pid)
            new, added, removed = changed_sessions(base, change.weekday, {change.half: k})
            before = self.kpis(pid, change.weekday, base)
            after = self.kpis(pid, change.weekday, new)
            what = (f"+1 doctor ({added[0].session_id}, {hhmm(added[0].start_minute)}-"
                    f"{hhmm(added[0].end_minute)})" if added else f"-1 doctor ({removed[0]})")
            rows.append({"polyclinic": pid, "change": what,
                         "doctors": self.counts(pid, change.weekday)[change.half],
                         "before": before, "after": after})  # fmt: skip
        return rows
