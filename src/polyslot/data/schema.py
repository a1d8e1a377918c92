"""The data contract: tables, columns, types, nullability and the quarantine reason codes.

Each input table is described once by a :class:`TableSpec`. The pandera schemas that enforce the
row rules are built from these specs in :mod:`polyslot.data.rules`; the readers use the specs to
check that required columns are present and to coerce raw values to their contract types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ColumnKind",
    "ColumnSpec",
    "TableSpec",
    "STATUSES",
    "MAX_CONSULT_MINUTES",
    "REASONS",
    "TABLES",
    "TABLE_NAMES",
    "MISSING_POLYCLINIC",
    "get_spec",
]

ColumnKind = Literal["string", "timestamp", "date", "time", "float", "int", "weekday"]

#: DuckDB type of each column kind in the store.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "time": "VARCHAR",
    "float": "DOUBLE",
    "int": "INTEGER",
    "weekday": "INTEGER",
}

STATUSES: tuple[str, ...] = ("attended", "no_show", "cancelled", "walk_in")

#: Consultations longer than this (minutes) are quarantined as ``implausible_duration``.
MAX_CONSULT_MINUTES = 240.0

#: Tolerance (minutes) between ``consultation_duration_minutes`` and end - start.
DURATION_TOLERANCE_MINUTES = 1.0

#: Key used in reconciliation for rows whose polyclinic_id is missing.
MISSING_POLYCLINIC = "(missing)"

#: Every quarantine reason code, in priority order (a row failing several rules is filed under
#: the first one that applies; its ``detail`` lists every failure).
REASONS: dict[str, str] = {
    "missing_required_field": "a required value is empty (null)",
    "unparseable_timestamp": "a timestamp or date could not be parsed as an ISO date-time",
    "unparseable_number": "a numeric field is not a number (or not a whole number for counts)",
    "unparseable_time": "a time of day is not of the form HH:MM (00:00 to 24:00)",
    "invalid_weekday": "a weekday is not 0..6 (Mon=0) or a day name Mon..Sun",
    "unknown_status": "status is not one of attended, no_show, cancelled, walk_in",
    "negative_duration": "consultation_duration_minutes is negative",
    "implausible_duration": "consultation_duration_minutes exceeds "
    f"{MAX_CONSULT_MINUTES:g} minutes",
    "end_before_start": "an end (consult_end_ts, end_time) is before its start",
    "duration_mismatch": "consultation_duration_minutes differs from end - start by more "
    f"than {DURATION_TOLERANCE_MINUTES:g} minute",
    "missing_appointment": "a booked (non-walk-in) attendance has no appointment_ts",
    "inconsistent_status": "the timestamps contradict the status (e.g. attended without "
    "consultation times, no_show with an arrival, walk_in with an appointment)",
    "arrival_before_booking": "arrival_ts is before booking_ts",
    "appointment_before_booking": "appointment_ts is before booking_ts",
    "consult_before_arrival": "consult_start_ts is before arrival_ts",
    "out_of_range": "a value is outside its allowed range (negative count, probability "
    "outside [0, 1], non-positive slot length)",
    "inconsistent_interval": "forecast quantiles are not ordered lower <= expected <= upper",
    "duplicate_attendance_id": "attendance_id already seen in an earlier accepted row",
    "duplicate_key": "the table's key already appears in an earlier accepted row",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the data contract.

    Parameters
    ----------
    name : str
        Column name in the source and in the store.
    kind : ColumnKind
        Contract type; decides the coercion and the DuckDB type.
    required : bool
        Whether the column must be present in the source (a missing required column is a
        :class:`~polyslot.errors.SchemaError`).
    nullable : bool
        Whether a row may leave the value empty.
    description : str
        Meaning, for docs/data.md.
    """

    name: str
    kind: ColumnKind
    required: bool = True
    nullable: bool = False
    description: str = ""

    @property
    def duckdb_type(self) -> str:
        """DuckDB type of the column in the store."""
        return DUCKDB_TYPES[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """One input table of the data contract.

    Parameters
    ----------
    name : str
        Standard name: file stem in a data folder and table name in the store.
    columns : tuple of ColumnSpec
        Contract columns in store order. Any other column of the source is kept as an extra.
    key : tuple of str
        Columns that must be unique; later duplicates are quarantined with ``duplicate_reason``.
    duplicate_reason : str
        Reason code for duplicate keys.
    one_of : tuple of str
        Optional columns of which at least one must be present in the source.
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    duplicate_reason: str = "duplicate_key"
    one_of: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the contract columns."""
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        """Names of the columns that must be present in a source."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: ColumnKind, desc: str, *, required: bool = True, nullable: bool = False):
    return ColumnSpec(name, kind, required=required, nullable=nullable, description=desc)


ATTENDANCES = TableSpec(
    name="attendances",
    columns=(
        _c("attendance_id", "string", "Unique identifier of the attendance (booking or walk-in)."),
        _c("polyclinic_id", "string", "Polyclinic the attendance belongs to."),
        _c(
            "patient_id",
            "string",
            "Pseudonymous patient identifier; never written to reports or quarantine files.",
            nullable=True,
        ),
        _c("visit_type", "string", "Visit type (e.g. chronic follow-up, acute, vaccination)."),
        _c(
            "booking_ts",
            "timestamp",
            "When the appointment was booked (for walk-ins: registration time; may be empty).",
            nullable=True,
        ),
        _c(
            "appointment_ts",
            "timestamp",
            "Scheduled appointment start; empty for walk-ins, required otherwise.",
            nullable=True,
        ),
        _c(
            "arrival_ts",
            "timestamp",
            "When the patient arrived; empty when the patient never arrived.",
            nullable=True,
        ),
        _c(
            "consult_start_ts", "timestamp", "Consultation start; empty unless seen.", nullable=True
        ),
        _c("consult_end_ts", "timestamp", "Consultation end; empty unless seen.", nullable=True),
        _c(
            "consultation_duration_minutes",
            "float",
            "Consultation length in minutes; empty unless seen (derived from end - start when "
            "empty and both are present).",
            nullable=True,
        ),
        _c("doctor_id", "string", "Doctor who saw the patient (may be empty).", nullable=True),
        _c("status", "string", "One of attended, no_show, cancelled, walk_in (case-insensitive)."),
    ),
    key=("attendance_id",),
    duplicate_reason="duplicate_attendance_id",
)

ROSTER = TableSpec(
    name="roster",
    columns=(
        _c("polyclinic_id", "string", "Polyclinic."),
        _c("date", "date", "Calendar date of the duty period."),
        _c("start_time", "time", "Start of the duty period, HH:MM local time."),
        _c("end_time", "time", "End of the duty period, HH:MM local time (24:00 allowed)."),
        _c("doctors", "int", "Number of doctors on duty during the period (>= 0)."),
    ),
    key=("polyclinic_id", "date", "start_time"),
)

SLOT_TEMPLATE = TableSpec(
    name="slot_template",
    columns=(
        _c("polyclinic_id", "string", "Polyclinic."),
        _c("weekday", "weekday", "Day of week, 0=Mon..6=Sun (names Mon..Sun also accepted)."),
        _c("start_time", "time", "Slot start, HH:MM local time."),
        _c("duration_minutes", "int", "Slot length in minutes (> 0)."),
        _c(
            "visit_type",
            "string",
            "Visit type the slot is reserved for; empty or `any`: unreserved, open to every "
            "visit type (stored as `any`; the column may be absent: every slot unreserved).",
            required=False,
            nullable=True,
        ),
        _c(
            "doctor_session",
            "string",
            "Doctor session (column) the slot belongs to; empty when only a count is given.",
            required=False,
            nullable=True,
        ),
        _c(
            "count",
            "int",
            "Number of identical parallel slots (>= 1); 1 when the column is absent.",
            required=False,
            nullable=True,
        ),
    ),
    one_of=("doctor_session", "count"),
)

DEMAND_FORECAST = TableSpec(
    name="demand_forecast",
    columns=(
        _c("polyclinic_id", "string", "Polyclinic."),
        _c("date", "date", "Forecast date."),
        _c("visit_type", "string", "Visit type."),
        _c("expected_requests", "float", "Expected number of appointment requests (>= 0)."),
        _c(
            "lower",
            "float",
            "Lower quantile of requests (optional).",
            required=False,
            nullable=True,
        ),
        _c(
            "upper",
            "float",
            "Upper quantile of requests (optional).",
            required=False,
            nullable=True,
        ),
    ),
    key=("polyclinic_id", "date", "visit_type"),
)

NO_SHOW_PREDICTIONS = TableSpec(
    name="no_show_predictions",
    columns=(
        _c("attendance_id", "string", "Attendance the prediction is for."),
        _c("probability", "float", "Predicted probability of a no-show, in [0, 1]."),
    ),
    key=("attendance_id",),
    duplicate_reason="duplicate_attendance_id",
)

#: The contract tables by standard name, in ingest order.
TABLES: dict[str, TableSpec] = {
    t.name: t for t in (ATTENDANCES, ROSTER, SLOT_TEMPLATE, DEMAND_FORECAST, NO_SHOW_PREDICTIONS)
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def get_spec(name: str) -> TableSpec:
    """Return the :class:`TableSpec` of standard table ``name``."""
    try:
        return TABLES[name]
    except KeyError:
        from polyslot.errors import DataError

        raise DataError(
            f"unknown table {name!r}; expected one of {', '.join(TABLE_NAMES)}"
        ) from None
