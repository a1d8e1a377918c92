"""Readers of every format, typed errors, ``ingest`` outputs, the store and the CLI."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.data import Store, ingest, load_attendances, load_roster, load_slot_template
from polyslot.errors import DataError, SchemaError


def good_row(i: int = 1, **over: object) -> dict:
    row = {
        "attendance_id": f"A{i}",
        "polyclinic_id": f"P{i % 2 + 1}",
        "patient_id": f"secretpatient{i}",
        "visit_type": "acute",
        "booking_ts": "2025-01-01 08:00",
        "appointment_ts": "2025-01-06 09:00",
        "arrival_ts": "2025-01-06 08:50",
        "consult_start_ts": "2025-01-06 09:02",
        "consult_end_ts": "2025-01-06 09:14",
        "consultation_duration_minutes": "12",
        "doctor_id": "D1",
        "status": "attended",
        "age_group": "40-64",
    }
    row.update(over)
    return row


def frame(n: int = 6) -> pd.DataFrame:
    rows = [good_row(i) for i in range(1, n + 1)]
    rows[2] = good_row(3, status="unknown")  # one bad row (P2)
    rows[4] = good_row(1)  # duplicate of row 1 (P2)
    return pd.DataFrame(rows)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in ("booking_ts", "appointment_ts", "arrival_ts", "consult_start_ts", "consult_end_ts"):
        out[c] = pd.to_datetime(out[c])
    out["consultation_duration_minutes"] = out["consultation_duration_minutes"].astype(float)
    return out


ROSTER = pd.DataFrame(
    {
        "polyclinic_id": ["P1", "P2"],
        "date": ["2025-01-06", "2025-01-06"],
        "start_time": ["08:00", "13:00"],
        "end_time": ["12:00", "17:00"],
        "doctors": [3, 4],
    }
)


def expected(res) -> None:
    assert list(res.valid["source_row"]) == [1, 2, 4, 6]
    assert list(res.quarantine["reason"]) == ["unknown_status", "duplicate_attendance_id"]
    rec = res.reconciliation.set_index("polyclinic_id")
    assert rec.loc["P1", ["read", "accepted", "quarantined"]].tolist() == [3, 3, 0]
    assert rec.loc["P2", ["read", "accepted", "quarantined"]].tolist() == [3, 1, 2]
    v = res.valid
    assert str(v["booking_ts"].dtype) == "datetime64[ns]"
    assert v["consultation_duration_minutes"].dtype == "float64"
    assert v["age_group"].tolist() == ["40-64"] * 4  # extra column kept


def test_csv(tmp_path):
    p = tmp_path / "att.csv"
    frame().to_csv(p, index=False)
    expected(load_attendances(p))


def test_parquet_file_and_folder(tmp_path):
    df = typed(frame())
    df.to_parquet(tmp_path / "att.parquet", index=False)
    expected(load_attendances(tmp_path / "att.parquet"))
    folder = tmp_path / "parts"
    folder.mkdir()
    t = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(t.slice(0, 3), folder / "part-0.parquet")
    pq.write_table(t.slice(3), folder / "part-1.parquet")
    expected(load_attendances(folder))


def test_duckdb_table_and_dataframe(tmp_path):
    db = tmp_path / "src.duckdb"
    df = typed(frame())
    con = duckdb.connect(str(db))
    con.register("df", df)
    con.execute("CREATE TABLE visits AS SELECT * FROM df")
    con.close()
    expected(load_attendances(db, table="visits"))
    expected(load_attendances(frame()))


def test_data_folder_picks_standard_file(tmp_path):
    ROSTER.to_csv(tmp_path / "roster.csv", index=False)
    res = load_roster(tmp_path)
    assert res.valid["doctors"].tolist() == [3, 4]
    assert res.valid["start_time"].tolist() == ["08:00", "13:00"]


def test_missing_file_and_column_errors(tmp_path):
    with pytest.raises(DataError, match="nope.csv: file not found"):
        load_attendances(tmp_path / "nope.csv")
    p = tmp_path / "att.csv"
    frame().drop(columns="status").to_csv(p, index=False)
    with pytest.raises(SchemaError) as exc:
        load_attendances(p)
    msg = str(exc.value)
    assert "att.csv" in msg and "'status'" in msg and "expected columns" in msg
    assert "\n" not in msg
    st = tmp_path / "slot_template.csv"
    pd.DataFrame(
        {
            "polyclinic_id": ["P1"],
            "weekday": [0],
            "start_time": ["08:00"],
            "duration_minutes": [10],
            "visit_type": ["a"],
        }
    ).to_csv(st, index=False)
    with pytest.raises(SchemaError, match="doctor_session or count"):
        load_slot_template(st)
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(DataError, match="broken.parquet"):
        load_attendances(bad)
    with pytest.raises(DataError, match="unsupported file type"):
        load_attendances(_touch(tmp_path / "x.json"))
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(DataError, match="no table 'attendances'"):
        load_attendances(db)


def _touch(p):
    p.write_text("{}")
    return p


def test_ingest_outputs(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    typed(frame()).to_parquet(src / "attendances.parquet", index=False)
    ROSTER.to_csv(src / "roster.csv", index=False)
    out = tmp_path / "out"
    s = ingest(src, out, batch_rows=1000, max_quarantine_share=None)
    assert set(s.tables) == {"attendances", "roster"}
    store = Store(out)
    assert set(store.tables()) == {
        "attendances",
        "roster",
        "quarantine",
        "reconciliation",
        "table_fields",
    }
    assert store.has("attendances") and not store.has("demand_forecast")
    att = store.table("attendances")
    assert att["source_row"].tolist() == [1, 2, 4, 6]
    with store.connect() as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'attendances'"
            ).fetchall()
        )
        with pytest.raises(duckdb.Error):  # read-only by default
            con.execute("CREATE TABLE x (a INT)")
    assert types["booking_ts"] == "TIMESTAMP"
    assert types["consultation_duration_minutes"] == "DOUBLE"
    assert types["status"] == "VARCHAR"
    r_types = dict(
        duckdb.connect(str(s.store_path), read_only=True)
        .execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'roster'"
        )
        .fetchall()
    )
    assert r_types["date"] == "DATE" and r_types["doctors"] == "INTEGER"
    q = pd.read_csv(s.quarantine_csv)
    assert q["reason"].tolist() == ["unknown_status", "duplicate_attendance_id"]
    assert q["source_row"].tolist() == [3, 5]
    # no patient identifier in any output file but the store's attendances table
    assert "secretpatient" not in s.quarantine_csv.read_text()
    assert "secretpatient" not in s.quality_json.read_text()
    assert "secretpatient" not in store.table("quarantine").to_csv()
    dq = json.loads(s.quality_json.read_text())
    a = dq["tables"]["attendances"]
    assert (a["read"], a["accepted"], a["quarantined"]) == (6, 4, 2)
    assert a["reasons"] == {"unknown_status": 1, "duplicate_attendance_id": 1}
    assert a["polyclinics"]["P2"] == {"read": 3, "accepted": 1, "quarantined": 2, "excluded": 0}
    # every contract column of a polyslot-shaped table comes from its own source column
    assert a["unknown_fields"] == [] and set(a["fields"].values()) == {"source"}
    fields = store.table("table_fields")
    assert len(fields) == 12 + 5 and set(fields["table_name"]) == {"attendances", "roster"}
    rec = store.table("reconciliation")
    assert (rec["read"] == rec["accepted"] + rec["quarantined"]).all()
    # the store can be ingested again (as a DuckDB source) with the same result
    s2 = ingest(out / "polyslot.duckdb", tmp_path / "out2", max_quarantine_share=None)
    assert s2.tables["attendances"].accepted == 4
    assert (
        Store(tmp_path / "out2").table("attendances")["attendance_id"].tolist()
        == att["attendance_id"].tolist()
    )


def test_ingest_single_file_with_options(tmp_path):
    p = tmp_path / "visits.csv"
    frame().to_csv(p, index=False)
    r = tmp_path / "r.csv"
    ROSTER.to_csv(r, index=False)
    s = ingest(p, tmp_path / "out", roster=r, max_quarantine_share=None)
    assert set(s.tables) == {"attendances", "roster"}
    assert s.tables["roster"].accepted == 2


def test_cli_ingest(tmp_path):
    p = tmp_path / "visits.csv"
    frame().to_csv(p, index=False)
    runner = CliRunner()
    res = runner.invoke(
        app, ["ingest", str(p), "--out", str(tmp_path / "out"), "--max-quarantine-share", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "reconciliation" in res.output and "unknown_status 1" in res.output
    assert (tmp_path / "out" / "polyslot.duckdb").exists()
    res = runner.invoke(app, ["ingest", str(tmp_path / "missing.csv"), "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "missing.csv" in res.output and "Traceback" not in res.output
    frame().drop(columns="booking_ts").to_csv(p, index=False)
    res = runner.invoke(app, ["ingest", str(p), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2
    assert "booking_ts" in res.output and "visits.csv" in res.output


def test_clashing_and_empty_sources(tmp_path):
    df = frame()
    df["reason"] = "referral"  # a source column named like a quarantine column
    res = load_attendances(df)
    assert res.quarantine["orig_reason"].tolist() == ["referral", "referral"]
    assert res.valid["reason"].tolist() == ["referral"] * 4
    p = tmp_path / "empty.csv"
    frame().iloc[:0].to_csv(p, index=False)
    res = load_attendances(p)
    assert res.valid.empty and res.quarantine.empty and res.reconciliation.empty
    s = ingest(p, tmp_path / "out", max_quarantine_share=None)
    assert s.tables["attendances"].read == 0
    assert Store(tmp_path / "out").table("attendances").empty
