"""The row rules of every table, as pandera schemas (validated lazily, failures collected per row).

Column rules are pandera column checks; rules that relate several columns are dataframe-level
pandera checks returning one boolean per row. Every check is named after the quarantine reason
code it produces (see :data:`polyslot.data.schema.REASONS`); a null in a non-nullable column is
reported by pandera as ``not_nullable`` and filed as ``missing_required_field``.

A column *unknown for every row* (a nullable column the export does not have, see
:mod:`polyslot.data.mapping.fields`) is never required by a rule: without ``booking_ts`` a
booked row needs no booking time, without ``appointment_ts`` no appointment time, without
``arrival_ts`` an attended row needs no arrival, and so on. The schemas are built per set of
unknown columns (:func:`build_schema`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from polyslot.data.rules.coerce import BAD_COLUMNS, STRING_DTYPE, unparseable_rows
from polyslot.data.schema import (
    DURATION_TOLERANCE_MINUTES,
    MAX_CONSULT_MINUTES,
    STATUSES,
    TableSpec,
    get_spec,
)

__all__ = ["CrossRule", "CROSS_RULES", "Failure", "build_schema", "cross_rules", "evaluate"]

#: No column unknown for every row.
_ALL_KNOWN: frozenset[str] = frozenset()

_DTYPES = {
    "string": STRING_DTYPE,
    "time": STRING_DTYPE,
    "timestamp": None,  # any datetime64 resolution (Parquet brings s, ms or us)
    "date": None,
    "float": "float64",
    "int": "float64",
    "weekday": "float64",
}


@dataclass(frozen=True)
class CrossRule:
    """A rule over several columns: ``fn(df)`` is True for the rows that pass.

    ``columns`` are the columns whose values are quoted in the quarantine detail.
    """

    reason: str
    columns: tuple[str, ...]
    fn: Callable[[pd.DataFrame], pd.Series]


def _minutes(end: pd.Series, start: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 60.0


def _time_minutes(s: pd.Series) -> pd.Series:
    parts = s.str.split(":", n=1, expand=True)
    return pd.to_numeric(parts[0]) * 60 + pd.to_numeric(parts[1])


def _present(s: pd.Series) -> np.ndarray:
    return s.notna().to_numpy(dtype=bool)


def _is(s: pd.Series, value: str) -> np.ndarray:
    """Rows where ``s == value`` (False where ``s`` is null)."""
    return (s == value).to_numpy(dtype=bool, na_value=False)


def _status_consistent(unknown: frozenset[str]) -> Callable[[pd.DataFrame], pd.Series]:
    """The status rule; a requirement on a column unknown for every row is dropped."""

    def known(col: str, df: pd.DataFrame) -> np.ndarray:
        """Where ``col`` is present, or everywhere when the column is unknown."""
        if col in unknown:
            return np.ones(len(df), dtype=bool)
        return _present(df[col])

    def fn(df: pd.DataFrame) -> pd.Series:
        # numpy booleans: every status test appears un-negated, so a null status (False here)
        # fails no clause, as with pandas' nullable booleans and fillna(False)
        st = df["status"]
        attended, no_show, cancelled, walk_in = (_is(st, s) for s in STATUSES)
        arrived = _present(df["arrival_ts"])
        start, end = _present(df["consult_start_ts"]), _present(df["consult_end_ts"])
        any_consult = start | end
        seen = known("consult_start_ts", df) & known("consult_end_ts", df)
        bad = (
            ((attended | walk_in) & ~(known("arrival_ts", df) & seen))
            | (walk_in & _present(df["appointment_ts"]))
            | (no_show & (arrived | any_consult))
            | (cancelled & any_consult)
        )
        if not {"consult_start_ts", "consult_end_ts"} <= unknown:
            bad |= ~any_consult & _present(df["consultation_duration_minutes"])
        return pd.Series(~bad, index=df.index)

    return fn


def _always(df: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=df.index)


def _booking_missing(df: pd.DataFrame) -> pd.Series:
    bad = (
        ~_is(df["status"], "walk_in")
        & _present(df["status"])
        & ~_present(df["booking_ts"])
        & ~_present(df["__bad_timestamp"])
    )
    return pd.Series(~bad, index=df.index)


def _appointment_missing(df: pd.DataFrame) -> pd.Series:
    booked = df["status"].isin(["attended", "no_show", "cancelled"]).to_numpy(dtype=bool)
    return pd.Series(~(booked & ~_present(df["appointment_ts"])), index=df.index)


def _datetimes(*cols: pd.Series) -> list[np.ndarray] | None:
    """The columns as numpy ``datetime64`` arrays (NaT where missing), or None if one is not."""
    arrays = [c.to_numpy() for c in cols]
    return arrays if all(a.dtype.kind == "M" for a in arrays) else None


def _not_before(later: str, earlier: str) -> Callable[[pd.DataFrame], pd.Series]:
    def fn(df: pd.DataFrame) -> pd.Series:
        arrays = _datetimes(df[later], df[earlier])
        if arrays is None:
            return ~(df[later] < df[earlier]).fillna(False).astype(bool)
        return pd.Series(~(arrays[0] < arrays[1]), index=df.index)  # NaT compares False

    return fn


def _duration_matches(df: pd.DataFrame) -> pd.Series:
    arrays = _datetimes(df["consult_end_ts"], df["consult_start_ts"])
    if arrays is None:
        minutes = _minutes(df["consult_end_ts"], df["consult_start_ts"])
    else:  # numpy: the same float operations as pandas' total_seconds() / 60, less overhead
        minutes = (arrays[0] - arrays[1]) / np.timedelta64(1, "s") / 60.0
    diff = np.asarray(minutes - df["consultation_duration_minutes"].to_numpy(), dtype=float)
    return pd.Series(~(np.abs(diff) > DURATION_TOLERANCE_MINUTES), index=df.index)


def _time_ordered(df: pd.DataFrame) -> pd.Series:
    ok = df["start_time"].notna() & df["end_time"].notna()
    res = pd.Series(True, index=df.index)
    if ok.any():
        res[ok] = (
            _time_minutes(df.loc[ok, "end_time"]) > _time_minutes(df.loc[ok, "start_time"])
        ).to_numpy()
    return res


def _interval_ordered(df: pd.DataFrame) -> pd.Series:
    e = df["expected_requests"]
    bad = (df["lower"] > e) | (df["upper"] < e) | (df["lower"] > df["upper"])
    return ~bad.fillna(False).astype(bool)


def _quoted(columns: tuple[str, ...], unknown: frozenset[str]) -> tuple[str, ...]:
    """The columns a detail quotes: those unknown for every row say nothing."""
    return tuple(c for c in columns if c not in unknown) or columns[:1]


@functools.cache
def cross_rules(table: str, unknown: frozenset[str] = _ALL_KNOWN) -> tuple[CrossRule, ...]:
    """The rules relating several columns of ``table``, in quarantine-priority order, given
    the columns ``unknown`` for every row."""
    if table == "roster":
        return (CrossRule("end_before_start", ("start_time", "end_time"), _time_ordered),)
    if table == "demand_forecast":
        return (
            CrossRule(
                "inconsistent_interval", ("lower", "expected_requests", "upper"), _interval_ordered
            ),
        )
    if table != "attendances":
        return ()
    rules = (
        CrossRule(
            "missing_required_field",
            ("status", "booking_ts"),
            _always if "booking_ts" in unknown else _booking_missing,
        ),
        CrossRule(
            "end_before_start",
            ("consult_start_ts", "consult_end_ts"),
            _not_before("consult_end_ts", "consult_start_ts"),
        ),
        CrossRule(
            "duration_mismatch",
            ("consult_start_ts", "consult_end_ts", "consultation_duration_minutes"),
            _duration_matches,
        ),
        CrossRule(
            "missing_appointment",
            ("status", "appointment_ts"),
            _always if "appointment_ts" in unknown else _appointment_missing,
        ),
        CrossRule(
            "inconsistent_status",
            ("status", "appointment_ts", "arrival_ts", "consult_start_ts", "consult_end_ts"),
            _status_consistent(unknown),
        ),
        CrossRule(
            "arrival_before_booking",
            ("booking_ts", "arrival_ts"),
            _not_before("arrival_ts", "booking_ts"),
        ),
        CrossRule(
            "appointment_before_booking",
            ("booking_ts", "appointment_ts"),
            _not_before("appointment_ts", "booking_ts"),
        ),
        CrossRule(
            "consult_before_arrival",
            ("arrival_ts", "consult_start_ts"),
            _not_before("consult_start_ts", "arrival_ts"),
        ),
    )
    return tuple(CrossRule(r.reason, _quoted(r.columns, unknown), r.fn) for r in rules)


#: The rules relating several columns of each table when every column is known.
CROSS_RULES: dict[str, tuple[CrossRule, ...]] = {
    t: cross_rules(t) for t in ("attendances", "roster", "demand_forecast")
}

#: Column checks: (column, reason, vectorised predicate on the non-null values).
_COLUMN_CHECKS: dict[str, tuple[tuple[str, str, Callable[[pd.Series], pd.Series]], ...]] = {
    "attendances": (
        ("status", "unknown_status", lambda s: s.isin(STATUSES)),
        ("consultation_duration_minutes", "negative_duration", lambda s: s >= 0),
        (
            "consultation_duration_minutes",
            "implausible_duration",
            lambda s: s <= MAX_CONSULT_MINUTES,
        ),
    ),
    "roster": (("doctors", "out_of_range", lambda s: s >= 0),),
    "slot_template": (
        ("duration_minutes", "out_of_range", lambda s: s > 0),
        ("count", "out_of_range", lambda s: s >= 1),
    ),
    "demand_forecast": (
        ("expected_requests", "out_of_range", lambda s: s >= 0),
        ("lower", "out_of_range", lambda s: s >= 0),
        ("upper", "out_of_range", lambda s: s >= 0),
    ),
    "no_show_predictions": (("probability", "out_of_range", lambda s: (s >= 0) & (s <= 1)),),
}


@functools.cache
def build_schema(table: str, unknown: frozenset[str] = _ALL_KNOWN) -> pa.DataFrameSchema:
    """The pandera schema of standard table ``table`` (applied to a coerced chunk), given the
    columns ``unknown`` for every row."""
    spec: TableSpec = get_spec(table)
    checks: dict[str, list[pa.Check]] = {c.name: [] for c in spec.columns}
    for col, reason, pred in _COLUMN_CHECKS.get(table, ()):
        checks[col].append(pa.Check(pred, name=reason, ignore_na=True))
    columns = {
        c.name: pa.Column(_DTYPES[c.kind], checks=checks[c.name], nullable=c.nullable)
        for c in spec.columns
    }
    for note, reason in BAD_COLUMNS.items():
        columns[note] = pa.Column(
            STRING_DTYPE, pa.Check(lambda s: s.isna(), name=reason), nullable=True
        )
    frame_checks = [pa.Check(r.fn, name=r.reason) for r in cross_rules(table, unknown)]
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False, name=table)


@dataclass(frozen=True)
class Failure:
    """Rows failing one rule of one chunk.

    ``rows`` are positions in the chunk; ``columns`` are the columns quoted in the detail
    (empty for a hidden note column, whose value is the detail itself).
    """

    reason: str
    rows: np.ndarray
    columns: tuple[str, ...]
    note: str | None = None


def _failed(check: pa.Check, obj: pd.Series | pd.DataFrame) -> np.ndarray:
    """Positions where vectorised ``check`` fails on ``obj`` (nulls pass when ``ignore_na``)."""
    out = check._check_fn(obj)  # the check's own vectorised function, see evaluate()
    arr = np.asarray(out.to_numpy(dtype=bool, na_value=True) if hasattr(out, "to_numpy") else out)
    fail = ~arr
    if check.ignore_na and isinstance(obj, pd.Series):
        fail &= obj.notna().to_numpy()
    return np.flatnonzero(fail)


def evaluate(
    table: str, typed: pd.DataFrame, unknown: frozenset[str] = _ALL_KNOWN
) -> list[Failure]:
    """Apply every check of :func:`build_schema` to a coerced chunk (positions must be 0..n-1).

    This runs the very same pandera ``Check`` objects and nullability rules as
    ``build_schema(table).validate(typed, lazy=True)`` but calls each check directly and keeps
    only the failing row positions: each check's vectorised function is applied to the whole
    chunk, bypassing pandera's failure-case collection (boolean-indexing a copy of every
    failing row, and reshaping dataframe-level failures), which cost about 8 s per million
    rows on the benchmark.
    """
    schema = build_schema(table, unknown)
    found: list[Failure] = []
    for name, col in schema.columns.items():
        s = typed[name]
        if name in BAD_COLUMNS:
            rows = np.flatnonzero(s.notna().to_numpy())
            if len(rows):
                found.append(Failure(BAD_COLUMNS[name], rows, (), note=name))
            continue
        if not col.nullable:
            empty = s.isna().to_numpy()
            empty[unparseable_rows(typed, name)] = False
            rows = np.flatnonzero(empty)
            if len(rows):
                found.append(Failure("missing_required_field", rows, (name,)))
        for check in col.checks:
            rows = _failed(check, s)
            if len(rows):
                found.append(Failure(check.name, rows, (name,)))
    rules = {r.reason: r for r in cross_rules(table, unknown)}
    for check in schema.checks:
        rows = _failed(check, typed)
        if len(rows):
            found.append(Failure(check.name, rows, rules[check.name].columns))
    return found
