"""Readers: open a table source (CSV, Excel, FHIR NDJSON, Parquet, DuckDB, a DataFrame) and
yield its rows in raw chunks, with a mapping applied when one is given.

:mod:`.source` resolves a source into a :class:`TableSource` and checks its header against the
contract; the formats have one module each (:mod:`.csvfile`, :mod:`.excel`,
:mod:`.fhir_ndjson`); :mod:`.arrow_chunks` turns Arrow batches into pandas chunks.
"""

from polyslot.data.readers.source import (
    DEFAULT_BATCH_ROWS,
    TableSource,
    find_table_file,
    is_duckdb_file,
    open_raw,
    open_source,
)

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "TableSource",
    "find_table_file",
    "is_duckdb_file",
    "open_raw",
    "open_source",
]
