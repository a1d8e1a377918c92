"""HL7 FHIR R4 bulk-export NDJSON (``Appointment`` + ``Encounter``) read as POLYCLINIC_ATTENDANCES.

A source is one ``.ndjson`` (or ``.ndjson.gz``) file or a folder of them (a ``$export``
output: ``Appointment.ndjson``, ``Encounter.ndjson``, ...), read in name order; each line is one
resource, other resource types are ignored. The rules (docs/data.md, "FHIR R4 NDJSON"):

- one row per ``Appointment``: ``attendance_id`` = ``id``; ``appointment_ts`` = ``start``;
  ``booking_ts`` = ``created``; ``visit_type`` = the first ``serviceType`` (its first coding's
  ``code``, else its ``text``), else ``appointmentType`` likewise; from ``participant[].actor``:
  ``polyclinic_id`` = the ``Location`` (else ``HealthcareService``) id, ``patient_id`` = the
  ``Patient`` id, ``doctor_id`` = the ``Practitioner`` (else ``PractitionerRole``) id;
- the ``Encounter`` whose ``appointment`` references it gives ``arrival_ts`` = start of the
  ``statusHistory`` entry ``arrived`` (else ``period.start``), ``consult_start_ts`` = start of the
  entry ``in-progress`` (else ``period.start``) and ``consult_end_ts`` = its end (else
  ``period.end``);
- an ``Encounter`` without an ``appointment`` is a walk-in (``attendance_id`` =
  ``Encounter/<id>``) when ``finished``; polyclinic from ``location[0]`` (else
  ``serviceProvider``), patient from ``subject``, doctor from ``participant[].individual``,
  visit type from ``serviceType`` (else ``type[0]``);
- ``status`` is recoded by :data:`FHIR_STATUS` (a mapping's ``[attendances.values.status]``
  replaces it): ``fulfilled`` -> attended, ``noshow`` -> no_show, ``cancelled`` -> cancelled,
  finished walk-in encounters -> walk_in; ``proposed``, ``pending``, ``booked``, ``arrived``,
  ``checked-in``, ``waitlist``, ``entered-in-error`` and unfinished walk-in encounters are
  excluded (read, counted, not used).

Time-zone offsets are dropped keeping the wall-clock time, as for every timestamp.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from polyslot.data.mapping.model import ValueRule
from polyslot.errors import DataError

__all__ = ["FHIR_COLUMNS", "FHIR_STATUS", "fhir_files", "is_fhir_source", "iter_fhir"]

FHIR_COLUMNS = (
    "attendance_id",
    "polyclinic_id",
    "patient_id",
    "visit_type",
    "booking_ts",
    "appointment_ts",
    "arrival_ts",
    "consult_start_ts",
    "consult_end_ts",
    "doctor_id",
    "status",
)
_WALK_IN = "walk-in encounter"
_OPEN_ENCOUNTER = "unfinished walk-in encounter"

#: Default recoding of FHIR statuses (AppointmentStatus, plus the walk-in encounters).
FHIR_STATUS = ValueRule(
    "status",
    (
        ("attended", ("fulfilled",)),
        ("no_show", ("noshow",)),
        ("cancelled", ("cancelled",)),
        ("walk_in", (_WALK_IN,)),
        (
            "exclude",
            (
                "proposed",
                "pending",
                "booked",
                "arrived",
                "checked-in",
                "waitlist",
                "entered-in-error",
                _OPEN_ENCOUNTER,
            ),
        ),
    ),
)
_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl")


def is_fhir_source(path: Path) -> bool:
    """Whether ``path`` is an NDJSON file or a folder holding NDJSON files."""
    if path.is_dir():
        return any(p.name.lower().endswith(_SUFFIXES) for p in path.iterdir())
    return path.name.lower().endswith(_SUFFIXES)


def fhir_files(path: Path) -> list[Path]:
    """The NDJSON files of a source, in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.lower().endswith(_SUFFIXES))
    return [path]


def _resources(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                res = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"line {n}: not a JSON resource ({exc.msg}); expected one FHIR resource "
                    "per line",
                    source=str(path),
                ) from None
            if isinstance(res, dict):
                yield res


