"""One local[2] SparkSession for the whole test session (Spark tests run in CI, never skipped)."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(scope="session")
def spark():
    """The shared local Spark session (quiet, UTC, Arrow on)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from polyslot.runners.spark import get_spark

    session = get_spark("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
