"""The mapping file: how a foreign export's columns and values become the data contract.

A ``mapping.toml`` has one optional section per table (``attendances``, ``roster``,
``slot_template``, ``demand_forecast``, ``no_show_predictions``)::

    encoding = "latin-1"                     # optional, CSV only (default UTF-8, BOM or not)
    [attendances]
    id_scope = "polyclinic"                  # "network" (default) | "polyclinic"
    timestamp_formats = ["%d/%m/%Y %H:%M"]   # tried before ISO 8601
    [attendances.columns]
    attendance_id = "appointment_id"         # contract column = source column
    appointment_ts = ["appt_date", "appt_time"]   # [date column, clock-time column]
    doctor_id = { value = "Dr A" }           # a constant ("" = empty)
    [attendances.values.status]              # contract value = source values
    attended = ["attended", "seen"]
    exclude = ["unknown", "scheduled"]       # rows read but not used (counted as excluded)

:func:`load_mapping` parses and validates the file into a frozen :class:`Mapping`; every
problem is one :class:`~polyslot.errors.MappingError` naming the file, the key and what is
allowed. :mod:`polyslot.data.mapping.apply` applies a :class:`TableMapping` to raw chunks.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyslot.data.schema import STATUSES, TABLE_NAMES, TableSpec, get_spec
from polyslot.errors import MappingError

__all__ = [
    "ColumnRule",
    "ValueRule",
    "TableMapping",
    "Mapping",
    "EXCLUDE",
    "ID_SCOPES",
    "SOURCE_KEYS",
    "load_mapping",
    "parse_mapping",
    "as_mapping",
]

#: Group name of the source values whose rows are read but not used.
EXCLUDE = "exclude"
ID_SCOPES = ("network", "polyclinic")
#: Keys describing how to read the source (top level or per table).
SOURCE_KEYS = ("encoding", "sheet", "delimiter")
_TABLE_KEYS = ("id_scope", "timestamp_formats", "columns", "values", *SOURCE_KEYS)
#: Separator between polyclinic and source id when ``id_scope = "polyclinic"``.
ID_SEPARATOR = ":"


@dataclass(frozen=True)
class ColumnRule:
    """Where one contract column comes from: a source column, a date + clock pair, or a constant.

    Attributes
    ----------
    target : str
        Contract column.
    source : str or None
        Source column (plain rename).
    pair : tuple of (str, str) or None
        ``(date column, clock-time column)`` combined into one timestamp.
    constant : str or None
        Constant text ("" leaves the column empty).
    """

    target: str
    source: str | None = None
    pair: tuple[str, str] | None = None
    constant: str | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        """Source columns the rule reads."""
        if self.source is not None:
            return (self.source,)
        return self.pair or ()


@dataclass(frozen=True)
class ValueRule:
    """Recoding of one column: contract value = source values (trimmed, case-insensitive).

    Attributes
    ----------
    column : str
        Contract column recoded.
    groups : tuple of (str, tuple of str)
        ``(contract value, normalised source values)``; the group ``exclude`` marks rows as
        excluded.
    """

    column: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]

    def lookup(self) -> dict[str, str]:
        """Normalised source value -> contract value (or ``exclude``)."""
        return {v: target for target, values in self.groups for v in values}

    @property
    def excludes(self) -> bool:
        """Whether some values exclude their rows."""
        return any(t == EXCLUDE and v for t, v in self.groups)


@dataclass(frozen=True)
class TableMapping:
    """The mapping of one table (see the module docstring for the keys)."""

    table: str
    path: str = "<mapping>"
    id_scope: str = "network"
    timestamp_formats: tuple[str, ...] = ()
    columns: tuple[ColumnRule, ...] = ()
    values: tuple[ValueRule, ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None

    @property
    def spec(self) -> TableSpec:
        """The table's contract."""
        return get_spec(self.table)

    @property
    def is_identity(self) -> bool:
        """Whether the mapping changes nothing in the rows."""
        return (
            not self.columns
            and not self.values
            and not self.timestamp_formats
            and self.id_scope == "network"
        )

    def sources_used(self) -> tuple[str, ...]:
        """Every source column a column rule reads."""
        return tuple(s for r in self.columns for s in r.sources)

    def output_columns(self, source_columns: tuple[str, ...]) -> tuple[str, ...]:
        """Columns of the mapped rows: mapped contract columns, then the other source columns.

        A source column read by a rule is dropped; one whose name is a mapped contract column
        (but which is not its source) is kept as ``source_<name>``.
        """
        targets = [r.target for r in self.columns]
        used = set(self.sources_used())
        rest = []
        for c in source_columns:
            if c in used:
                continue
            rest.append(f"source_{c}" if c in targets else c)
        return (*targets, *rest)

    def check_source(self, source_label: str, source_columns: tuple[str, ...]) -> None:
        """Raise :class:`MappingError` if a rule names a column the source does not have."""
        have = set(source_columns)
        for r in self.columns:
            for s in r.sources:
                if s not in have:
                    raise MappingError(
                        f"source column {s!r} not found in {source_label}; columns available: "
                        f"{', '.join(source_columns) or 'none'}",
                        source=self.path,
                        field=f"{self.table}.columns.{r.target}",
                        value=s,
                    )


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file: one :class:`TableMapping` per table it mentions."""

    path: str
    tables: tuple[TableMapping, ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None

    def get(self, table: str) -> TableMapping | None:
        """The mapping of ``table`` (None when the file has no such section)."""
        return next((t for t in self.tables if t.table == table), None)

    def for_table(self, table: str) -> TableMapping:
        """The mapping of ``table``; an identity mapping (with the file's source keys) if absent."""
        found = self.get(table)
        if found is not None:
            return found
        return TableMapping(
            table, self.path, encoding=self.encoding, sheet=self.sheet, delimiter=self.delimiter
        )


def _err(path: str, key: str, message: str, value: object = None) -> MappingError:
    return MappingError(message, source=path, field=key, value=value)


def _text(path: str, key: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _err(path, key, f"must be a text, got {value!r}", value)
    return str(value)


def _unknown(path: str, key: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for k in data:
        if k not in allowed:
            raise _err(
                path,
                f"{key}{k}",
                f"unknown key; expected one of {', '.join(allowed)}",
                k,
            )


def _column_rule(path: str, table: str, spec: TableSpec, target: str, raw: Any) -> ColumnRule:
    key = f"{table}.columns.{target}"
    if target not in spec.column_names:
        raise _err(
            path,
            key,
            f"unknown contract column of table {table!r}; expected one of "
            f"{', '.join(spec.column_names)}",
            target,
        )
    if isinstance(raw, str):
        return ColumnRule(target, source=raw)
    if isinstance(raw, list):
        if len(raw) != 2 or not all(isinstance(v, str) for v in raw):
            raise _err(path, key, "must be [date column, clock-time column]", raw)
        if spec.column(target).kind != "timestamp":
            raise _err(path, key, "a [date, clock-time] pair needs a timestamp column", raw)
        return ColumnRule(target, pair=(raw[0], raw[1]))
    if isinstance(raw, dict):
        if set(raw) != {"value"}:
            raise _err(path, key, 'a constant is written { value = "..." }', raw)
        return ColumnRule(target, constant=_text(path, f"{key}.value", raw["value"]))
    raise _err(
        path,
        key,
        "must be a source column, [date column, clock-time column] or { value = ... }",
        raw,
    )


def _value_rule(path: str, table: str, spec: TableSpec, column: str, raw: Any) -> ValueRule:
    key = f"{table}.values.{column}"
    strings = [c.name for c in spec.columns if c.kind == "string"]
    if column not in strings:
        raise _err(
            path, key, f"only text columns can be recoded; expected one of {', '.join(strings)}"
        )
    if not isinstance(raw, dict):
        raise _err(path, key, "must be a table: contract value = [source values]", raw)
    groups = []
    seen: dict[str, str] = {}
    for target, values in raw.items():
        gkey = f"{key}.{target}"
        if column == "status" and target not in (*STATUSES, EXCLUDE):
            raise _err(
                path, gkey, f"unknown status; expected one of {', '.join((*STATUSES, EXCLUDE))}"
            )
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            raise _err(path, gkey, "must be a list of source values", values)
        norm = tuple(_text(path, gkey, v).strip().lower() for v in values)
        for v in norm:
            if v in seen and seen[v] != target:
                raise _err(path, gkey, f"source value {v!r} is also listed under {seen[v]!r}", v)
            seen[v] = target
        groups.append((str(target), norm))
    return ValueRule(column, tuple(groups))


def _source_keys(path: str, prefix: str, data: dict[str, Any]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for k in SOURCE_KEYS:
        v = data.get(k)
        out[k] = None if v is None else _text(path, f"{prefix}{k}", v)
    if out["encoding"] is not None:
        import codecs

        try:
            codecs.lookup(out["encoding"])
        except LookupError:
            raise _err(
                path, f"{prefix}encoding", "unknown encoding (e.g. utf-8, latin-1, cp1252)"
            ) from None
    if out["delimiter"] is not None and len(out["delimiter"]) != 1:
        raise _err(path, f"{prefix}delimiter", "must be one character", out["delimiter"])
    return out


def _table(path: str, table: str, data: Any, defaults: dict[str, str | None]) -> TableMapping:
    if not isinstance(data, dict):
        raise _err(path, table, "must be a table ([" + table + "])", data)
    _unknown(path, f"{table}.", data, _TABLE_KEYS)
    spec = get_spec(table)
    scope = data.get("id_scope", "network")
    if scope not in ID_SCOPES:
        raise _err(path, f"{table}.id_scope", f"expected one of {', '.join(ID_SCOPES)}", scope)
    if scope != "network" and not {"attendance_id", "polyclinic_id"} <= set(spec.column_names):
        raise _err(
            path, f"{table}.id_scope", "only a table with attendance_id and polyclinic_id", scope
        )
    formats = data.get("timestamp_formats", [])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise _err(
            path,
            f"{table}.timestamp_formats",
            'must be a list of strftime formats, e.g. ["%d/%m/%Y %H:%M"]',
            formats,
        )
    columns = data.get("columns", {})
    values = data.get("values", {})
    for name, v in (("columns", columns), ("values", values)):
        if not isinstance(v, dict):
            raise _err(path, f"{table}.{name}", "must be a table", v)
    keys = {
        k: v if v is not None else defaults[k]
        for k, v in _source_keys(path, f"{table}.", data).items()
    }
    return TableMapping(
        table=table,
        path=path,
        id_scope=scope,
        timestamp_formats=tuple(formats),
        columns=tuple(_column_rule(path, table, spec, t, r) for t, r in columns.items()),
        values=tuple(_value_rule(path, table, spec, c, r) for c, r in values.items()),
        **keys,
    )


def parse_mapping(data: dict[str, Any], path: str = "<mapping>") -> Mapping:
    """Validate parsed TOML ``data`` into a :class:`Mapping` (``path`` names it in errors)."""
    _unknown(path, "", data, (*TABLE_NAMES, *SOURCE_KEYS))
    defaults = _source_keys(path, "", data)
    tables = tuple(_table(path, t, data[t], defaults) for t in TABLE_NAMES if t in data)
    return Mapping(path=path, tables=tables, **defaults)


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
