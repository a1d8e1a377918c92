"""Importable slot templates: CSV, JSON and XLSX, one row per slot.

Columns (in this order): ``polyclinic_id``, ``weekday`` (``Mon``..``Sun``), ``start_time``
(``HH:MM``), ``duration_minutes``, ``visit_type``, ``doctor_session``, ``overbooked``
(``true``/``false`` in CSV and JSON, a boolean cell in XLSX). Rows are sorted by weekday, doctor
session and start time. The files are byte-for-byte deterministic (the XLSX has fixed document
dates and zip timestamps) and written atomically. :func:`read_template` reads any of the three
back into a :class:`~polyslot.template.SlotTemplate`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from polyslot.atomic import atomic_path, write_text
from polyslot.errors import InputError
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = [
    "TEMPLATE_COLUMNS",
    "FORMAT_VERSION",
    "template_rows",
    "write_template_csv",
    "write_template_json",
    "write_template_xlsx",
    "write_templates",
    "read_template",
]

#: Column order of every template file.
TEMPLATE_COLUMNS = (
    "polyclinic_id",
    "weekday",
    "start_time",
    "duration_minutes",
    "visit_type",
    "doctor_session",
    "overbooked",
)
#: Version of the JSON template format.
FORMAT_VERSION = 1
_FIXED_DATE = datetime(2000, 1, 1)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def template_rows(template: SlotTemplate) -> pd.DataFrame:
    """The template as the export frame (:data:`TEMPLATE_COLUMNS`)."""
    frame = template.to_frame()
    out = pd.DataFrame(
        {
            "polyclinic_id": template.polyclinic_id,
            "weekday": [WEEKDAYS[int(d)] for d in frame["weekday"]],
            "start_time": frame["start_time"].astype(str),
            "duration_minutes": frame["duration_minutes"].astype(int),
            "visit_type": frame["visit_type"].astype(str),
            "doctor_session": frame["doctor_session"].astype(str),
            "overbooked": frame["overbooked"].astype(bool),
        },
        columns=list(TEMPLATE_COLUMNS),
    )
    return out.reset_index(drop=True)


def write_template_csv(template: SlotTemplate, path: str | Path) -> Path:
    """Write the template as CSV (UTF-8, ``\\n`` line ends, booleans ``true``/``false``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for row in template_rows(template).itertuples(index=False):
        writer.writerow([*row[:-1], "true" if row[-1] else "false"])
    return write_text(path, buf.getvalue())


def write_template_json(template: SlotTemplate, path: str | Path) -> Path:
    """Write the template as JSON: ``{"format_version", "polyclinic_id", "label",
    "bucket_minutes", "columns", "slots": [{column: value, ...}, ...]}``."""
    rows = template_rows(template)
    slots = [
        {
            "weekday": r.weekday,
            "start_time": r.start_time,
            "duration_minutes": int(r.duration_minutes),
            "visit_type": r.visit_type,
            "doctor_session": r.doctor_session,
            "overbooked": bool(r.overbooked),
        }
        for r in rows.itertuples(index=False)
    ]
    doc = {
        "format_version": FORMAT_VERSION,
        "polyclinic_id": template.polyclinic_id,
        "label": template.label,
        "bucket_minutes": template.bucket_minutes,
        "columns": list(TEMPLATE_COLUMNS[1:]),
        "slots": slots,
    }
    return write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def write_template_xlsx(template: SlotTemplate, path: str | Path) -> Path:
    """Write the template as XLSX: sheet ``template`` (one row per slot) and sheet
    ``slots_per_hour`` (slots per weekday x hour x visit type)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "template"
    ws.append(list(TEMPLATE_COLUMNS))
    for row in template_rows(template).itertuples(index=False):
        ws.append([*(v.item() if hasattr(v, "item") else v for v in row)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFG", (14, 9, 11, 17, 20, 16, 11), strict=True):
        ws.column_dimensions[col].width = width
    counts = template.counts()
    ws2 = wb.create_sheet("slots_per_hour")
    ws2.append(["weekday", "hour", "visit_type", "slots"])
    for r in counts.itertuples(index=False):
        ws2.append(
            [
                WEEKDAYS[int(r.weekday)],
                f"{int(r.bucket_start) // 60:02d}:{int(r.bucket_start) % 60:02d}",
                str(r.visit_type),
                int(r.slots),
            ]
        )
    for cell in ws2[1]:
        cell.font = Font(bold=True)
    wb.properties.creator = "polyslot"
    wb.properties.created = _FIXED_DATE
    buf = io.BytesIO()
    wb.save(buf)
    data = _normalise_zip(buf.getvalue())
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an XLSX zip with fixed timestamps so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", text
                )
                content = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def write_templates(template: SlotTemplate, folder: str | Path) -> dict[str, Path]:
    """Write ``<polyclinic_id>.csv``, ``.json`` and ``.xlsx`` into ``folder``."""
    folder = Path(folder)
    stem = template.polyclinic_id
    return {
        "csv": write_template_csv(template, folder / f"{stem}.csv"),
        "json": write_template_json(template, folder / f"{stem}.json"),
        "xlsx": write_template_xlsx(template, folder / f"{stem}.xlsx"),
    }


def read_template(path: str | Path, *, label: str = "recommended") -> SlotTemplate:
    """Read a template file written by this module (format chosen by the suffix).

    Raises
    ------
    InputError
        Unknown suffix, unreadable file, missing column, or a bad weekday / time / flag value.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            pid = _single_id(frame, path)
        elif suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            frame = pd.DataFrame(doc.get("slots", []), columns=list(TEMPLATE_COLUMNS[1:]))
            pid = str(doc.get("polyclinic_id") or path.stem)
            label = str(doc.get("label", label))
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, sheet_name="template", dtype=object, engine="openpyxl")
            pid = _single_id(frame, path)
        else:
            raise InputError("expected a .csv, .json or .xlsx file", source=str(path))
    except (OSError, ValueError, KeyError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"cannot read template ({exc})", source=str(path)) from None
    missing = [c for c in TEMPLATE_COLUMNS[1:] if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}", source=str(path), field="columns")
    rows = [_parse_row(r, path) for r in frame.to_dict("records")]
    return SlotTemplate.from_frame(pid, pd.DataFrame(rows), label=label)


