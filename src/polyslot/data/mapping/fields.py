"""Where each contract column of a table comes from: a source column, a constant, the row
number, derived from other columns, or unknown for every row.

Computed once per source (:func:`field_sources`) from its mapping and its columns, before any
row is read. The rules use it (a column unknown for every row is never a reason to quarantine
a row), validation derives the ``derived`` columns, and ingest stores it as the store's
``table_fields`` table and under ``fields`` / ``unknown_fields`` in ``data_quality.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyslot.data.mapping.model import TableMapping
from polyslot.data.schema import TableSpec

__all__ = ["FieldSource", "field_sources", "unknown_fields", "derived_fields"]


@dataclass(frozen=True)
class FieldSource:
    """Where one contract column comes from.

    Attributes
    ----------
    field : str
        Contract column.
    provenance : str
        One of :data:`polyslot.data.mapping.model.PROVENANCES`.
    source : str
        The source column(s), constant or rule, in the mapping's words ("" when unknown).
    """

    field: str
    provenance: str
    source: str = ""


def _derive(fields: dict[str, FieldSource]) -> None:
    """Mark ``consult_end_ts`` (start + duration) or the duration (end - start) as derived."""
    if not {"consult_start_ts", "consult_end_ts", "consultation_duration_minutes"} <= set(fields):
        return
    known = {k for k, f in fields.items() if f.provenance != "unknown"}
    if "consult_start_ts" not in known:
        return
    if "consult_end_ts" not in known and "consultation_duration_minutes" in known:
        fields["consult_end_ts"] = FieldSource(
            "consult_end_ts", "derived", "consult_start_ts + consultation_duration_minutes"
        )
    elif "consultation_duration_minutes" not in known and "consult_end_ts" in known:
        fields["consultation_duration_minutes"] = FieldSource(
            "consultation_duration_minutes", "derived", "consult_end_ts - consult_start_ts"
        )


def field_sources(
    spec: TableSpec, mapping: TableMapping | None, source_columns: tuple[str, ...]
) -> tuple[FieldSource, ...]:
    """Where every contract column of ``spec`` comes from, in contract order.

    ``source_columns`` are the source's own columns (before the mapping). A contract column
    neither mapped nor in the source is ``unknown``; so is a nullable one mapped to
    ``{ value = "" }``.
    """
    out: dict[str, FieldSource] = {}
    have = set(source_columns)
    for col in spec.columns:
        rule = mapping.rule(col.name) if mapping is not None else None
        if rule is not None:
            prov = rule.provenance
            if prov == "unknown" and not col.nullable:
                prov = "constant"  # an empty required value: every row is quarantined
            text = "" if prov == "unknown" else rule.describe()
            out[col.name] = FieldSource(col.name, prov, text)
        elif col.name in have:
            out[col.name] = FieldSource(col.name, "source", repr(col.name))
        else:
            out[col.name] = FieldSource(col.name, "unknown")
    _derive(out)
    return tuple(out[c.name] for c in spec.columns)


def unknown_fields(fields: tuple[FieldSource, ...]) -> frozenset[str]:
    """The contract columns unknown for every row."""
    return frozenset(f.field for f in fields if f.provenance == "unknown")


def derived_fields(fields: tuple[FieldSource, ...]) -> frozenset[str]:
    """The contract columns validation derives from others."""
    return frozenset(f.field for f in fields if f.provenance == "derived")
