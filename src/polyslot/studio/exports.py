"""Exports of the working copy: CSV, XLSX, JSON (the template formats of docs/report.md, written
by :mod:`polyslot.report.export`), the FHIR bundle when polyslot has that exporter, and the
change list against the current template."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from polyslot.report.export import write_template_csv, write_template_json, write_template_xlsx
from polyslot.studio.edits import change_list
from polyslot.template import SlotTemplate

__all__ = ["EXPORT_FORMATS", "export_bytes", "fhir_writer", "fhir_week", "changes_text"]

#: format -> (media type, file suffix)
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "fhir": ("application/fhir+json", "fhir.json"),
    "changes": ("text/plain; charset=utf-8", "changes.txt"),
}

_WRITERS: dict[str, Callable[[SlotTemplate, Path], Path]] = {
    "csv": write_template_csv,
    "json": write_template_json,
    "xlsx": write_template_xlsx,
}


def fhir_writer() -> Callable[..., Path] | None:
    """``polyslot.report.fhir.write_fhir_bundle(template, path, week_start, utc_offset)`` when
    polyslot has the FHIR exporter, else None."""
    try:
        module = importlib.import_module("polyslot.report.fhir")
    except ImportError:
        return None
    fn = getattr(module, "write_fhir_bundle", None)
    return fn if callable(fn) else None


def fhir_week(out_dir: Path, polyclinic_id: str) -> tuple[dt.date, str]:
    """Week (its Monday) and UTC offset of the run's own FHIR bundle of the polyclinic
    (``templates/<id>.fhir.json``), else the next Monday and ``+00:00``."""
    path = out_dir / "templates" / f"{polyclinic_id}.fhir.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        starts = [
            str(e["resource"]["start"])
            for e in doc.get("entry", [])
            if e.get("resource", {}).get("resourceType") == "Slot"
        ]
        first = min(starts)
        day = dt.date.fromisoformat(first[:10])
        offset = first[19:] or "+00:00"
        return day - dt.timedelta(days=day.weekday()), "+00:00" if offset == "Z" else offset
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        today = dt.date.today()
        return today + dt.timedelta(days=7 - today.weekday()), "+00:00"


def changes_text(current: SlotTemplate, working: SlotTemplate) -> str:
    """The change list as text, one line per change (a note when nothing changed)."""
    lines = change_list(current, working)
    return "\n".join(lines) + "\n" if lines else "no change against the current template\n"


def export_bytes(
    fmt: str,
    working: SlotTemplate,
    current: SlotTemplate,
    week: tuple[dt.date, str] | None = None,
) -> bytes:
    """The working copy in ``fmt`` (a key of :data:`EXPORT_FORMATS`); ``week`` = (Monday, UTC
    offset) the FHIR bundle is laid on (:func:`fhir_week`).

    Raises
    ------
    KeyError
        Unknown format, or ``fhir`` while polyslot has no FHIR exporter.
    """
    if fmt == "changes":
        return changes_text(current, working).encode("utf-8")
    fhir = fhir_writer() if fmt == "fhir" else None
    writer = _WRITERS.get(fmt)
    if writer is None and fhir is None:
        raise KeyError(fmt)
    with tempfile.TemporaryDirectory(prefix="polyslot-studio-") as tmp:
        path = Path(tmp) / f"{working.polyclinic_id}.{EXPORT_FORMATS[fmt][1]}"
        if fhir is not None:
            monday, offset = week or fhir_week(Path(tmp), working.polyclinic_id)
            fhir(working, path, monday, offset)
        elif writer is not None:
            writer(working, path)
        return path.read_bytes()