def _single_id(frame: pd.DataFrame, path: Path) -> str:
    if "polyclinic_id" not in frame.columns or frame.empty:
        return path.stem
    ids = sorted({str(v) for v in frame["polyclinic_id"]})
    if len(ids) != 1:
        raise InputError("one polyclinic per file expected", source=str(path), value=ids)
    return ids[0]


def _parse_row(r: dict[str, Any], path: Path) -> dict[str, Any]:
    day = str(r["weekday"])
    if day not in WEEKDAYS:
        raise InputError(
            f"got {day!r}, expected one of {', '.join(WEEKDAYS)}",
            source=str(path),
            field="weekday",
            value=day,
        )
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", str(r["start_time"]).strip())
    if not m:
        raise InputError(
            f"got {r['start_time']!r}, expected HH:MM",
            source=str(path),
            field="start_time",
            value=r["start_time"],
        )
    flag = r["overbooked"]
    if isinstance(flag, str):
        if flag.strip().lower() not in ("true", "false", "1", "0"):
            raise InputError(
                f"got {flag!r}, expected true or false",
                source=str(path),
                field="overbooked",
                value=flag,
            )
        flag = flag.strip().lower() in ("true", "1")
    try:
        duration = int(r["duration_minutes"])
    except (TypeError, ValueError):
        raise InputError(
            f"got {r['duration_minutes']!r}, expected a whole number of minutes",
            source=str(path),
            field="duration_minutes",
            value=r["duration_minutes"],
        ) from None
    return {
        "weekday": WEEKDAYS.index(day),
        "start_minute": int(m.group(1)) * 60 + int(m.group(2)),
        "duration_minutes": duration,
        "visit_type": str(r["visit_type"]),
        "doctor_session": str(r["doctor_session"]),
        "overbooked": bool(flag),
    }
