"""Parse the rules of one table section of ``mapping.toml``: columns, values and ``when``.

Every problem is one :class:`~polyslot.errors.MappingError` naming the mapping file, the key
(``attendances.columns.consult_end_ts``) and what is allowed. Used by
:mod:`polyslot.data.mapping.parse`.
"""

from __future__ import annotations

from typing import Any

from polyslot.data.mapping.model import (
    DEFAULT,
    EXCLUDE,
    UNITS,
    ColumnRule,
    ValueRule,
    WhenRule,
)
from polyslot.data.schema import STATUSES, TableSpec
from polyslot.errors import MappingError

__all__ = ["err", "text", "check_keys", "column_rule", "value_rule", "when_rules"]

_COLUMN_FORMS = (
    'a source column, [date column, clock-time column], { value = "..." }, '
    '{ row_number = true } or { column = "...", unit = "seconds" }'
)


def err(path: str, key: str, message: str, value: object = None) -> MappingError:
    """The one-line error of key ``key`` of mapping file ``path``."""
    return MappingError(message, source=path, field=key, value=value)


def text(path: str, key: str, value: object) -> str:
    """``value`` as text (a number is accepted and written as text)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise err(path, key, f"must be a text, got {value!r}", value)
    return str(value)


def check_keys(path: str, key: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Raise on the first key of ``data`` not in ``allowed`` (``key`` prefixes it)."""
    for k in data:
        if k not in allowed:
            raise err(path, f"{key}{k}", f"unknown key; expected one of {', '.join(allowed)}", k)


def _duration_columns(spec: TableSpec) -> tuple[str, ...]:
    return tuple(
        c.name for c in spec.columns if c.kind in ("float", "int") and c.name.endswith("_minutes")
    )


def _table_rule(path: str, key: str, spec: TableSpec, target: str, raw: dict) -> ColumnRule:
    """``{ value = ... }``, ``{ row_number = true }`` or ``{ column = ..., unit = ... }``."""
    if set(raw) == {"value"}:
        return ColumnRule(target, constant=text(path, f"{key}.value", raw["value"]))
    if set(raw) == {"row_number"}:
        if raw["row_number"] is not True:
            raise err(path, f"{key}.row_number", "must be true", raw["row_number"])
        if spec.column(target).kind != "string":
            raise err(path, key, "a row number can only fill a text (id) column", raw)
        return ColumnRule(target, row_number=True)
    if "column" in raw and set(raw) <= {"column", "unit"}:
        source = raw["column"]
        if not isinstance(source, str) or not source:
            raise err(path, f"{key}.column", "must be a source column name", source)
        unit = raw.get("unit")
        if unit is None:
            return ColumnRule(target, source=source)
        if unit not in UNITS:
            raise err(path, f"{key}.unit", f"expected one of {', '.join(UNITS)}", unit)
        durations = _duration_columns(spec)
        if target not in durations:
            raise err(
                path,
                f"{key}.unit",
                f"a unit converts a duration; only {', '.join(durations) or 'no column'} of "
                f"table {spec.name!r} take one",
                unit,
            )
        return ColumnRule(target, source=source, unit=str(unit))
    raise err(path, key, f"must be {_COLUMN_FORMS}", raw)


def column_rule(path: str, table: str, spec: TableSpec, target: str, raw: Any) -> ColumnRule:
    """The rule of contract column ``target`` written ``raw`` in ``[<table>.columns]``."""
    key = f"{table}.columns.{target}"
    if target not in spec.column_names:
        raise err(
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
            raise err(path, key, "must be [date column, clock-time column]", raw)
        if spec.column(target).kind != "timestamp":
            raise err(path, key, "a [date, clock-time] pair needs a timestamp column", raw)
        return ColumnRule(target, pair=(raw[0], raw[1]))
    if isinstance(raw, dict):
        return _table_rule(path, key, spec, target, raw)
    raise err(path, key, f"must be {_COLUMN_FORMS}", raw)


def _check_value(path: str, key: str, column: str, value: str) -> None:
    if column == "status" and value not in (*STATUSES, EXCLUDE):
        raise err(
            path, key, f"unknown status; expected one of {', '.join((*STATUSES, EXCLUDE))}", value
        )


def value_rule(path: str, table: str, spec: TableSpec, column: str, raw: Any) -> ValueRule:
    """The recoding ``[<table>.values.<column>]``: contract value = [source values], and an
    optional ``default`` (the contract value of every value not listed)."""
    key = f"{table}.values.{column}"
    strings = [c.name for c in spec.columns if c.kind == "string"]
    if column not in strings:
        raise err(
            path, key, f"only text columns can be recoded; expected one of {', '.join(strings)}"
        )
    if not isinstance(raw, dict):
        raise err(path, key, "must be a table: contract value = [source values]", raw)
    groups = []
    seen: dict[str, str] = {}
    default = None
    for target, values in raw.items():
        gkey = f"{key}.{target}"
        if target == DEFAULT:
            if not isinstance(values, str) or not values:
                raise err(path, gkey, 'must be one value, e.g. default = "revisit"', values)
            _check_value(path, gkey, column, values)
            default = values
            continue
        _check_value(path, gkey, column, str(target))
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            raise err(path, gkey, "must be a list of source values", values)
        norm = tuple(text(path, gkey, v).strip().lower() for v in values)
        for v in norm:
            if v in seen and seen[v] != target:
                raise err(path, gkey, f"source value {v!r} is also listed under {seen[v]!r}", v)
            seen[v] = target
        groups.append((str(target), norm))
    return ValueRule(column, tuple(groups), default)


def _when_rule(path: str, key: str, spec: TableSpec, raw: Any) -> WhenRule:
    if not isinstance(raw, dict):
        raise err(path, key, "must be a table with column, values and set", raw)
    check_keys(path, f"{key}.", raw, ("column", "values", "set"))
    for k in ("column", "values", "set"):
        if k not in raw:
            raise err(path, f"{key}.{k}", "missing; a when rule has column, values and set")
    column = raw["column"]
    if not isinstance(column, str) or not column:
        raise err(path, f"{key}.column", "must be a source column name", column)
    values = raw["values"]
    if isinstance(values, str | int):
        values = [values]
    if not isinstance(values, list) or not values:
        raise err(path, f"{key}.values", "must be a list of source values", values)
    norm = tuple(text(path, f"{key}.values", v).strip().lower() for v in values)
    sets = raw["set"]
    if not isinstance(sets, dict) or not sets:
        raise err(path, f"{key}.set", 'must be a table, e.g. set = { status = "walk_in" }', sets)
    pairs = []
    for target, value in sets.items():
        skey = f"{key}.set.{target}"
        if target not in spec.column_names:
            raise err(
                path,
                skey,
                f"unknown contract column; expected one of {', '.join(spec.column_names)}",
                target,
            )
        v = text(path, skey, value)
        if v and spec.column(target).kind != "string":
            raise err(path, skey, 'only a text column can be set; others only cleared with ""', v)
        if target == "status" and v not in STATUSES:
            raise err(path, skey, f"unknown status; expected one of {', '.join(STATUSES)}", v)
        pairs.append((str(target), v))
    return WhenRule(column, norm, tuple(pairs))


def when_rules(path: str, table: str, spec: TableSpec, raw: Any) -> tuple[WhenRule, ...]:
    """The ``[[<table>.when]]`` rules, in order."""
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise err(path, f"{table}.when", "must be a list of [[" + table + ".when]] tables", raw)
    return tuple(_when_rule(path, f"{table}.when[{i}]", spec, r) for i, r in enumerate(raw))
