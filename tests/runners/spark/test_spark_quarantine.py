"""A malformed row in a Spark source lands in the quarantine exactly as it does locally."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from polyslot.config import RunConfig
from polyslot.data import ingest
from polyslot.runners.spark import ingest_spark

ROWS = 400


def _clean_rows() -> pd.DataFrame:
    t0 = pd.Timestamp("2025-03-03 08:00")
    rows = []
    for i in range(ROWS):
        appt = t0 + pd.Timedelta(days=i // 40, minutes=15 * (i % 40))
        rows.append(
            {
                "attendance_id": f"A{i:05d}",
                "polyclinic_id": "PC01" if i % 3 else "PC02",
                "patient_id": f"P{i % 97:04d}",
                "visit_type": "acute" if i % 2 else "chronic_followup",
                "booking_ts": str(appt - pd.Timedelta(days=3)),
                "appointment_ts": str(appt),
                "arrival_ts": str(appt - pd.Timedelta(minutes=5)),
                "consult_start_ts": str(appt + pd.Timedelta(minutes=2)),
                "consult_end_ts": str(appt + pd.Timedelta(minutes=14)),
                "consultation_duration_minutes": "12",
                "doctor_id": "D1",
                "status": "attended",
            }
        )
    return pd.DataFrame(rows)


def _broken(path: Path) -> Path:
    df = _clean_rows()
    df.loc[5, "appointment_ts"] = "2025-13-45 25:61"  # unparseable_timestamp
    df.loc[17, "status"] = "vanished"  # unknown_status
    df.loc[33, "consultation_duration_minutes"] = "-4"  # negative_duration
    df.loc[50, "polyclinic_id"] = ""  # missing_required_field, polyclinic missing
    df.loc[71, "consultation_duration_minutes"] = "twelve"  # unparseable_number
    df.loc[230, "consultation_duration_minutes"] = "500"  # several rules at once
    df.loc[301, "attendance_id"] = "A00007"  # duplicate of an earlier row (other partition)
    df.loc[390, "attendance_id"] = "A00300"  # duplicate of a row in the same region
    df.to_csv(path, index=False)
    return path


def _quarantine(store: Path) -> pd.DataFrame:
    with duckdb.connect(str(store / "polyslot.duckdb"), read_only=True) as con:
        q = con.execute("SELECT * FROM quarantine ORDER BY table_name, source_row").df()
    q["record"] = q["record"].map(json.loads)
    return q


@pytest.fixture(scope="module")
def both(spark, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("spq")
    csv = _broken(tmp / "attendances.csv")
    local = ingest(csv, tmp / "local", max_quarantine_share=None)
    key = "spark.sql.files.maxPartitionBytes"
    old = spark.conf.get(key)
    spark.conf.set(key, "20000")  # several partitions: duplicates cross partition borders
    try:
        n_parts = spark.read.option("header", "true").csv(str(csv)).rdd.getNumPartitions()
        remote = ingest_spark({"attendances": f"csv:{csv}"}, RunConfig(), tmp / "spark", spark)
    finally:
        spark.conf.set(key, old)
    return local, remote, n_parts, tmp


def test_spark_csv_is_read_in_several_partitions(both):
    assert both[2] >= 3


def test_spark_quarantine_equals_local(both):
    local, remote, _, _ = both
    ql = _quarantine(local.out_dir)
    qs = _quarantine(remote.out_dir)
    pd.testing.assert_frame_equal(ql, qs)
    assert ql["source_row"].tolist() == [6, 18, 34, 51, 72, 231, 302, 391]
    assert ql["reason"].tolist() == [
        "unparseable_timestamp",
        "unknown_status",
        "negative_duration",
        "missing_required_field",
        "unparseable_number",
        "implausible_duration",
        "duplicate_attendance_id",
        "duplicate_attendance_id",
    ]
    assert all("patient_id" not in r for r in qs["record"])
    assert qs.loc[6, "detail"] == (
        "duplicate_attendance_id: attendance_id=A00007 first seen in an earlier row"
    )


def test_spark_reconciliation_and_accepted_rows_equal_local(both):
    local, remote, _, _ = both
    t_l, t_s = local.tables["attendances"], remote.tables["attendances"]
    assert (t_s.read, t_s.accepted, t_s.quarantined) == (ROWS, ROWS - 8, 8)
    assert t_s.reasons == t_l.reasons
    pd.testing.assert_frame_equal(t_l.reconciliation, t_s.reconciliation)
    rec = t_s.reconciliation.set_index("polyclinic_id")
    assert rec.loc["(missing)", "quarantined"] == 1
    assert (rec["read"] == rec["accepted"] + rec["quarantined"]).all()
    sql = "SELECT * FROM attendances ORDER BY source_row"
    with duckdb.connect(str(local.store_path), read_only=True) as con:
        a_l = con.execute(sql).df()
    with duckdb.connect(str(remote.store_path), read_only=True) as con:
        a_s = con.execute(sql).df()
    pd.testing.assert_frame_equal(a_l, a_s[list(a_l.columns)])


def test_spark_writes_parquet_tables(both):
    _, remote, _, tmp = both
    q = pd.read_parquet(tmp / "spark" / "spark" / "quarantine")
    assert len(q) == 8 and set(q["table_name"]) == {"attendances"}
    acc = pd.read_parquet(tmp / "spark" / "spark" / "tables" / "attendances")
    assert len(acc) == ROWS - 8 and acc["source_row"].is_unique
    rec = pd.read_parquet(tmp / "spark" / "spark" / "reconciliation")
    assert int(rec["read"].sum()) == ROWS
    assert json.loads((remote.quality_json).read_text())["tables"]["attendances"]["read"] == ROWS
