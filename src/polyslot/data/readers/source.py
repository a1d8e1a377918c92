"""Open a table source (CSV, Parquet file or folder, DuckDB table, DataFrame) and read it in chunks.

Every reader checks the source's header against the contract before reading any row, so a
missing required column stops at once with a :class:`~polyslot.errors.SchemaError` that names
the file, the column and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads

from polyslot.data.mapping.apply import apply_mapping
from polyslot.data.mapping.fields import FieldSource, field_sources, unknown_fields
from polyslot.data.mapping.model import TableMapping
from polyslot.data.readers.arrow_chunks import batch_to_pandas, parquet_chunks
from polyslot.data.readers.csvfile import csv_header
from polyslot.data.readers.excel import EXCEL_SUFFIXES, excel_header, iter_excel
from polyslot.data.readers.fhir_ndjson import FHIR_COLUMNS, FHIR_STATUS, is_fhir_source, iter_fhir
from polyslot.data.schema import TableSpec
from polyslot.data.store.files import STORE_FILE
from polyslot.errors import DataError, SchemaError

__all__ = [
    "TableSource",
    "open_source",
    "open_raw",
    "find_table_file",
    "is_duckdb_file",
    "DEFAULT_BATCH_ROWS",
]

DEFAULT_BATCH_ROWS = 500_000
_DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".txt", ".tsv", ".tsv.gz")


@dataclass(frozen=True)
class TableSource:
    """A resolved source of one table.

    Attributes
    ----------
    kind : {"csv", "parquet", "duckdb", "frame", "excel", "fhir"}
        How the rows are stored.
    path : str
        File or folder (``"<DataFrame>"`` for an in-memory frame).
    columns : tuple of str
        Column names found in the source.
    table : str or None
        Table name inside a DuckDB database.
    total_rows : int or None
        Row count when known without reading (Parquet metadata, DuckDB, DataFrame).
    delimiter, encoding : str
        CSV field delimiter (sniffed unless declared) and text encoding.
    sheet : str or None
        Excel sheet (default: the first).
    mapping : TableMapping or None
        Applied to every chunk; ``columns`` are then the mapped columns and ``raw_columns``
        the source's own.
    fields : tuple of FieldSource
        Where each contract column comes from (set by :func:`open_source`; empty for a raw
        source).
    """

    kind: str
    path: str
    columns: tuple[str, ...]
    table: str | None = None
    total_rows: int | None = None
    frame: pd.DataFrame | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None
    mapping: TableMapping | None = None
    raw_columns: tuple[str, ...] = ()
    fields: tuple[FieldSource, ...] = ()

    @property
    def unknown_fields(self) -> frozenset[str]:
        """Contract columns unknown for every row (not in the source, not mapped)."""
        return unknown_fields(self.fields)

    @property
    def label(self) -> str:
        """Human name of the source for messages."""
        return f"{self.path} (table {self.table})" if self.table else self.path

    def check_columns(self, spec: TableSpec) -> None:
        """Raise :class:`SchemaError` if a required column is absent."""
        expected = ", ".join(spec.required_names)
        needed = spec.required_names
        if self.mapping is not None and not self.mapping.is_identity:
            # a mapped source may leave out nullable columns: they are read as empty
            needed = tuple(c for c in needed if not spec.column(c).nullable)
        for col in needed:
            if col not in self.columns:
                hint = (
                    f"; map it in {self.mapping.path} [{spec.name}.columns]"
                    if self.mapping is not None
                    else "; map it with --mapping (polyslot map drafts one)"
                )
                if spec.column(col).nullable and self.mapping is None:
                    hint += (
                        "; an export without it needs a mapping that leaves it out (unknown "
                        "for every row)"
                    )
                raise SchemaError(
                    f"missing required column of table {spec.name!r}; expected columns "
                    f"{expected}; found {', '.join(self.columns) or 'none'}{hint}",
                    source=self.label,
                    field=col,
                )
        if spec.one_of and not any(c in self.columns for c in spec.one_of):
            raise SchemaError(
                f"table {spec.name!r} needs at least one of the columns {' or '.join(spec.one_of)}",
                source=self.label,
                field=spec.one_of[0],
            )

    def iter_batches(self, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pd.DataFrame]:
        """Yield the rows as raw pandas chunks of at most about ``batch_rows`` rows."""
        done = 0
        try:
            for chunk in self._iter(batch_rows):
                if self.mapping is not None:
                    chunk = apply_mapping(self.mapping, chunk, first_row=done + 1)
                done += len(chunk)
                yield chunk
        except (OSError, pa.ArrowException, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "UTF8" in msg or "utf-8" in msg:
                msg += '; declare the encoding in the mapping, e.g. encoding = "latin-1"'
            raise DataError(f"cannot read rows ({msg})", source=self.label) from None

    def _iter(self, batch_rows: int) -> Iterator[pd.DataFrame]:
        if self.kind == "frame":
            assert self.frame is not None
            for i in range(0, max(len(self.frame), 1), batch_rows):
                yield self.frame.iloc[i : i + batch_rows]
        elif self.kind == "parquet":
            for f in pads.dataset(self.path, format="parquet").files:
                yield from parquet_chunks(f, batch_rows)
        elif self.kind == "csv":
            opts = pacsv.ConvertOptions(
                column_types={c: pa.string() for c in self.raw_columns or self.columns},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            )
            block = max(1 << 20, min(batch_rows * 200, 256 << 20))
            stream = pa.input_stream(self.path, compression="detect")
            with pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=block, encoding=self.encoding),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
                convert_options=opts,
            ) as reader:
                for batch in reader:
                    if batch.num_rows:
                        yield batch_to_pandas(batch)
        elif self.kind == "excel":
            yield from iter_excel(self.path, self.sheet, batch_rows)
        elif self.kind == "fhir":
            yield from iter_fhir(Path(self.path), batch_rows)
        elif self.kind == "duckdb":
            import duckdb

            con = duckdb.connect(self.path, read_only=True)
            try:
                rel = con.sql(f'SELECT * FROM "{self.table}"')
                reader = rel.to_arrow_reader(batch_rows)
                for batch in reader:
                    if batch.num_rows:
                        yield batch_to_pandas(batch)
            finally:
                con.close()
        else:  # pragma: no cover - kinds are fixed above
            raise AssertionError(self.kind)


def is_duckdb_file(path: Path) -> bool:
    """Whether ``path`` is a DuckDB database (by suffix or magic bytes)."""
    if path.suffix.lower() in _DUCKDB_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _duckdb_source(path: Path, table: str) -> TableSource:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise DataError(f"cannot open DuckDB database ({msg})", source=str(path)) from None
    try:
        names = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        if table not in names:
            raise DataError(
                f"no table {table!r} in the database; found {', '.join(sorted(names)) or 'none'}",
                source=str(path),
            )
        cols = tuple(r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall())
        total = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    finally:
        con.close()
    return TableSource("duckdb", str(path), cols, table=table, total_rows=int(total))


def find_table_file(folder: str | os.PathLike[str], name: str) -> Path | None:
    """The file (or Parquet folder) holding standard table ``name`` in a data folder, if any."""
    folder = Path(folder)
    for cand in (
        folder / f"{name}.parquet",
        folder / f"{name}.csv",
        folder / f"{name}.csv.gz",
        folder / name,
    ):
        if cand.exists():
            return cand
    return None


def open_source(
    source: object,
    spec: TableSpec,
    *,
    table: str | None = None,
    mapping: TableMapping | None = None,
) -> TableSource:
    """Resolve ``source`` into a :class:`TableSource` of table ``spec`` and check its columns.

    Parameters
    ----------
    source : path-like or DataFrame
        A CSV file, a Parquet file or folder of Parquet files, a DuckDB database file (the
        table is ``table`` or the standard name), a polyslot store folder or data folder
        (the standard file/table is used), or an in-memory DataFrame.
    spec : TableSpec
        The table's contract.
    table : str, optional
        Table name inside a DuckDB database.
    mapping : TableMapping, optional
        Applied to the rows before validation (its ``encoding``, ``delimiter`` and ``sheet``
        tell how to read the source).

    Raises
    ------
    DataError
        The source is missing or unreadable.
    SchemaError
        A required column is absent.
    MappingError
        The mapping names a column the source does not have.
    """
    src = open_raw(source, spec, table=table, mapping=mapping)
    if src.kind == "fhir":
        base = mapping or TableMapping(spec.name)
        if not any(v.column == "status" for v in base.values):
            mapping = replace(base, values=(*base.values, FHIR_STATUS))
    if mapping is not None and not mapping.is_identity:
        mapping.check_source(src.label, src.columns)
        src = replace(src, columns=mapping.output_columns(src.columns), raw_columns=src.columns)
    fields = field_sources(spec, mapping, src.raw_columns or src.columns)
    src = replace(src, mapping=mapping, fields=fields)
    src.check_columns(spec)
    return src


def open_raw(
    source: object,
    spec: TableSpec,
    *,
    table: str | None = None,
    mapping: TableMapping | None = None,
) -> TableSource:
    """The source as it is: columns neither mapped nor checked (``mapping`` only tells how to
    read it: encoding, delimiter, sheet)."""
    if isinstance(source, pd.DataFrame):
        return TableSource(
            "frame",
            "<DataFrame>",
            tuple(map(str, source.columns)),
            total_rows=len(source),
            frame=source,
        )
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"cannot read a {type(source).__name__}; expected a file path or a DataFrame",
            source=str(spec.name),
        )
    path = Path(source)
    if not path.exists():
        raise DataError(f"file not found; expected the {spec.name!r} table here", source=str(path))
    if path.is_dir():
        if (path / STORE_FILE).exists() and table is None:
            return open_raw(path / STORE_FILE, spec, table=spec.name, mapping=mapping)
        found = find_table_file(path, spec.name)
        if found is not None and found != path:
            return open_raw(found, spec, table=table, mapping=mapping)
        if spec.name == "attendances" and is_fhir_source(path):
            return TableSource("fhir", str(path), FHIR_COLUMNS)
        parquet = sorted(path.rglob("*.parquet"))
        if not parquet:
            raise DataError(
                f"folder holds neither {spec.name}.csv/.parquet nor Parquet files",
                source=str(path),
            )
        src = _parquet_source(path)
    elif is_duckdb_file(path):
        src = _duckdb_source(path, table or spec.name)
    elif path.name.lower().endswith(_CSV_SUFFIXES):
        enc = (mapping.encoding if mapping else None) or None
        delim = (mapping.delimiter if mapping else None) or None
        cols, delim, enc = csv_header(path, encoding=enc, delimiter=delim)
        src = TableSource("csv", str(path), cols, delimiter=delim, encoding=enc)
    elif path.suffix.lower() in (".parquet", ".pq"):
        src = _parquet_source(path)
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        sheet = mapping.sheet if mapping else None
        cols, total = excel_header(str(path), sheet)
        src = TableSource("excel", str(path), cols, total_rows=total, sheet=sheet)
    elif is_fhir_source(path):
        src = TableSource("fhir", str(path), FHIR_COLUMNS)
    else:
        raise DataError(
            "unsupported file type; expected .csv, .parquet, a Parquet folder, a DuckDB file, "
            "an Excel workbook (.xlsx, .xls) or FHIR NDJSON (.ndjson)",
            source=str(path),
        )
    return src


def _parquet_source(path: Path) -> TableSource:
    try:
        ds = pads.dataset(str(path), format="parquet")
        total = ds.count_rows()
    except (OSError, pa.ArrowException) as exc:
        msg = str(exc).splitlines()[0]
        raise DataError(f"cannot read Parquet ({msg})", source=str(path)) from None
    return TableSource("parquet", str(path), tuple(ds.schema.names), total_rows=int(total))
