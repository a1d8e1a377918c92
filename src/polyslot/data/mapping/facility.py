"""The facility table: doctors on duty at most and opening hours per polyclinic.

For exports without a roster (and often without doctor ids) a master table of the polyclinics
tells how many doctors can be on duty and when the polyclinic is open. The mapping's
``[facility]`` names it (a CSV, Excel or Parquet file, relative to the mapping file) and its
columns; :func:`read_facility` reads it whole (it is small) into a :class:`Facility`. Ingest
stores it as the tables ``facility`` and ``facility_hours`` and infers the roster from it and
the consultations (:mod:`polyslot.data.completion.roster`).

A value that cannot be read stops with one line naming the file, the column and the value
(:class:`~polyslot.errors.DataError`); a column the file lacks is a
:class:`~polyslot.errors.MappingError` naming the mapping key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from polyslot.data.mapping.hours import HoursError, Interval, format_minute, parse_day_hours
from polyslot.data.mapping.hours import parse_hours as parse_hours_text
from polyslot.data.mapping.model import FacilityMapping, TableMapping
from polyslot.data.readers import open_raw
from polyslot.data.rules.coerce import to_text
from polyslot.data.schema import TableSpec
from polyslot.errors import DataError, MappingError

__all__ = ["Facility", "read_facility"]

_SPEC = TableSpec("facility", ())
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Facility:
    """The facility table as read.

    Attributes
    ----------
    source : str
        The file.
    doctors : dict of str to int
        Doctors on duty at most, per polyclinic (a polyclinic with an empty cell is absent).
    hours : dict of str to dict of int to tuple of Interval
        Open intervals per polyclinic and weekday (0 = Monday; a closed weekday is absent; a
        polyclinic with empty hours is absent).
    text : dict of str to str
        The opening hours as written, per polyclinic.
    listed : tuple of str
        Every polyclinic the table lists, in its order.
    """

    source: str
    doctors: dict[str, int] = field(default_factory=dict)
    hours: dict[str, dict[int, tuple[Interval, ...]]] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    listed: tuple[str, ...] = ()

    @property
    def polyclinics(self) -> list[str]:
        """Every polyclinic the table lists, sorted."""
        return sorted(set(self.listed) | set(self.doctors) | set(self.hours) | set(self.text))

    def frame(self) -> pd.DataFrame:
        """One row per polyclinic: ``polyclinic_id``, ``doctors`` (may be empty),
        ``opening_hours`` (the text as written, may be empty)."""
        pcs = self.polyclinics
        return pd.DataFrame(
            {
                "polyclinic_id": pcs,
                "doctors": pd.array([self.doctors.get(p) for p in pcs], dtype="Int64"),
                "opening_hours": [self.text.get(p) for p in pcs],
            }
        )

    def hours_frame(self) -> pd.DataFrame:
        """One row per open interval: ``polyclinic_id``, ``weekday`` (0 = Mon),
        ``start_time``, ``end_time`` (``HH:MM``)."""
        rows = [
            (pc, wd, format_minute(s), format_minute(e))
            for pc, days in sorted(self.hours.items())
            for wd, intervals in sorted(days.items())
            for s, e in intervals
        ]
        return pd.DataFrame(rows, columns=["polyclinic_id", "weekday", "start_time", "end_time"])


def _read_all(fm: FacilityMapping) -> pd.DataFrame:
    if not Path(fm.file).exists():
        raise DataError(
            "file not found; expected the facility table named by [facility] file "
            f"(relative to {fm.path})",
            source=fm.file,
        )
    how = TableMapping(
        "attendances", fm.path, encoding=fm.encoding, sheet=fm.sheet, delimiter=fm.delimiter
    )
    src = open_raw(fm.file, _SPEC, mapping=how)
    for key, column in fm.source_columns:
        if column not in src.columns:
            raise MappingError(
                f"source column {column!r} not found in {fm.file}; columns available: "
                f"{', '.join(src.columns) or 'none'}",
                source=fm.path,
                field=f"facility.columns.{key}",
                value=column,
            )
    chunks = list(src.iter_batches())
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=src.columns)
    return frame


def _cells(frame: pd.DataFrame, column: str) -> list[str | None]:
    text = to_text(frame[column]).str.strip()
    return [None if pd.isna(v) or v == "" else str(v) for v in text]


def _doctors(fm: FacilityMapping, value: str, row: int) -> int:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number < 0 or number != int(number):
        raise DataError(
            f"row {row}: {value!r} is not a number of doctors; expected a whole number >= 0",
            source=fm.file,
            field=fm.doctors,
            value=value,
        )
    return int(number)


def _hours(
    fm: FacilityMapping, cells: dict[str, list[str | None]], i: int
) -> dict[int, tuple[Interval, ...]]:
    """The open intervals of row ``i`` (``cells``: each hours column's texts)."""
    column, value = fm.opening_hours, None
    try:
        if column is not None:
            value = cells[column][i]
            return parse_hours_text(value) if value else {}
        out = {}
        for wd, col in fm.weekday_hours:
            column, value = col, cells[col][i] or ""
            intervals = parse_day_hours(value)
            if intervals:
                out[wd] = intervals
        return out
    except HoursError as exc:
        raise DataError(
            f"row {i + 1}: cannot read the opening hours {value!r} ({exc}); expected e.g. "
            "'Mon-Fri 8am-5pm, Sat 8am-12pm' or '08:00-12:00,13:00-17:00'",
            source=fm.file,
            field=column,
            value=value,
        ) from None


def read_facility(fm: FacilityMapping) -> Facility:
    """Read the facility table ``fm`` names.

    Raises
    ------
    DataError
        The file is missing or unreadable, a polyclinic is listed twice, a number of doctors
        or an opening-hours text cannot be read.
    MappingError
        A column named in ``[facility.columns]`` is not in the file.
    """
    frame = _read_all(fm)
    ids = _cells(frame, fm.polyclinic_id)
    doctors: dict[str, int] = {}
    hours: dict[str, dict[int, tuple[Interval, ...]]] = {}
    text: dict[str, str] = {}
    doctor_cells = _cells(frame, fm.doctors) if fm.doctors else [None] * len(frame)
    hour_columns = [fm.opening_hours] if fm.opening_hours else [c for _, c in fm.weekday_hours]
    cells = {c: _cells(frame, c) for c in hour_columns}
    text_cells = cells[fm.opening_hours] if fm.opening_hours else [None] * len(frame)
    seen: set[str] = set()
    seen_order: list[str] = []
    for i, pc in enumerate(ids):
        if pc is None:
            continue
        if pc in seen:
            raise DataError(
                f"row {i + 1}: polyclinic {pc!r} listed twice; expected one row per polyclinic",
                source=fm.file,
                field=fm.polyclinic_id,
                value=pc,
            )
        seen.add(pc)
        seen_order.append(pc)
        if doctor_cells[i] is not None:
            doctors[pc] = _doctors(fm, str(doctor_cells[i]), i + 1)
        found = _hours(fm, cells, i)
        if found or fm.weekday_hours:
            hours[pc] = found
        if text_cells[i] is not None:
            text[pc] = str(text_cells[i])
        elif fm.weekday_hours:
            text[pc] = "; ".join(
                f"{_WEEKDAYS[wd]} "
                + ",".join(f"{format_minute(s)}-{format_minute(e)}" for s, e in iv)
                for wd, iv in sorted(found.items())
            )
    return Facility(fm.file, doctors, hours, text, tuple(seen_order))
