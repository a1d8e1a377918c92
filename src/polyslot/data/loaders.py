"""One in-memory entry point per table: ``load_attendances(source)`` and friends."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeAlias

import duckdb
import pandas as pd

from polyslot.data.mapping import Mapping, as_mapping
from polyslot.data.readers import open_source
from polyslot.data.schema import get_spec
from polyslot.data.stage import load_table
from polyslot.data.store import normalise_frame

__all__ = [
    "LoadResult",
    "load_table_source",
    "load_attendances",
    "load_roster",
    "load_slot_template",
    "load_demand_forecast",
    "load_no_show_predictions",
]

Source: TypeAlias = str | os.PathLike[str] | pd.DataFrame


@dataclass(frozen=True)
class LoadResult:
    """Validated rows of one table.

    Attributes
    ----------
    table : str
        Standard table name.
    source : str
        Where the rows came from.
    valid : DataFrame
        Accepted rows, typed, in source order; first column ``source_row`` (1-based).
    quarantine : DataFrame
        Rejected rows: ``source_row``, ``reason``, ``detail`` and the original fields as text.
    reconciliation : DataFrame
        Per polyclinic: ``read``, ``accepted``, ``quarantined``, ``excluded``
        (read == accepted + quarantined + excluded).
    """

    table: str
    source: str
    valid: pd.DataFrame
    quarantine: pd.DataFrame
    reconciliation: pd.DataFrame

    @property
    def reasons(self) -> dict[str, int]:
        """Number of quarantined rows per reason code."""
        return {str(k): int(v) for k, v in self.quarantine["reason"].value_counts().items()}


def load_table_source(
    name: str,
    source: Source,
    *,
    table: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
) -> LoadResult:
    """Read, validate and quarantine standard table ``name`` from ``source``.

    Parameters
    ----------
    name : str
        Standard table name (``attendances``, ``roster``, ...).
    source : path-like or DataFrame
        CSV file, Parquet file or folder, DuckDB database file, data folder holding the
        standard file, a store folder, or a DataFrame.
    table : str, optional
        Table inside a DuckDB database (default: the standard name).
    mapping : Mapping or path-like, optional
        A mapping (or ``mapping.toml``); its section for table ``name`` is applied.

    Raises
    ------
    DataError
        Missing or unreadable source.
    SchemaError
        A required column is absent.
    """
    spec = get_spec(name)
    found = as_mapping(mapping)
    src = open_source(
        source, spec, table=table, mapping=found.for_table(name) if found is not None else None
    )
    con = duckdb.connect(":memory:")
    try:
        counts = load_table(con, spec, src)
        valid = con.execute(f'SELECT * FROM "{name}" ORDER BY source_row').df()
        quarantine = con.execute(f'SELECT * FROM "_q_{name}" ORDER BY source_row').df()
    finally:
        con.close()
    return LoadResult(
        table=name,
        source=src.label,
        valid=normalise_frame(valid, name),
        quarantine=quarantine,
        reconciliation=counts.reconciliation.drop(columns="table_name"),
    )


def load_attendances(
    source: Source,
    *,
    table: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
) -> LoadResult:
    """Load POLYCLINIC_ATTENDANCES (see :func:`load_table_source`)."""
    return load_table_source("attendances", source, table=table, mapping=mapping)


def load_roster(
    source: Source,
    *,
    table: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
) -> LoadResult:
    """Load ROSTER (see :func:`load_table_source`)."""
    return load_table_source("roster", source, table=table, mapping=mapping)


def load_slot_template(
    source: Source,
    *,
    table: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
) -> LoadResult:
    """Load SLOT_TEMPLATE (see :func:`load_table_source`)."""
    return load_table_source("slot_template", source, table=table, mapping=mapping)


def load_demand_forecast(
    source: Source,
    *,
    table: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
) -> LoadResult:
    """Load DEMAND_FORECAST (see :func:`load_table_source`)."""
    return load_table_source("demand_forecast", source, table=table, mapping=mapping)


def load_no_show_predictions(
    source: Source,
    *,
    table: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
) -> LoadResult:
    """Load NO_SHOW_PREDICTIONS (see :func:`load_table_source`)."""
    return load_table_source("no_show_predictions", source, table=table, mapping=mapping)
