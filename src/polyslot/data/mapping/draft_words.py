"""The words ``polyslot map`` reads in column names and values.

:data:`PATTERNS` (contract column -> name patterns, best first: every word of a pattern must
be a word of the name, or the pattern's words joined must appear in it), :data:`KINDS` (the
kinds of values each contract type accepts), :data:`STATUS_WORDS` (status -> keywords of a
source value) and :data:`NOT_APPOINTMENT` (words of other moments: a column named with one of
them is not the appointment time unless its name also says appointment).
"""

from __future__ import annotations

__all__ = ["PATTERNS", "KINDS", "STATUS_WORDS", "NOT_APPOINTMENT", "APPOINTMENT_WORDS"]

#: contract column -> name patterns (every word of a pattern must appear), best first.
PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "attendance_id": (
        ("attendance", "id"),
        ("appointment", "id"),
        ("appt", "id"),
        ("booking", "id"),
        ("visit", "id"),
        ("encounter", "id"),
        ("record", "no"),
        ("record", "id"),
        ("id",),
        ("ref",),
        ("number",),
        ("record",),
        ("serial",),
        ("key",),
        ("uuid",),
    ),
    "polyclinic_id": (
        ("polyclinic",),
        ("clinic",),
        ("site",),
        ("location",),
        ("practice",),
        ("facility",),
        ("branch",),
        ("department",),
    ),
    "patient_id": (("patient",), ("mrn",), ("person",), ("client",), ("nhs",)),
    "visit_type": (
        ("visit", "type"),
        ("appointment", "type"),
        ("appt", "type"),
        ("service",),
        ("type",),
        ("category",),
        ("reason",),
        ("kind",),
    ),
    "booking_ts": (("booking",), ("booked",), ("created",), ("made",), ("requested",)),
    "appointment_ts": (
        ("appointment",),
        ("appt",),
        ("scheduled",),
        ("slot",),
        ("when",),
        ("date",),
        ("datetime",),
        ("time",),
    ),
    "arrival_ts": (("arrival",), ("arrived",), ("checkin",), ("check", "in"), ("arrive",)),
    "consult_start_ts": (
        ("consult", "start"),
        ("consultation", "start"),
        ("seen",),
        ("called",),
        ("start",),
        ("begin",),
    ),
    "consult_end_ts": (
        ("consult", "end"),
        ("consultation", "end"),
        ("finished",),
        ("end",),
        ("completed",),
        ("done",),
        ("left",),
    ),
    "consultation_duration_minutes": (
        ("duration",),
        ("serv", "time"),
        ("service", "time"),
        ("consult", "time"),
        ("consultation", "time"),
        ("minutes",),
        ("mins",),
        ("seconds",),
        ("secs",),
        ("length",),
    ),
    "doctor_id": (
        ("doctor",),
        ("clinician",),
        ("practitioner",),
        ("provider",),
        ("physician",),
        ("gp",),
        ("staff",),
        ("consultant",),
    ),
    "status": (("status",), ("outcome",), ("attendance",), ("state",), ("result",)),
    # roster, slot template, demand forecast, no-show predictions
    "date": (("date",), ("day",)),
    "start_time": (("start",), ("from",), ("begin",), ("time",)),
    "end_time": (("end",), ("to",), ("until",)),
    "doctors": (("doctors",), ("doctor",), ("staff",), ("count",)),
    "weekday": (("weekday",), ("dow",), ("day",)),
    "duration_minutes": (("duration",), ("minutes",), ("length",)),
    "doctor_session": (("session",), ("doctor",), ("column",)),
    "count": (("count",), ("slots",), ("parallel",)),
    "expected_requests": (("expected",), ("requests",), ("forecast",), ("demand",)),
    "probability": (("probability",), ("prob",), ("risk",), ("score",)),
}
KINDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("datetime", "date", "time"),
    "date": ("date", "datetime"),
    "time": ("time",),
    "float": ("number",),
    "int": ("number",),
    "weekday": ("number", "text"),
    "string": ("text", "number"),
}
#: status -> keywords found in a source value (lower case), in order of precedence.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "exclude": (
        "unknown",
        "scheduled",
        "booked",
        "pending",
        "planned",
        "future",
        "proposed",
        "error",
        "waitlist",
        "tentative",
        "rescheduled",
    ),
    "no_show": (
        "not attend",
        "dna",
        "no show",
        "no-show",
        "noshow",
        "missed",
        "absent",
        "did not",
        "failed",
    ),
    "cancelled": ("cancel",),
    "walk_in": ("walk", "unbooked", "drop"),
    "attended": (
        "attend",
        "seen",
        "fulfilled",
        "complete",
        "finished",
        "done",
        "arrived",
        "present",
    ),
}
#: Words naming another moment than the appointment (a column named with one of them is not
#: the appointment time, unless its name also holds one of :data:`APPOINTMENT_WORDS`).
NOT_APPOINTMENT = frozenset(
    {
        "consult",
        "consultation",
        "seen",
        "called",
        "start",
        "begin",
        "end",
        "finished",
        "completed",
        "arrival",
        "arrived",
        "checkin",
        "booking",
        "booked",
        "created",
        "registration",
        "registered",
        "serv",
        "service",
        "left",
        "done",
    }
)
#: Words that say a column is the appointment's.
APPOINTMENT_WORDS = frozenset({"appointment", "appt", "scheduled", "slot"})
