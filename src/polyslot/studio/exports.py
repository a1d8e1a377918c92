"""Exports of the working copy: CSV, XLSX, JSON (the template formats of docs/report.md, written
by :mod:`polyslot.report.export`), the FHIR bundle when polyslot has that exporter, and the
change list against the current template."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from polyslot.report.export import write_template_csv, write_template_json, write_template_xlsx
from polyslot.studio.edits import change_list
from polyslot.template import SlotTemplate

__all__ = ["EXPORT_FORMATS", "export_bytes", "fhir_writer", "changes_text"]

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


def fhir_writer() -> Callable[[SlotTemplate, Path], Path] | None:
    """The FHIR R4 Schedule/Slot bundle writer of ``polyslot.report``, when it exists."""
    for module, name in (
        ("polyslot.report.fhir", "write_template_fhir"),
        ("polyslot.report.export", "write_template_fhir"),
    ):
        try:
            fn = getattr(importlib.import_module(module), name, None)
        except ImportError:
            fn = None
        if callable(fn):
            return fn
    return None


def changes_text(current: SlotTemplate, working: SlotTemplate) -> str:
    """The change list as text, one line per change (a note when nothing changed)."""
    lines = change_list(current, working)
    return "\n".join(lines) + "\n" if lines else "no change against the current template\n"


def export_bytes(fmt: str, working: SlotTemplate, current: SlotTemplate) -> bytes:
    """The working copy in ``fmt`` (a key of :data:`EXPORT_FORMATS`).

    Raises
    ------
    KeyError
        Unknown format, or ``fhir`` while polyslot has no FHIR exporter.
    """
    if fmt == "changes":
        return changes_text(current, working).encode("utf-8")
    writer = fhir_writer() if fmt == "fhir" else _WRITERS.get(fmt)
    if writer is None:
        raise KeyError(fmt)
    with tempfile.TemporaryDirectory(prefix="polyslot-studio-") as tmp:
        path = Path(tmp) / f"{working.polyclinic_id}.{EXPORT_FORMATS[fmt][1]}"
        written = writer(working, path)
        return Path(written or path).read_bytes()
