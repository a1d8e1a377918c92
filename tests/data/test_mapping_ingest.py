"""Foreign-shaped exports through a mapping: exact reconciliation and exact stored values."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.data import Store, ingest, load_attendances
from polyslot.errors import MappingError, QuarantineError

sys.path.insert(0, str(Path(__file__).parent))
from foreign_exports import KINDS, MAPPING, build, foreign_frame, history  # noqa: E402

COLS = ["appointment_ts", "booking_ts", "arrival_ts", "consult_start_ts", "consult_end_ts"]


@pytest.mark.parametrize("kind", KINDS)
def test_foreign_export_reconciles_and_keeps_values(tmp_path, kind):
    exp = build(tmp_path, kind, weeks=3)
    s = ingest(exp.source, tmp_path / "out", mapping=exp.mapping)
    t = s.tables["attendances"]
    rec = t.reconciliation.set_index("polyclinic_id")
    got = rec[["read", "accepted", "quarantined", "excluded"]].to_dict("index")
    assert got == exp.expected
    assert t.excluded == sum(v["excluded"] for v in exp.expected.values()) > 0
    quality = json.loads(s.quality_json.read_text())["tables"]["attendances"]
    assert quality["excluded"] == t.excluded
    for pc, counts in exp.expected.items():
        assert quality["polyclinics"][pc] == counts
    stored = Store(tmp_path / "out").table("attendances")
    truth = exp.truth[exp.truth["status"] != "excluded"].reset_index(drop=True)
    # per-clinic ids are stored network-unique, prefixed by the polyclinic
    sep = "-" if kind == "fhir" else ":"
    assert list(stored["attendance_id"]) == list(
        truth["polyclinic_id"] + sep + truth["attendance_id"]
    )
    assert stored["attendance_id"].is_unique
    assert list(stored["status"]) == list(truth["status"])
    for c in COLS:  # clock times combined with the date, to the minute
        pd.testing.assert_series_equal(
            stored[c].reset_index(drop=True), truth[c].astype("datetime64[ns]"), check_names=False
        )
    dur = (truth["consult_end_ts"] - truth["consult_start_ts"]).dt.total_seconds() / 60
    assert stored["consultation_duration_minutes"].fillna(-1).tolist() == dur.fillna(-1).tolist()


def _tiny(tmp_path: Path, rows: list[str], mapping: str) -> tuple[Path, Path]:
    src = tmp_path / "tiny.csv"
    src.write_text(
        "id;clinic;type;booked;day;time;arrived;seen;done;state\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    m = tmp_path / "mapping.toml"
    m.write_text(mapping, encoding="utf-8")
    return src, m


TINY_MAPPING = """
[attendances]
id_scope = "polyclinic"
timestamp_formats = ["%d.%m.%Y %H:%M"]
[attendances.columns]
attendance_id = "id"
polyclinic_id = "clinic"
patient_id = { value = "" }
visit_type = "type"
booking_ts = "booked"
appointment_ts = ["day", "time"]
arrival_ts = ["day", "arrived"]
consult_start_ts = ["day", "seen"]
consult_end_ts = ["day", "done"]
doctor_id = { value = "Dr A" }
status = "state"
[attendances.values.status]
attended = ["Seen", "attended"]
no_show = ["DNA"]
exclude = ["unknown", "scheduled"]
[attendances.values.visit_type]
new_patient = ["New Case"]
"""

TINY_ROWS = [
    "1;A;New Case;01.03.2025 10:00;06.03.2025;09:00;08:55;09:02;09:12; seen ",
    "2;A;Follow-up;01.03.2025 10:00;06.03.2025;09:15;;;;DNA",
    "1;B;new case;02.03.2025 11:00;06.03.2025;09:00;08:50;09:00;09:10;ATTENDED",
    "2;B;Follow-up;02.03.2025 11:00;06.03.2025;09:20;;;;Unknown",
    "3;B;Follow-up;02.03.2025 11:00;06.03.2025;09:40;;;;scheduled",
    "1;B;Follow-up;02.03.2025 11:00;07.03.2025;09:00;;;;DNA",
    "4;B;Follow-up;02.03.2025 11:00;31.02.2025;10:00;;;;DNA",
]


def test_tiny_export_exact_counts_ids_and_recoding(tmp_path):
    src, m = _tiny(tmp_path, TINY_ROWS, TINY_MAPPING)
    res = load_attendances(src, mapping=m)
    rec = res.reconciliation.set_index("polyclinic_id")
    assert rec.loc["A"].to_dict() == {"read": 2, "accepted": 2, "quarantined": 0, "excluded": 0}
    assert rec.loc["B"].to_dict() == {"read": 5, "accepted": 1, "quarantined": 2, "excluded": 2}
    v = res.valid
    assert list(v["attendance_id"]) == ["A:1", "A:2", "B:1"]
    assert list(v["source_row"]) == [1, 2, 3]  # source rows counted with the excluded ones
    assert list(v["visit_type"]) == ["new_patient", "Follow-up", "new_patient"]
    assert list(v["status"]) == ["attended", "no_show", "attended"]
    assert list(v["doctor_id"]) == ["Dr A"] * 3 and v["patient_id"].isna().all()
    assert v["appointment_ts"].iloc[0] == pd.Timestamp("2025-03-06 09:00")
    assert v["booking_ts"].iloc[2] == pd.Timestamp("2025-03-02 11:00")
    assert v["consultation_duration_minutes"].iloc[0] == 10.0
    q = res.quarantine.set_index("source_row")
    assert q.loc[6, "reason"] == "duplicate_attendance_id"  # B:1 again, within clinic B
    assert q.loc[7, "reason"] == "unparseable_timestamp"
    assert "appointment_ts='31.02.2025 10:00'" in q.loc[7, "detail"]


def test_every_unparseable_column_is_in_the_detail(tmp_path):
    rows = ["1;A;x;01.03.2025 10:00;06.03.2025;9h00;8h55;09:02;09:12;seen"]
    src, m = _tiny(tmp_path, rows, TINY_MAPPING)
    q = load_attendances(src, mapping=m).quarantine
    assert (
        q["detail"]
        .iloc[0]
        .startswith(
            "unparseable_timestamp: appointment_ts='06.03.2025 9h00', arrival_ts='06.03.2025 8h55'"
        )
    )


def test_mapping_errors_name_file_key_and_columns(tmp_path):
    src, m = _tiny(tmp_path, TINY_ROWS, TINY_MAPPING.replace('"clinic"', '"site"'))
    with pytest.raises(MappingError) as e:
        load_attendances(src, mapping=m)
    msg = str(e.value)
    assert str(m) in msg and "attendances.columns.polyclinic_id" in msg
    assert "'site' not found" in msg and "columns available: id, clinic, type" in msg
    for bad, key in [
        ('[attendances.columns]\nclinic_name = "clinic"\n', "attendances.columns.clinic_name"),
        ('[attendances]\nid_scpoe = "polyclinic"\n', "attendances.id_scpoe"),
        ("[visits]\n", "visits"),
        ('[attendances.values.status]\nseen = ["x"]\n', "attendances.values.status.seen"),
        ('[attendances]\nid_scope = "clinic"\n', "attendances.id_scope"),
        ('[attendances]\ntimestamp_formats = ["dd/mm"]\n', "attendances.timestamp_formats"),
    ]:
        m.write_text(bad, encoding="utf-8")
        with pytest.raises(MappingError, match=key.replace(".", r"\.")):
            load_attendances(src, mapping=m)
    runner = CliRunner()
    res = runner.invoke(
        app, ["ingest", str(src), "--out", str(tmp_path / "o"), "--mapping", str(m)]
    )
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.strip().count("\n") == 0 and "mapping.toml" in res.output


def test_guard_clock_time_without_date(tmp_path):
    exp = build(tmp_path, "csv", weeks=2)
    m = tmp_path / "clock.toml"
    m.write_text(
        MAPPING.replace('["Appointment Date", "Appointment Time"]', '"Appointment Time"'),
        encoding="utf-8",
    )
    with pytest.raises(QuarantineError) as e:
        ingest(exp.source, tmp_path / "out", mapping=m)
    used = sum(v["accepted"] for v in exp.expected.values())
    assert str(e.value).startswith(
        f"{exp.source}: attendances: appointment_ts: {used:,} of {used:,} rows hold a clock time "
        "without a date"
    )
    assert "map it as [date column, time column]" in str(e.value)
    # the outputs are written for inspection
    assert (tmp_path / "out" / "quarantine.csv").exists()
    runner = CliRunner()
    res = runner.invoke(
        app, ["ingest", str(exp.source), "--out", str(tmp_path / "o2"), "--mapping", str(m)]
    )
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "clock time without a date" in res.output


def test_guard_per_clinic_ids_suggests_id_scope(tmp_path):
    exp = build(tmp_path, "csv", weeks=2)
    m = tmp_path / "network.toml"
    m.write_text(MAPPING.replace('id_scope = "polyclinic"\n', ""), encoding="utf-8")
    with pytest.raises(
        QuarantineError, match='set id_scope = "polyclinic" under \\[attendances\\]'
    ):
        ingest(exp.source, tmp_path / "out", mapping=m)
    # below the guard, or with the guard off, the same input is ingested
    s = ingest(exp.source, tmp_path / "out2", mapping=m, max_quarantine_share=None)
    t = s.tables["attendances"]
    assert t.read == t.accepted + t.quarantined + t.excluded
    assert t.reasons == {"duplicate_attendance_id": t.quarantined}


def test_guard_unknown_status_and_day_first_hint(tmp_path):
    exp = build(tmp_path, "csv", weeks=1)
    m = tmp_path / "m.toml"
    no_values = MAPPING[: MAPPING.index("[attendances.values.status]")]
    m.write_text(no_values, encoding="utf-8")
    with pytest.raises(QuarantineError, match="status: .* hold a status other than") as e:
        ingest(exp.source, tmp_path / "out", mapping=m)
    assert "recode it under [attendances.values.status]" in str(e.value)
    m.write_text(
        MAPPING.replace('timestamp_formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]\n', ""),
        encoding="utf-8",
    )
    with pytest.raises(QuarantineError, match=r'timestamp_formats = \["%d/%m/%Y %H:%M"\]'):
        ingest(exp.source, tmp_path / "out3", mapping=m)


def test_foreign_frame_shape():
    h = history(weeks=1)
    f = foreign_frame(h)
    assert f["Appointment ID"].iloc[0] == "1" and (f["Appointment ID"] == "1").sum() == 3
    assert set(h["status"]) == {"attended", "no_show", "cancelled", "excluded"}


def test_parquet_and_duckdb_typed_columns_through_a_mapping(tmp_path):
    import duckdb

    h = history(weeks=1)
    f = foreign_frame(h)
    typed = f.assign(
        **{
            "Appointment Date": h["appointment_ts"].dt.normalize(),  # a timestamp at midnight
            "Appointment Time": h["appointment_ts"].dt.time,  # datetime.time objects
            "Booked On": h["booking_ts"],
        }
    )
    pq_path = tmp_path / "export.parquet"
    typed.to_parquet(pq_path, index=False)
    db = tmp_path / "export.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE visits AS SELECT * FROM read_parquet(?)", [str(pq_path)])
    m = tmp_path / "mapping.toml"
    m.write_text(MAPPING, encoding="utf-8")
    expected = {
        str(pc): {
            "read": len(g),
            "accepted": int((g["status"] != "excluded").sum()),
            "quarantined": 0,
            "excluded": int((g["status"] == "excluded").sum()),
        }
        for pc, g in h.groupby("polyclinic_id")
    }
    truth = h[h["status"] != "excluded"].reset_index(drop=True)
    for res in (
        load_attendances(pq_path, mapping=m),
        load_attendances(db, table="visits", mapping=m),
    ):
        rec = res.reconciliation.set_index("polyclinic_id")
        assert rec[["read", "accepted", "quarantined", "excluded"]].to_dict("index") == expected
        for c in ("appointment_ts", "booking_ts", "arrival_ts", "consult_end_ts"):
            assert list(res.valid[c]) == list(truth[c].astype("datetime64[ns]"))


def test_run_prints_the_ingest_reconciliation_lines(tmp_path, capsys):
    from polyslot.cli.ingest import print_quality_lines

    exp = build(tmp_path, "csv", weeks=1)
    s = ingest(exp.source, tmp_path / "out", mapping=exp.mapping)
    t = s.tables["attendances"]
    print_quality_lines(s.quality_json)
    out = capsys.readouterr().out
    assert (
        f"ingest attendances: read {t.read:,} = accepted {t.accepted:,} + quarantined 0 + "
        f"excluded {t.excluded:,}" in out
    )
