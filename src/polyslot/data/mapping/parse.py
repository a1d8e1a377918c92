"""The mapping file: how a foreign export's columns and values become the data contract.

A ``mapping.toml`` has one optional section per table (``attendances``, ``roster``,
``slot_template``, ``demand_forecast``, ``no_show_predictions``) and an optional
``[facility]``::

    encoding = "latin-1"                     # optional, CSV only (default UTF-8, BOM or not)
    [attendances]
    id_scope = "polyclinic"                  # "network" (default) | "polyclinic"
    timestamp_formats = ["%d/%m/%Y %H:%M"]   # tried before ISO 8601
    [attendances.columns]
    attendance_id = "appointment_id"         # contract column = source column
    appointment_ts = ["appt_date", "appt_time"]   # [date column, clock-time column]
    doctor_id = { value = "Dr A" }           # a constant ("" = empty)
    consultation_duration_minutes = { column = "ServTime", unit = "seconds" }
    [attendances.values.status]              # contract value = source values
    attended = ["attended", "seen"]
    exclude = ["unknown", "scheduled"]       # rows read but not used (counted as excluded)
    [[attendances.when]]                     # a rule on another source column
    column = "appointment_type"
    values = ["walk-in"]
    set = { status = "walk_in" }
    [facility]                               # doctors and opening hours, without a roster
    file = "POLYCLINIC_MASTER.csv"           # relative to this file
    [facility.columns]
    polyclinic_id = "polyclinic_id"
    doctors = "total_doctors"
    opening_hours = "operating_hours"

:func:`load_mapping` parses and validates the file into a frozen
:class:`~polyslot.data.mapping.model.Mapping`; every problem is one
:class:`~polyslot.errors.MappingError` naming the file, the key and what is allowed. The rules
of a table section are parsed by :mod:`polyslot.data.mapping.parse_rules`.
"""

from __future__ import annotations

import codecs
import os
import tomllib
from pathlib import Path
from typing import Any

from polyslot.data.mapping.model import (
    EXCLUDE,
    ID_SCOPES,
    ID_SEPARATOR,
    SOURCE_KEYS,
    ColumnRule,
    FacilityMapping,
    Mapping,
    TableMapping,
    ValueRule,
    WhenRule,
)
from polyslot.data.mapping.parse_rules import (
    check_keys,
    column_rule,
    err,
    text,
    value_rule,
    when_rules,
)
from polyslot.data.schema import TABLE_NAMES, get_spec
from polyslot.errors import MappingError

__all__ = [
    "ColumnRule",
    "ValueRule",
    "WhenRule",
    "TableMapping",
    "FacilityMapping",
    "Mapping",
    "EXCLUDE",
    "ID_SCOPES",
    "ID_SEPARATOR",
    "SOURCE_KEYS",
    "FACILITY",
    "load_mapping",
    "parse_mapping",
    "as_mapping",
]

#: The section naming the facility table.
FACILITY = "facility"
_TABLE_KEYS = ("id_scope", "timestamp_formats", "columns", "values", "when", *SOURCE_KEYS)
_FACILITY_KEYS = ("file", "columns", *SOURCE_KEYS)
_FACILITY_COLUMNS = ("polyclinic_id", "doctors", "opening_hours")
_WEEKDAY_KEYS = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}


