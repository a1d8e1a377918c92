"""Resolve ``--data`` for the Spark engine into one Spark DataFrame per standard table.

Accepted forms (see docs/spark.md):

- ``None``: the embedded sample network, generated as Parquet into ``out/sample``;
- a mapping of table name to a Spark DataFrame or to any of the string forms below;
- a local (or ``/dbfs``) data folder holding the standard files (``attendances.parquet`` or
  ``.csv``, ``roster``, ``slot_template``, ``demand_forecast``, ``no_show_predictions``);
- a single attendances file or folder: ``*.csv``, ``*.parquet``, a Parquet folder, a Delta
  folder (it holds ``_delta_log``);
- an explicit prefix: ``table:NAME``, ``parquet:PATH``, ``csv:PATH``, ``delta:PATH``,
  ``schema:NAME`` (every standard table ``NAME.<table>`` that exists);
- a bare name without ``/``: a Spark table holding the attendances, or a schema holding the
  standard tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyslot.config import RunConfig
from polyslot.data.readers import TableSource, find_table_file
from polyslot.data.schema import TABLE_NAMES, get_spec
from polyslot.errors import DataError

__all__ = ["SparkSource", "resolve_spark_sources", "read_spark_source"]

#: Spark setting that reads Parquet nanosecond timestamps (as written by pandas) as longs.
NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"
_PREFIXES = ("table", "parquet", "csv", "delta", "schema")


@dataclass(frozen=True)
class SparkSource:
    """One standard table as a Spark DataFrame, with a label for messages."""

    table: str
    label: str
    frame: Any  # pyspark.sql.DataFrame


def _clean_columns(df: Any) -> Any:
    renames = {c: c.strip().lstrip("\ufeff") for c in df.columns if c != c.strip().lstrip("\ufeff")}
    for old, new in renames.items():
        df = df.withColumnRenamed(old, new)
    return df


def read_spark_source(spark: Any, kind: str, where: str) -> Any:
    """Read one source of ``kind`` (table, parquet, csv, delta) as a raw Spark DataFrame.

    CSV columns are read as text (no schema inference), exactly as the local engine reads them.
    """
    try:
        if kind == "table":
            df = spark.table(where)
        elif kind == "csv":
            df = (
                spark.read.option("header", "true")
                .option("inferSchema", "false")
                .option("mode", "PERMISSIVE")
                .csv(where)
            )
        elif kind == "parquet":
            # pandas writes nanosecond timestamps, which Spark reads only as longs
            spark.conf.set(NANOS_AS_LONG, "true")
            df = _nanos_to_timestamps(spark.read.parquet(where))
        elif kind == "delta":
            df = _read_delta(spark, where)
        else:
            raise DataError(f"unknown source kind {kind!r}", source=where)
    except DataError:
        raise
    except Exception as exc:  # AnalysisException and friends: one line, typed
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {kind} source ({msg[:300]})", source=where) from None
    return _clean_columns(df)


def _read_delta(spark: Any, where: str) -> Any:
    """A Delta table: Spark's Delta source when present (Databricks, delta-spark); otherwise the
    current snapshot's Parquet files listed from the transaction log by the ``deltalake``
    package (plain Apache Spark without Delta's jars, as in our CI)."""
    try:
        return spark.read.format("delta").load(where)
    except Exception as exc:
        text = str(exc)
        if "DATA_SOURCE_NOT_FOUND" not in text and "Failed to find data source" not in text:
            raise
    try:
        from deltalake import DeltaTable
    except ImportError:  # pragma: no cover - deltalake comes with polyslot[spark]
        raise DataError(
            "Spark has no Delta source and the deltalake package is missing; install "
            "'polyslot[spark]' or run on Databricks",
            source=where,
        ) from None
    table = DeltaTable(where)
    unsupported = {"deletionVectors", "columnMapping"} & set(table.protocol().reader_features or ())
    if unsupported:
        raise DataError(
            f"Delta table uses {', '.join(sorted(unsupported))}, which needs Spark's Delta "
            "source (Databricks or delta-spark)",
            source=where,
        )
    files = table.file_uris()
    if not files:
        raise DataError("Delta table has no data files", source=where)
    # partition values live in hive-style folders below the table root
    df = spark.read.option("basePath", where).parquet(*files)
    return _nanos_to_timestamps(df)


def _nanos_to_timestamps(df: Any) -> Any:
    """Turn the long (epoch-nanosecond) columns the contract types as timestamps into them."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    kinds: dict[str, str] = {}
    for name in TABLE_NAMES:
        for c in get_spec(name).columns:
            kinds.setdefault(c.name, c.kind)
    for f in df.schema.fields:
        if isinstance(f.dataType, LongType) and kinds.get(f.name) in ("timestamp", "date"):
            col = F.timestamp_micros(F.floor(F.col(f"`{f.name}`") / 1000)).cast("timestamp_ntz")
            df = df.withColumn(f.name, col)
    return df


def _kind_of_path(path: Path) -> str:
    if path.is_dir() and (path / "_delta_log").is_dir():
        return "delta"
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".txt")):
        return "csv"
    if path.is_dir() or name.endswith(".parquet"):
        return "parquet"
    raise DataError(
        "unsupported file type for the Spark engine; expected .csv, .parquet, a Parquet or "
        "Delta folder, a data folder or a Spark table name",
        source=str(path),
    )


def _from_string(spark: Any, data: str) -> dict[str, tuple[str, str]]:
    """Table name -> (kind, where) for one string form of ``--data``."""
    head, sep, rest = data.partition(":")
    if sep and head in _PREFIXES and not rest.startswith("//"):
        if head == "schema":
            return _from_schema(spark, rest)
        return {"attendances": (head, rest)}
    path = Path(data)
    if path.exists():
        if path.is_dir() and any(find_table_file(path, n) for n in TABLE_NAMES):
            found = {}
            for name in TABLE_NAMES:
                f = find_table_file(path, name)
                if f is not None:
                    found[name] = (_kind_of_path(f), str(f))
            return found
        return {"attendances": (_kind_of_path(path), str(path))}
    if "/" not in data and "\\" not in data:
        if spark.catalog.tableExists(data):
            return {"attendances": ("table", data)}
        found = _from_schema(spark, data, strict=False)
        if found:
            return found
        raise DataError(
            "neither a Spark table nor a schema holding an attendances table",
            source=data,
        )
    if "://" in data or data.startswith("dbfs:"):
        low = data.lower()
        kind = "csv" if low.endswith((".csv", ".csv.gz")) else "parquet"
        return {"attendances": (kind, data)}
    raise DataError(
        "file not found; expected a data folder, an attendances file, a Spark table or a "
        "prefixed source (table:, parquet:, csv:, delta:, schema:)",
        source=data,
    )


def _from_schema(spark: Any, schema: str, strict: bool = True) -> dict[str, tuple[str, str]]:
    found = {
        name: ("table", f"{schema}.{name}")
        for name in TABLE_NAMES
        if spark.catalog.tableExists(f"{schema}.{name}")
    }
    if strict and "attendances" not in found:
        raise DataError("no attendances table in the schema", source=schema)
    return found


def _sample(config: RunConfig, out: Path) -> Path:
    from polyslot.runners.steps import write_sample

    return write_sample(config, out)


def resolve_spark_sources(
    spark: Any, data: Any, config: RunConfig, out: Path
) -> dict[str, SparkSource]:
    """Map standard table names to raw Spark DataFrames; check each header against its contract.

    Raises
    ------
    DataError
        A source cannot be found or read, or no attendances table is given.
    SchemaError
        A required column is missing (same message as the local engine).
    """
    if data is None:
        data = str(_sample(config, out))
    if isinstance(data, Path):
        data = str(data)
    refs: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for name, ref in data.items():
            if name not in TABLE_NAMES:
                raise DataError(
                    f"unknown table; expected one of {', '.join(TABLE_NAMES)}", source=str(name)
                )
            refs[name] = ref
    else:
        refs = dict(_from_string(spark, str(data)))
    if "attendances" not in refs:
        raise DataError("no attendances table found", source=str(data))
    out_sources: dict[str, SparkSource] = {}
    for name in TABLE_NAMES:
        if name not in refs:
            continue
        ref = refs[name]
        if isinstance(ref, tuple):
            kind, where = ref
            label, df = where, read_spark_source(spark, kind, where)
        elif isinstance(ref, str | Path):
            found = _from_string(spark, str(ref))
            kind, where = found.get(name, found.get("attendances", next(iter(found.values()))))
            label, df = where, read_spark_source(spark, kind, where)
        else:
            label, df = f"<Spark DataFrame {name}>", _clean_columns(ref)
        TableSource("spark", label, tuple(df.columns)).check_columns(get_spec(name))
        out_sources[name] = SparkSource(name, label, df)
    return out_sources
