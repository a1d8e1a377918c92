"""Sources of the Spark engine: table names, Parquet, CSV, typed errors; lazy pyspark import."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from polyslot.config import RunConfig
from polyslot.errors import DataError, SchemaError
from polyslot.runners.spark.sources import resolve_spark_sources
from polyslot.runners.spark.validate import row_offsets


def _att(n: int) -> pd.DataFrame:
    ts = pd.date_range("2025-01-06 08:00", periods=n, freq="15min")
    return pd.DataFrame(
        {
            "attendance_id": [f"A{i}" for i in range(n)],
            "polyclinic_id": ["PC01"] * n,
            "visit_type": ["acute"] * n,
            "booking_ts": ts - pd.Timedelta(days=1),
            "appointment_ts": ts,
            "patient_id": ["P1"] * n,
            "arrival_ts": ts - pd.Timedelta(minutes=3),
            "consult_start_ts": ts,
            "consult_end_ts": ts + pd.Timedelta(minutes=10),
            "consultation_duration_minutes": [10.0] * n,
            "doctor_id": ["D1"] * n,
            "status": ["attended"] * n,
        }
    )


def test_spark_modules_import_without_pyspark():
    # pyspark blocked: every polyslot module (the Spark engine's too) still imports, so pyspark
    # is only needed when the Spark engine actually runs
    code = (
        "import sys; sys.modules['pyspark'] = None; "
        "import polyslot, polyslot.cli, polyslot.runners.spark, polyslot.runners.spark.plan, "
        "polyslot.runners.spark.quarantine, polyslot.runners.spark.store, "
        "polyslot.runners.spark.sources, polyslot.runners.spark.validate; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
    code = "import sys, polyslot; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_spark_sources_table_name_parquet_and_folder(spark, tmp_path):
    _att(7).to_parquet(tmp_path / "attendances.parquet")  # pandas: nanosecond timestamps
    spark.createDataFrame(_att(5)).createOrReplaceTempView("polyslot_test_att")
    cfg = RunConfig()
    by_table = resolve_spark_sources(spark, "polyslot_test_att", cfg, tmp_path)
    assert by_table["attendances"].frame.count() == 5
    by_file = resolve_spark_sources(
        spark, f"parquet:{tmp_path / 'attendances.parquet'}", cfg, tmp_path
    )
    frame = by_file["attendances"].frame
    assert dict(frame.dtypes)["appointment_ts"] == "timestamp_ntz"
    first = frame.orderBy("attendance_id").first()
    assert first["appointment_ts"] == pd.Timestamp("2025-01-06 08:00").to_pydatetime()
    by_folder = resolve_spark_sources(spark, str(tmp_path), cfg, tmp_path)
    assert list(by_folder) == ["attendances"]
    offsets, n = row_offsets(by_folder["attendances"].frame)
    assert n == 7 and sorted(v[0] for v in offsets.values())[0] == 0


def test_spark_sources_missing_column_is_a_schema_error(spark, tmp_path):
    _att(3).drop(columns="visit_type").to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(SchemaError) as err:
        resolve_spark_sources(spark, f"csv:{tmp_path / 'a.csv'}", RunConfig(), tmp_path)
    assert err.value.field == "visit_type"
    assert "missing required column of table 'attendances'" in str(err.value)


def test_spark_sources_unknown_source_is_a_data_error(spark, tmp_path):
    with pytest.raises(DataError, match="neither a Spark table"):
        resolve_spark_sources(spark, "no_such_table_xyz", RunConfig(), tmp_path)
    with pytest.raises(DataError, match="file not found"):
        resolve_spark_sources(spark, str(tmp_path / "nope" / "x.parquet"), RunConfig(), tmp_path)
    with pytest.raises(DataError, match="unknown table"):
        resolve_spark_sources(spark, {"visits": "t"}, RunConfig(), tmp_path)


def test_cli_run_engine_spark_bad_source_is_one_line_exit_2(spark, tmp_path):
    from typer.testing import CliRunner

    from polyslot.cli import app

    _att(3).drop(columns="visit_type").to_csv(tmp_path / "a.csv", index=False)
    res = CliRunner().invoke(
        app,
        [
            "run",
            "--engine",
            "spark",
            "--data",
            f"csv:{tmp_path / 'a.csv'}",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2, res.output
    assert "visit_type" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["run", "--engine", "dask", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--engine" in res.output
