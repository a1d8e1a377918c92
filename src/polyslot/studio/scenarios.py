"""Saved scenarios: named working copies under ``<out>/studio/scenarios/<polyclinic_id>/``.

A scenario file (``<name>.json``, written atomically) holds the whole week's slots, the what-if
factors in effect when it was saved, the time it was saved and the identity of the run it was
made on (:func:`run_identity`). ``polyslot run`` never deletes ``studio/``, so scenarios survive
a restart of the studio and a new run into the same folder; a scenario whose run identity is not
the folder's current one is *stale* and says so when reopened.

A working copy saved by an older studio (``edits/<polyclinic_id>.json``) is listed as the
scenario ``edits`` (its run is unknown).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyslot.atomic import write_json
from polyslot.errors import InputError
from polyslot.report.export import read_template
from polyslot.template import WEEKDAYS, Slot, SlotTemplate

__all__ = ["Scenario", "ScenarioStore", "run_identity", "RESERVED", "FORMAT"]

#: ``format`` of a scenario file.
FORMAT = "polyslot-studio-scenario"
#: Names that mean a template of the run or the working copy, and the legacy file.
RESERVED = ("current", "recommended", "working", "edits")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
_RUN_FILES = ("summary.json", "model/{pid}.json", "templates/{pid}.json",
              "templates/current/{pid}.json")  # fmt: skip


def run_identity(out: Path, polyclinic_id: str) -> str:
    """The identity of the run a polyclinic's templates come from: the first 16 hex digits of
    the SHA-256 of ``summary.json``, ``model/<id>.json``, ``templates/<id>.json`` and
    ``templates/current/<id>.json`` (those that exist). A new run changes it."""
    h = hashlib.sha256()
    for pattern in _RUN_FILES:
        path = out / pattern.format(pid=polyclinic_id)
        h.update(pattern.encode())
        h.update(path.read_bytes() if path.is_file() else b"-")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Scenario:
    """A saved working copy (``run_id`` None when unknown)."""

    name: str
    polyclinic_id: str
    template: SlotTemplate
    saved_at: str
    run_id: str | None
    whatif: dict[str, float] = field(default_factory=dict)
    stale: bool = False

    def info(self) -> dict[str, Any]:
        """A JSON-ready description (no slots)."""
        return {
            "name": self.name,
            "polyclinic_id": self.polyclinic_id,
            "saved_at": self.saved_at,
            "run_id": self.run_id,
            "stale": self.stale,
            "whatif": self.whatif,
            "slots": len(self.template.slots),
        }


def check_name(name: object) -> str:
    """A valid scenario name, or InputError naming the value."""
    text = str(name).strip()
    if not _NAME.match(text) or text.endswith("."):
        raise InputError(
            "must be 1-64 letters, digits, spaces, '_', '-' or '.', starting with a letter or "
            "digit", field="name", value=name,
        )  # fmt: skip
    if text.lower() in RESERVED:
        raise InputError(f"is reserved ({', '.join(RESERVED)})", field="name", value=name)
    return text


def _rows(template: SlotTemplate) -> list[dict[str, Any]]:
    return [
        {
            "weekday": WEEKDAYS[s.weekday],
            "start_time": f"{s.start_minute // 60:02d}:{s.start_minute % 60:02d}",
            "duration_minutes": int(s.duration_minutes),
            "visit_type": s.visit_type,
            "doctor_session": s.doctor_session,
            "overbooked": bool(s.overbooked),
        }
        for s in template.slots
    ]


def _slots(rows: Any, source: str) -> tuple[Slot, ...]:
    if not isinstance(rows, list):
        raise InputError("must be a list of slots", source=source, field="slots", value="?")
    out = []
    for i, r in enumerate(rows):
        try:
            hh, mm = str(r["start_time"]).split(":")
            out.append(
                Slot(
                    weekday=WEEKDAYS.index(r["weekday"]),
                    start_minute=int(hh) * 60 + int(mm),
                    duration_minutes=int(r["duration_minutes"]),
                    visit_type=str(r["visit_type"]),
                    doctor_session=str(r["doctor_session"]),
                    overbooked=bool(r.get("overbooked", False)),
                )
            )
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise InputError(
                f"unreadable slot ({exc})", source=source, field=f"slots[{i}]", value=r
            ) from None
    return tuple(out)


class ScenarioStore:
    """The scenarios of one run's output folder (see the module docstring)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.root = self.out / "studio" / "scenarios"

    def path(self, polyclinic_id: str, name: str) -> Path:
        """File of a scenario."""
        return self.root / polyclinic_id / f"{name}.json"

    def save(
        self, template: SlotTemplate, name: object, whatif: dict[str, float] | None = None
    ) -> Scenario:
        """Write the scenario ``name`` (replacing one of that name) atomically."""
        text = check_name(name)
        pid = template.polyclinic_id
        scenario = Scenario(
            name=text,
            polyclinic_id=pid,
            template=template,
            saved_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            run_id=run_identity(self.out, pid),
            whatif=dict(whatif or {}),
        )
        doc = {
            "format": FORMAT,
            "format_version": 1,
            **{k: v for k, v in scenario.info().items() if k not in ("stale", "slots")},
            "bucket_minutes": template.bucket_minutes,
            "slots": _rows(template),
        }
        write_json(self.path(pid, text), doc)
        return scenario

    def names(self, polyclinic_id: str) -> list[str]:
        """Saved scenario names of a polyclinic (sorted; ``edits`` when the legacy file
        exists)."""
        folder = self.root / polyclinic_id
        names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
        names = [n for n in names if _NAME.match(n) and n.lower() not in RESERVED]
        if (self.out / "edits" / f"{polyclinic_id}.json").is_file():
            names.append("edits")
        return names

    def list(self, polyclinic_id: str) -> list[Scenario]:
        """Every readable scenario of a polyclinic (unreadable files are skipped)."""
        out = []
        for name in self.names(polyclinic_id):
            try:
                out.append(self.load(polyclinic_id, name))
            except (InputError, KeyError):
                continue
        return out

    def load(self, polyclinic_id: str, name: str) -> Scenario:
        """Read a scenario (``stale`` set against the folder's current run).

        Raises
        ------
        KeyError
            No such scenario.
        InputError
            The file is not a scenario file.
        """
        current = run_identity(self.out, polyclinic_id)
        if name == "edits":
            legacy = self.out / "edits" / f"{polyclinic_id}.json"
            if not legacy.is_file():
                raise KeyError(name)
            tpl = read_template(legacy, label="edits")
            when = dt.datetime.fromtimestamp(legacy.stat().st_mtime, dt.UTC)
            return Scenario("edits", polyclinic_id, tpl, when.isoformat(timespec="seconds"),
                            None, stale=True)  # fmt: skip
        if not _NAME.match(name) or name.lower() in RESERVED:
            raise KeyError(name)
        path = self.path(polyclinic_id, name)
        if not path.is_file():
            raise KeyError(name)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"not JSON ({exc})", source=str(path)) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(f"must be {FORMAT}", source=str(path), field="format", value="?")
        slots = _slots(doc.get("slots"), str(path))
        tpl = SlotTemplate(polyclinic_id, slots, int(doc.get("bucket_minutes", 60)), name)
        run_id = doc.get("run_id")
        raw = doc.get("whatif")
        try:
            whatif = {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        except (TypeError, ValueError):
            whatif = {}
        return Scenario(
            name, polyclinic_id, tpl, str(doc.get("saved_at", "")),
            str(run_id) if run_id else None, whatif, stale=run_id != current,
        )  # fmt: skip