def _source_keys(path: str, prefix: str, data: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for k in SOURCE_KEYS:
        v = data.get(k)
        out[k] = None if v is None else text(path, f"{prefix}{k}", v)
    if out["encoding"] is not None:
        try:
            codecs.lookup(out["encoding"])
        except LookupError:
            raise err(
                path, f"{prefix}encoding", "unknown encoding (e.g. utf-8, latin-1, cp1252)"
            ) from None
    if out["delimiter"] is not None and len(out["delimiter"]) != 1:
        raise err(path, f"{prefix}delimiter", "must be one character", out["delimiter"])
    return out


def _formats(path: str, table: str, data: dict[str, Any]) -> tuple[str, ...]:
    formats = data.get("timestamp_formats", [])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise err(
            path,
            f"{table}.timestamp_formats",
            'must be a list of strftime formats, e.g. ["%d/%m/%Y %H:%M"]',
            formats,
        )
    return tuple(formats)


def _table(path: str, table: str, data: Any, defaults: dict[str, str | None]) -> TableMapping:
    if not isinstance(data, dict):
        raise err(path, table, "must be a table ([" + table + "])", data)
    check_keys(path, f"{table}.", data, _TABLE_KEYS)
    spec = get_spec(table)
    scope = data.get("id_scope", "network")
    if scope not in ID_SCOPES:
        raise err(path, f"{table}.id_scope", f"expected one of {', '.join(ID_SCOPES)}", scope)
    if scope != "network" and not {"attendance_id", "polyclinic_id"} <= set(spec.column_names):
        raise err(
            path, f"{table}.id_scope", "only a table with attendance_id and polyclinic_id", scope
        )
    columns = data.get("columns", {})
    values = data.get("values", {})
    for name, v in (("columns", columns), ("values", values)):
        if not isinstance(v, dict):
            raise err(path, f"{table}.{name}", "must be a table", v)
    keys = {
        k: v if v is not None else defaults[k]
        for k, v in _source_keys(path, f"{table}.", data).items()
    }
    return TableMapping(
        table=table,
        path=path,
        id_scope=scope,
        timestamp_formats=_formats(path, table, data),
        columns=tuple(column_rule(path, table, spec, t, r) for t, r in columns.items()),
        values=tuple(value_rule(path, table, spec, c, r) for c, r in values.items()),
        when=when_rules(path, table, spec, data.get("when", [])),
        **keys,
    )


def _weekday_columns(path: str, key: str, raw: dict[str, Any]) -> tuple[tuple[int, str], ...]:
    out: dict[int, str] = {}
    for day, column in raw.items():
        wd = _WEEKDAY_KEYS.get(str(day).strip().lower())
        if wd is None:
            raise err(path, f"{key}.{day}", "unknown weekday; expected Mon, Tue, ..., Sun", day)
        if not isinstance(column, str) or not column:
            raise err(path, f"{key}.{day}", "must be a source column name", column)
        out[wd] = column
    if not out:
        raise err(path, key, 'must name a column, or one column per weekday { Mon = "..." }')
    return tuple(sorted(out.items()))


def _facility(path: str, data: Any, defaults: dict[str, str | None]) -> FacilityMapping:
    if not isinstance(data, dict):
        raise err(path, FACILITY, "must be a table ([facility])", data)
    check_keys(path, f"{FACILITY}.", data, _FACILITY_KEYS)
    file = data.get("file")
    if not isinstance(file, str) or not file:
        raise err(path, f"{FACILITY}.file", "must name the facility table (CSV, Excel, Parquet)")
    base = Path(path).parent if path != "<mapping>" else Path(".")
    resolved = Path(os.path.abspath(file if Path(file).is_absolute() else base / file))
    cols = data.get("columns")
    if not isinstance(cols, dict):
        raise err(path, f"{FACILITY}.columns", "must be a table naming polyclinic_id, doctors, ...")
    check_keys(path, f"{FACILITY}.columns.", cols, _FACILITY_COLUMNS)
    names: dict[str, str | None] = {}
    for k in ("polyclinic_id", "doctors"):
        v = cols.get(k)
        if v is not None and (not isinstance(v, str) or not v):
            raise err(path, f"{FACILITY}.columns.{k}", "must be a source column name", v)
        names[k] = v
    if names["polyclinic_id"] is None:
        raise err(path, f"{FACILITY}.columns.polyclinic_id", "missing; name the polyclinic column")
    hours = cols.get("opening_hours")
    weekday: tuple[tuple[int, str], ...] = ()
    if isinstance(hours, dict):
        weekday, hours = _weekday_columns(path, f"{FACILITY}.columns.opening_hours", hours), None
    elif hours is not None and (not isinstance(hours, str) or not hours):
        raise err(path, f"{FACILITY}.columns.opening_hours", "must be a source column name", hours)
    if names["doctors"] is None and hours is None and not weekday:
        raise err(path, f"{FACILITY}.columns", "name doctors, opening_hours or both")
    keys = {
        k: v if v is not None else defaults[k]
        for k, v in _source_keys(path, f"{FACILITY}.", data).items()
    }
    return FacilityMapping(
        path=path,
        file=str(resolved),
        polyclinic_id=str(names["polyclinic_id"]),
        doctors=names["doctors"],
        opening_hours=hours,
        weekday_hours=weekday,
        **keys,
    )


def parse_mapping(data: dict[str, Any], path: str = "<mapping>") -> Mapping:
    """Validate parsed TOML ``data`` into a :class:`Mapping` (``path`` names it in errors; a
    relative facility ``file`` is found in its folder)."""
    check_keys(path, "", data, (*TABLE_NAMES, FACILITY, *SOURCE_KEYS))
    defaults = _source_keys(path, "", data)
    tables = tuple(_table(path, t, data[t], defaults) for t in TABLE_NAMES if t in data)
    facility = _facility(path, data[FACILITY], defaults) if FACILITY in data else None
    return Mapping(path=path, tables=tables, facility=facility, **defaults)


def load_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read and validate a ``mapping.toml``.

    Raises
    ------
    MappingError
        Unreadable file, invalid TOML, an unknown key, an unknown contract column or value.
    """
    p = str(path)
    try:
        data = tomllib.loads(Path(p).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"cannot read mapping ({exc.strerror})", source=p) from None
    except UnicodeDecodeError:
        raise MappingError("cannot read mapping (not UTF-8 text)", source=p) from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"invalid TOML ({exc})", source=p) from None
    return parse_mapping(data, p)


def as_mapping(mapping: Mapping | str | os.PathLike[str] | None) -> Mapping | None:
    """A :class:`Mapping` from a mapping, a path to a mapping file, or None."""
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    return load_mapping(mapping)
