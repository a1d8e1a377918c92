"""A Delta table is a Spark source: read through the transaction log, validated as locally."""

from __future__ import annotations

import pandas as pd
import pytest
from deltalake import write_deltalake
from test_spark_quarantine import _broken, _quarantine

from polyslot.config import RunConfig
from polyslot.data import ingest
from polyslot.errors import DataError
from polyslot.runners.spark import ingest_spark
from polyslot.runners.spark.sources import read_spark_source


@pytest.fixture(scope="module")
def delta_and_csv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("delta")
    csv = _broken(tmp / "attendances.csv")
    df = pd.read_csv(csv, dtype=str)  # empty fields -> null, as the CSV reader sees them
    one = tmp / "one_commit"
    write_deltalake(str(one), df)
    two = tmp / "two_commits"
    write_deltalake(str(two), df.iloc[:200])
    write_deltalake(str(two), df.iloc[200:], mode="append")
    return csv, one, two, tmp


def test_delta_table_read_through_its_log(spark, delta_and_csv) -> None:
    _, _, two, _ = delta_and_csv
    df = read_spark_source(spark, "delta", str(two))
    assert df.count() == 400
    assert df.select("attendance_id").distinct().count() == 398  # two duplicated ids
    assert "attendance_id" in df.columns


def test_delta_quarantine_equals_local(spark, delta_and_csv) -> None:
    csv, one, _, tmp = delta_and_csv
    local = ingest(csv, tmp / "local", max_quarantine_share=None)
    remote = ingest_spark({"attendances": f"delta:{one}"}, RunConfig(), tmp / "spark", spark)
    ql, qs = _quarantine(local.out_dir), _quarantine(remote.out_dir)
    assert len(ql) == 8
    cols = ["source_row", "reason", "detail", "polyclinic_id", "record"]
    pd.testing.assert_frame_equal(ql[cols], qs[cols])
    assert remote.tables["attendances"].accepted == local.tables["attendances"].accepted


def test_missing_delta_table_is_a_data_error(spark, tmp_path) -> None:
    (tmp_path / "nope" / "_delta_log").mkdir(parents=True)
    with pytest.raises(DataError):
        read_spark_source(spark, "delta", str(tmp_path / "nope"))
