"""Estimation aggregates in Spark SQL, so the driver never scans raw attendances.

The statements are those of :mod:`polyslot.estimate.aggregates` rendered in the Spark dialect
and run with ``spark.sql`` over the validated tables (training period only). Each aggregate
is written as Parquet under ``out/spark/aggregates/<name>/`` with ``scope.json``;
:func:`polyslot.estimate.estimate_network` loads them (``aggregates=``) into DuckDB and runs
the same estimation code as the local engine on a store that holds only the small tables
(roster, slot template, demand forecast).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from polyslot.atomic import write_json
from polyslot.estimate.aggregates import (
    AGGREGATES,
    PREDICTION_AGGREGATES,
    SPARK,
    aggregate_sql,
    booking_scope,
    extra_candidates,
    scalar_sql,
)
from polyslot.estimate.aggregates_store import SCOPE_FILE, scope_to_dict
from polyslot.estimate.config import EstimateConfig

__all__ = ["EVENT_DATE", "last_date_spark", "spark_aggregates"]

#: The calendar date of an attendance, as the local hold-out split defines it.
EVENT_DATE = "CAST(COALESCE(appointment_ts, arrival_ts, booking_ts) AS DATE)"


def last_date_spark(spark: Any, attendances: Path) -> dt.date:
    """The last date with attendances (Spark's ``max`` over the accepted table)."""
    row = spark.read.parquet(str(attendances)).selectExpr(f"max({EVENT_DATE}) AS d").collect()[0]
    return row["d"]


def spark_aggregates(
    spark: Any,
    tables: dict[str, Path],
    config: EstimateConfig,
    cutoff: dt.date | None,
    out: Path,
) -> Path:
    """Compute every estimation aggregate with Spark SQL; return the folder written.

    Parameters
    ----------
    spark : SparkSession
    tables : dict of str to Path
        Accepted Parquet folder of each standard table (``attendances`` required).
    config : EstimateConfig
        The settings the aggregates depend on (slot grid, very-late threshold, no-show split).
    cutoff : date or None
        First held-back date: only attendances before it are aggregated (as the local engine's
        training store).
    out : Path
        Folder for ``<aggregate>/`` Parquet and ``scope.json``.
    """
    att = spark.read.parquet(str(tables["attendances"]))
    if cutoff is not None:
        att = att.where(f"{EVENT_DATE} < DATE '{cutoff.isoformat()}'")
    att.createOrReplaceTempView("attendances")
    names: tuple[str, ...] = AGGREGATES
    if "no_show_predictions" in tables:
        spark.read.parquet(str(tables["no_show_predictions"])).createOrReplaceTempView(
            "no_show_predictions"
        )
        names = AGGREGATES + PREDICTION_AGGREGATES
    candidates = extra_candidates([(f.name, f.dataType.simpleString()) for f in att.schema.fields])
    row = spark.sql(scalar_sql(SPARK, candidates)).collect()[0].asDict()
    scope = booking_scope(row, candidates, config)
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        spark.sql(aggregate_sql(SPARK, name, config, scope)).write.mode("overwrite").parquet(
            str(out / name)
        )
    write_json(out / SCOPE_FILE, scope_to_dict(scope))
    return out