def _ref_id(ref: object, kind: str) -> str | None:
    if isinstance(ref, dict):
        r = ref.get("reference")
        if isinstance(r, str) and r.startswith(kind + "/"):
            return r[len(kind) + 1 :]
    return None


def _concept(c: object) -> str | None:
    if isinstance(c, list):
        c = c[0] if c else None
    if isinstance(c, dict) and "concept" in c:  # R5-style CodeableReference
        c = c["concept"]
    if not isinstance(c, dict):
        return None
    for coding in c.get("coding") or []:
        if isinstance(coding, dict) and coding.get("code"):
            return str(coding["code"])
    return c.get("text")


def _actor(refs: list[object], *kinds: str) -> str | None:
    for kind in kinds:
        for ref in refs:
            found = _ref_id(ref, kind)
            if found:
                return found
    return None


def _times(enc: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(arrival, consultation start, consultation end) of an Encounter."""
    period = enc.get("period") or {}
    hist = {h.get("status"): h.get("period") or {} for h in enc.get("statusHistory") or []}
    arrived, progress = hist.get("arrived", {}), hist.get("in-progress", {})
    start = progress.get("start") or period.get("start")
    end = progress.get("end") or period.get("end")
    return arrived.get("start") or period.get("start"), start, end


def _appointment_row(app: dict[str, Any], enc: dict[str, Any] | None) -> dict[str, Any]:
    actors = [p.get("actor") for p in app.get("participant") or [] if isinstance(p, dict)]
    arrival, start, end = _times(enc) if enc else (None, None, None)
    return {
        "attendance_id": app.get("id"),
        "polyclinic_id": _actor(actors, "Location", "HealthcareService"),
        "patient_id": _actor(actors, "Patient"),
        "visit_type": _concept(app.get("serviceType")) or _concept(app.get("appointmentType")),
        "booking_ts": app.get("created"),
        "appointment_ts": app.get("start"),
        "arrival_ts": arrival,
        "consult_start_ts": start,
        "consult_end_ts": end,
        "doctor_id": _actor(actors, "Practitioner", "PractitionerRole"),
        "status": app.get("status"),
    }


def _walk_in_row(enc: dict[str, Any]) -> dict[str, Any]:
    arrival, start, end = _times(enc)
    locs = [loc.get("location") for loc in enc.get("location") or [] if isinstance(loc, dict)]
    people = [p.get("individual") for p in enc.get("participant") or [] if isinstance(p, dict)]
    return {
        "attendance_id": f"Encounter/{enc.get('id')}",
        "polyclinic_id": _actor(locs, "Location")
        or _ref_id(enc.get("serviceProvider"), "Organization"),
        "patient_id": _ref_id(enc.get("subject"), "Patient"),
        "visit_type": _concept(enc.get("serviceType")) or _concept(enc.get("type")),
        "booking_ts": None,
        "appointment_ts": None,
        "arrival_ts": arrival,
        "consult_start_ts": start,
        "consult_end_ts": end,
        "doctor_id": _actor(people, "Practitioner", "PractitionerRole"),
        "status": _WALK_IN if enc.get("status") == "finished" else _OPEN_ENCOUNTER,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(FHIR_COLUMNS), dtype=object)
    return df.astype("string[pyarrow]")


def iter_fhir(path: Path, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Attendance rows of the export: appointments in file order, then walk-in encounters."""
    files = fhir_files(path)
    by_appointment: dict[str, dict[str, Any]] = {}
    walk_ins: list[dict[str, Any]] = []
    for f in files:
        for res in _resources(f):
            if res.get("resourceType") != "Encounter":
                continue
            refs = [r for a in res.get("appointment") or [] if (r := _ref_id(a, "Appointment"))]
            for r in refs:
                by_appointment[r] = res
            if not refs:
                walk_ins.append(res)
    rows: list[dict[str, Any]] = []
    for f in files:
        for res in _resources(f):
            if res.get("resourceType") == "Appointment":
                rows.append(_appointment_row(res, by_appointment.get(str(res.get("id")))))
                if len(rows) >= batch_rows:
                    yield _frame(rows)
                    rows = []
    rows.extend(_walk_in_row(e) for e in walk_ins)
    if rows:
        yield _frame(rows)
