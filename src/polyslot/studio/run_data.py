"""The outputs of a finished ``polyslot run``, loaded read-only for the studio.

What is read (all aggregates; nothing patient-level):

* ``summary.json`` — the network table and the verdicts (when the run wrote them);
* ``model/<polyclinic_id>.json`` — the :class:`~polyslot.clinic_model.ClinicModel`;
* ``templates/<polyclinic_id>.json`` — the recommended template;
* ``templates/current/<polyclinic_id>.json`` — the current template when the run wrote it,
  else the model's ``current_template``;
* ``frontier/<polyclinic_id>.json`` — the trade-off frontier (optional);
* ``network/plan.json`` and ``network/templates/<polyclinic_id>.json`` — the network plan
  (optional; read by :mod:`polyslot.studio.network`).

The only folder the studio writes is ``studio/`` (saved scenarios, atomically; see
:mod:`polyslot.studio.scenarios`).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.errors import InputError
from polyslot.evaluation.day_settings import DaySettings
from polyslot.report.export import read_template
from polyslot.report.run_kpis import RUN_CONFIG_FILE, run_config
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = ["Polyclinic", "StudioRun", "slots_from_rows"]

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def slots_from_rows(rows: list[dict[str, Any]], weekday: int) -> tuple[Slot, ...]:
    """Slots of one weekday from template JSON rows (``start_time`` HH:MM, ...)."""
    out = []
    for r in rows:
        hh, mm = str(r["start_time"]).split(":")
        out.append(
            Slot(
                weekday=weekday,
                start_minute=int(hh) * 60 + int(mm),
                duration_minutes=int(r["duration_minutes"]),
                visit_type=str(r.get("visit_type") or "any"),
                doctor_session=str(r["doctor_session"]),
                overbooked=bool(r.get("overbooked", False)),
            )
        )
    return tuple(out)


@dataclass
class Polyclinic:
    """One polyclinic's model, templates and frontier (loaded once)."""

    polyclinic_id: str
    model: ClinicModel
    current: SlotTemplate
    recommended: SlotTemplate
    frontier: dict[str, Any] | None = None
    extra_points: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def weekdays(self) -> tuple[int, ...]:
        """Weekdays with slots in either template."""
        return tuple(sorted(set(self.current.weekdays) | set(self.recommended.weekdays)))

    @property
    def open_days(self) -> tuple[int, ...]:
        """Weekdays the polyclinic works: slots in either template or a roster session."""
        roster = {s.weekday for s in self.model.sessions}
        return tuple(sorted(set(self.weekdays) | roster))

    def frontier_points(self, weekday: int) -> tuple[list[dict[str, Any]], int | None]:
        """Frontier points of ``weekday`` (run's and re-optimised) and the chosen index."""
        day = (self.frontier or {}).get("weekdays", {}).get(WEEKDAYS[weekday], {})
        points = list(day.get("points", [])) + self.extra_points.get(weekday, [])
        chosen = day.get("chosen")
        return points, (int(chosen) if isinstance(chosen, int) else None)


class StudioRun:
    """Lazy, read-only view of a run's output folder.

    Parameters
    ----------
    out_dir : path
        The folder ``polyslot run --out`` wrote.

    Raises
    ------
    InputError
        The folder has no ``model/`` of any polyclinic.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        models = sorted(p.stem for p in (self.out / "model").glob("*.json"))
        self.ids = [m for m in models if m != "fit_summary" and _ID.match(m)]
        if not self.ids:
            raise InputError(
                "no model/<polyclinic>.json: run `polyslot run --out DIR` first",
                source=str(self.out),
            )
        self._loaded: dict[str, Polyclinic] = {}
        self._lock = threading.Lock()
        # how the run built and evaluated its clinic days, and its seed: the studio's numbers
        # are the run's (a folder without run_config.json: the defaults of a run)
        config = run_config(self.out) if (self.out / RUN_CONFIG_FILE).is_file() else RunConfig()
        self.settings = DaySettings.from_config(config)
        self.seed = int(config.seed)

    # -- summary -------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """``summary.json`` (empty tables when absent or unreadable)."""
        try:
            data = json.loads((self.out / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"polyclinics": [], "network": {}}
        return data if isinstance(data, dict) else {"polyclinics": [], "network": {}}

    # -- polyclinics ---------------------------------------------------------------------------
    def polyclinic(self, polyclinic_id: str) -> Polyclinic:
        """Load (once) and return one polyclinic.

        Raises
        ------
        KeyError
            Unknown polyclinic id.
        """
        if polyclinic_id not in self.ids:
            raise KeyError(polyclinic_id)
        with self._lock:
            hit = self._loaded.get(polyclinic_id)
            if hit is None:
                hit = self._load(polyclinic_id)
                self._loaded[polyclinic_id] = hit
            return hit

    def _load(self, pid: str) -> Polyclinic:
        model = ClinicModel.from_json(self.out / "model" / f"{pid}.json")
        cur_file = self.out / "templates" / "current" / f"{pid}.json"
        current = (
            read_template(cur_file, label="current")
            if cur_file.is_file()
            else model.current_template
        )
        rec_file = self.out / "templates" / f"{pid}.json"
        recommended = read_template(rec_file) if rec_file.is_file() else current
        frontier = None
        fr_file = self.out / "frontier" / f"{pid}.json"
        if fr_file.is_file():
            try:
                data = json.loads(fr_file.read_text(encoding="utf-8"))
                frontier = data if isinstance(data, dict) else None
            except ValueError:
                frontier = None
        return Polyclinic(
            pid,
            model,
            _relabel(current, "current"),
            _relabel(recommended, "recommended"),
            frontier,
        )


def _relabel(template: SlotTemplate, label: str) -> SlotTemplate:
    return SlotTemplate(template.polyclinic_id, template.slots, template.bucket_minutes, label)
