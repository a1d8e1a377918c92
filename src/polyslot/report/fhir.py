"""A recommended template as an HL7 FHIR R4 ``Bundle`` of ``Schedule`` and ``Slot`` resources.

The weekly template is laid on one concrete planning week (FHIR slots have dates): weekday
``d`` of the template becomes ``week_start + d`` days, ``week_start`` being a Monday. Times are
the polyclinic's local wall-clock times written with a fixed UTC offset (``+00:00`` unless
configured), because FHIR ``instant`` values need one.

* one ``Schedule`` per doctor session (``actor`` = the session, ``planningHorizon`` = that
  session's day, ``comment`` names the template), id ``<polyclinic>-<session>``;
* one ``Slot`` per template slot: ``schedule`` (reference), ``status = free``, ``start`` /
  ``end`` (slot length), ``overbooked``, and ``appointmentType`` (text = the visit type; left
  out for an unreserved slot, which any visit type may book, and ``comment`` says so);
* the ``Bundle`` is a ``collection`` whose ``fullUrl`` values are ``urn:uuid:`` UUID-5s of the
  resource ids, so the same template and week give a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

from polyslot.atomic import write_json
from polyslot.errors import ConfigError
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS, SlotTemplate

__all__ = ["template_bundle", "write_fhir_bundle", "week_start_after", "check_utc_offset"]

_NAMESPACE = uuid.UUID("6f1b4c1e-9a51-5c2e-8f3a-70c1f2a1d14b")
_OFFSET = re.compile(r"^(Z|[+-](0\d|1[0-4]):[0-5]\d)$")


def week_start_after(day: dt.date) -> dt.date:
    """The first Monday after ``day``."""
    return day + dt.timedelta(days=7 - day.weekday())


def check_utc_offset(offset: str) -> str:
    """``offset`` if it is ``Z`` or ``+HH:MM`` / ``-HH:MM``; raises ConfigError otherwise."""
    if not _OFFSET.match(str(offset)):
        raise ConfigError("must be 'Z' or +HH:MM / -HH:MM", field="fhir_utc_offset", value=offset)
    return str(offset)


def _id(text: str) -> str:
    """A FHIR id (``[A-Za-z0-9-.]{1,64}``) from free text."""
    clean = re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-") or "x"
    if len(clean) > 64:
        clean = f"{clean[:47]}-{uuid.uuid5(_NAMESPACE, text).hex[:16]}"
    return clean


def _instant(day: dt.date, minute: int, offset: str) -> str:
    t = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + offset


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    key = f"{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}", "resource": resource}


def template_bundle(
    template: SlotTemplate, week_start: dt.date, utc_offset: str = "+00:00"
) -> dict[str, Any]:
    """The FHIR R4 Bundle (a JSON-ready dict) of ``template`` laid on the week of
    ``week_start`` (a Monday)."""
    if week_start.weekday() != 0:
        raise ConfigError("must be a Monday", field="fhir_week_start", value=str(week_start))
    check_utc_offset(utc_offset)
    pid = template.polyclinic_id
    schedules: list[dict[str, Any]] = []
    slots: list[dict[str, Any]] = []
    for session, session_slots in sorted(template.sessions().items()):
        day = week_start + dt.timedelta(days=session_slots[0].weekday)
        sid = _id(f"{pid}-{session}")
        start = min(s.start_minute for s in session_slots)
        end = max(s.start_minute + s.duration_minutes for s in session_slots)
        schedules.append(
            {
                "resourceType": "Schedule",
                "id": sid,
                "active": True,
                "actor": [{"display": f"{pid} doctor session {session}"}],
                "planningHorizon": {
                    "start": _instant(day, start, utc_offset),
                    "end": _instant(day, end, utc_offset),
                },
                "comment": (
                    f"polyslot {template.label} template of {pid}, "
                    f"{WEEKDAYS[session_slots[0].weekday]} session {session}"
                ),
            }
        )
        for k, s in enumerate(session_slots, start=1):
            slot: dict[str, Any] = {
                "resourceType": "Slot",
                "id": _id(f"{sid}-{k}"),
                "schedule": {"reference": f"Schedule/{sid}"},
                "status": "free",
                "start": _instant(day, s.start_minute, utc_offset),
                "end": _instant(day, s.start_minute + s.duration_minutes, utc_offset),
                "overbooked": bool(s.overbooked),
            }
            if s.visit_type == ANY_VISIT_TYPE:
                slot["comment"] = "unreserved: open to every visit type"
            else:
                slot["appointmentType"] = {"text": s.visit_type}
            slots.append(slot)
    return {
        "resourceType": "Bundle",
        "id": _id(f"polyslot-{pid}-{template.label}"),
        "type": "collection",
        "entry": [_entry(r) for r in (*schedules, *slots)],
    }


def write_fhir_bundle(
    template: SlotTemplate, path: str | Path, week_start: dt.date, utc_offset: str = "+00:00"
) -> Path:
    """Write :func:`template_bundle` to ``path`` (atomic, deterministic JSON)."""
    return write_json(path, template_bundle(template, week_start, utc_offset))
