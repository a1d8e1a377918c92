"""The Spark session polyslot runs on: the active one (Databricks) or a small local one.

pyspark is imported lazily, inside functions only, so ``import polyslot`` never needs it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from polyslot.errors import ConfigError

__all__ = ["get_spark", "require_pyspark", "LOCAL_CONF"]

#: Settings of the local session built when no session is active. The session time zone is
#: UTC so naive timestamps round-trip unchanged between pandas, Spark and Parquet.
LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "1g",
    "spark.python.worker.reuse": "true",
}


def require_pyspark() -> Any:
    """Import and return :mod:`pyspark`, or raise ConfigError naming the extra to install."""
    try:
        import pyspark
    except ImportError:  # pragma: no cover - pyspark is installed in the dev environment
        raise ConfigError(
            "pyspark is not installed; install the extra: pip install 'polyslot[spark]'",
            field="--engine",
            value="spark",
        ) from None
    return pyspark


def get_spark(master: str = "local[2]", conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession, or a new local one (``master``) with :data:`LOCAL_CONF`.

    An active session (Databricks notebook or job) is used as it is, except that its session
    time zone is set to UTC for polyslot's naive timestamps.

    Parameters
    ----------
    master : str
        Master URL of a newly built session.
    conf : dict, optional
        Extra settings for a newly built session.

    Returns
    -------
    pyspark.sql.SparkSession
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.conf.set("spark.sql.session.timeZone", "UTC")
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("polyslot")
    for k, v in {**LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark
