"""The validated mapping: frozen types saying how a foreign export becomes the data contract.

:mod:`polyslot.data.mapping.parse` builds them from ``mapping.toml``;
:mod:`polyslot.data.mapping.apply` applies a :class:`TableMapping` to raw chunks;
:mod:`polyslot.data.mapping.facility` reads the table a :class:`FacilityMapping` names.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyslot.data.schema import TableSpec, get_spec
from polyslot.errors import MappingError

__all__ = [
    "ColumnRule",
    "ValueRule",
    "WhenRule",
    "TableMapping",
    "FacilityMapping",
    "Mapping",
    "EXCLUDE",
    "DEFAULT",
    "ID_SCOPES",
    "ID_SEPARATOR",
    "SOURCE_KEYS",
    "UNITS",
    "PROVENANCES",
]

#: Group name of the source values whose rows are read but not used.
EXCLUDE = "exclude"
#: Key of a values table naming the contract value of every value not listed.
DEFAULT = "default"
ID_SCOPES = ("network", "polyclinic")
#: Keys describing how to read the source (top level or per table).
SOURCE_KEYS = ("encoding", "sheet", "delimiter")
#: Separator between polyclinic and source id when ``id_scope = "polyclinic"``.
ID_SEPARATOR = ":"
#: Duration units a ``{ column = ..., unit = ... }`` rule converts from, and how to minutes
#: (divided, not multiplied by a rounded factor: 834 seconds are exactly the double of 13.9).
UNITS: dict[str, str] = {"seconds": "divided by 60", "minutes": "as is", "hours": "times 60"}
#: Where a contract column's values come from (the store's ``table_fields.provenance``).
PROVENANCES: dict[str, str] = {
    "source": "a source column (renamed, or under its own name; converted when a unit is given)",
    "pair": "a date column and a clock-time column combined",
    "constant": "the same value on every row",
    "row_number": "the row's position in the source (1-based; files in name order)",
    "derived": "computed from other columns (consult_end_ts = start + duration; the duration = "
    "end - start)",
    "unknown": "not in the export: empty on every row (left out of the mapping, or mapped to "
    '{ value = "" })',
}


@dataclass(frozen=True)
class ColumnRule:
    """Where one contract column comes from.

    Attributes
    ----------
    target : str
        Contract column.
    source : str or None
        Source column (a rename; converted to minutes when ``unit`` is set).
    pair : tuple of (str, str) or None
        ``(date column, clock-time column)`` combined into one timestamp.
    constant : str or None
        Constant text (``""`` leaves the column empty: unknown for every row when nullable).
    row_number : bool
        The row's 1-based position in the source, as text (an id for exports without one).
    unit : str or None
        Unit of a duration source column (``seconds``, ``minutes``, ``hours``).
    """

    target: str
    source: str | None = None
    pair: tuple[str, str] | None = None
    constant: str | None = None
    row_number: bool = False
    unit: str | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        """Source columns the rule reads."""
        if self.source is not None:
            return (self.source,)
        return self.pair or ()

    @property
    def provenance(self) -> str:
        """One of :data:`PROVENANCES` (``unknown`` for an empty constant)."""
        if self.row_number:
            return "row_number"
        if self.pair is not None:
            return "pair"
        if self.constant is not None:
            return "unknown" if self.constant == "" else "constant"
        return "source"

    def describe(self) -> str:
        """The rule in the mapping's words (for ``table_fields.source``)."""
        if self.row_number:
            return "{ row_number = true }"
        if self.pair is not None:
            return f"[{self.pair[0]!r}, {self.pair[1]!r}]"
        if self.constant is not None:
            return f"{{ value = {self.constant!r} }}"
        return f"{self.source!r}" + (f" in {self.unit}" if self.unit else "")


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
    default : str or None
        Contract value (or ``exclude``) of every present value not listed; None keeps such
        values as they are.
    """

    column: str
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    default: str | None = None

    def lookup(self) -> dict[str, str]:
        """Normalised source value -> contract value (or ``exclude``)."""
        return {v: target for target, values in self.groups for v in values}

    @property
    def excludes(self) -> bool:
        """Whether some values exclude their rows."""
        return self.default == EXCLUDE or any(t == EXCLUDE and v for t, v in self.groups)


@dataclass(frozen=True)
class WhenRule:
    """A rule on another source column, applied after the values are recoded.

    Rows whose ``column`` holds one of ``values`` (trimmed, case-insensitive) get the contract
    values of ``set``. A row set to ``status = "walk_in"`` has no appointment time: its
    ``appointment_ts`` is cleared (unless ``set`` gives it).
    """

    column: str
    values: tuple[str, ...]
    set: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TableMapping:
    """The mapping of one table (see docs/data.md, "The mapping keys")."""

    table: str
    path: str = "<mapping>"
    id_scope: str = "network"
    timestamp_formats: tuple[str, ...] = ()
    columns: tuple[ColumnRule, ...] = ()
    values: tuple[ValueRule, ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    when: tuple[WhenRule, ...] = ()

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
            and not self.when
            and not self.timestamp_formats
            and self.id_scope == "network"
        )

    def rule(self, target: str) -> ColumnRule | None:
        """The column rule of contract column ``target`` (None when it is not mapped)."""
        return next((r for r in self.columns if r.target == target), None)

    def sources_used(self) -> tuple[str, ...]:
        """Every source column a column rule reads (dropped from the mapped rows)."""
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
        needed = [(f"columns.{r.target}", s) for r in self.columns for s in r.sources]
        needed += [(f"when[{i}].column", w.column) for i, w in enumerate(self.when)]
        for key, s in needed:
            if s not in have:
                raise MappingError(
                    f"source column {s!r} not found in {source_label}; columns available: "
                    f"{', '.join(source_columns) or 'none'}",
                    source=self.path,
                    field=f"{self.table}.{key}",
                    value=s,
                )


@dataclass(frozen=True)
class FacilityMapping:
    """Where the facility table is and which columns hold what.

    Attributes
    ----------
    path : str
        The mapping file (named in errors).
    file : str
        The facility table (CSV, Excel or Parquet), resolved against the mapping's folder.
    polyclinic_id : str
        Source column of the polyclinic id (matched, as text, to the attendances').
    doctors : str or None
        Source column of the number of doctors on duty at most.
    opening_hours : str or None
        Source column of the opening hours as text ('Mon-Fri 8am-9pm, Sat 8am-1pm').
    weekday_hours : tuple of (int, str)
        Per-weekday columns instead: ``(weekday 0=Mon, source column)``; a weekday without a
        column is closed.
    """

    path: str
    file: str
    polyclinic_id: str
    doctors: str | None = None
    opening_hours: str | None = None
    weekday_hours: tuple[tuple[int, str], ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None

    @property
    def source_columns(self) -> tuple[tuple[str, str], ...]:
        """``(key, source column)`` of every column the mapping names."""
        out = [("polyclinic_id", self.polyclinic_id)]
        if self.doctors:
            out.append(("doctors", self.doctors))
        if self.opening_hours:
            out.append(("opening_hours", self.opening_hours))
        out += [(f"opening_hours.{d}", c) for d, c in self.weekday_hours]
        return tuple(out)


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file: one :class:`TableMapping` per table it mentions."""

    path: str
    tables: tuple[TableMapping, ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    facility: FacilityMapping | None = None

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
