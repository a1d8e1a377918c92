"""``polyslot map``: the draft parses, marks every guess, and reads foreign exports unedited."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.data import ingest
from polyslot.data.mapping import parse_mapping
from polyslot.data.mapping.draft_toml import draft_source

sys.path.insert(0, str(Path(__file__).parent))
from foreign_exports import KINDS, build  # noqa: E402


@pytest.mark.parametrize("kind", KINDS)
def test_draft_then_ingest_without_edits(tmp_path, kind):
    exp = build(tmp_path, kind, weeks=2)
    res = draft_source(exp.source, out=tmp_path / "draft.toml")
    m = parse_mapping(tomllib.loads(res.text)).get("attendances")
    assert m is not None
    s = ingest(exp.source, tmp_path / "out", mapping=tmp_path / "draft.toml")
    rec = s.tables["attendances"].reconciliation.set_index("polyclinic_id")
    assert rec[["read", "accepted", "quarantined", "excluded"]].to_dict("index") == exp.expected
    if kind != "fhir":
        cols = {r.target: r.pair or r.source for r in m.columns}
        assert cols["appointment_ts"] == ("Appointment Date", "Appointment Time")
        assert cols["arrival_ts"] == ("Appointment Date", "Arrival Time")
        assert cols["attendance_id"] == "Appointment ID" and cols["status"] == "Outcome"
        assert m.id_scope == "polyclinic"
        assert m.timestamp_formats[0] == "%d/%m/%Y %H:%M"
        groups = dict(next(v for v in m.values if v.column == "status").groups)
        assert groups == {
            "attended": ("attended",),
            "no_show": ("did not attend",),
            "cancelled": ("cancelled",),
            "exclude": ("scheduled", "unknown"),
        }
    # every mapping line is marked for review
    lines = [ln for ln in res.text.splitlines() if ln and not ln.startswith(("#", "["))]
    assert lines and all("# REVIEW:" in ln for ln in lines)


def test_draft_lists_samples_unplaced_and_missing(tmp_path):
    src = tmp_path / "odd.csv"
    pd.DataFrame(
        {
            "Ref": ["7", "8", "9"],
            "When": ["2025-03-03 09:00", "2025-03-03 09:15", "2025-03-04 10:00"],
            "Result": ["seen", "missed", "gone home"],
            "Colour": ["red", "blue", "red"],
        }
    ).to_csv(src, sep="|", index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["map", str(src), "--out", str(tmp_path / "m.toml")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "m.toml").read_text()
    parse_mapping(tomllib.loads(text))
    assert "#   'Colour': text, 2 distinct: 'red', 'blue' -> NOT PLACED" in text
    assert 'attendance_id = "Ref"' in text and 'appointment_ts = "When"' in text
    assert 'attended = ["seen"]' in text and 'no_show = ["missed"]' in text
    assert "# 'gone home' (1 rows): not placed" in text
    # no polyclinic column: the whole export is one polyclinic, named after the file
    assert 'polyclinic_id = { value = "odd" }   # REVIEW: no polyclinic column' in text
    assert '# visit_type = "<source column>"   # REVIEW: no source column found' in text
    assert "timestamp_formats" not in text  # ISO 8601 needs none
    res = runner.invoke(app, ["map", str(src)])  # printed when --out is not given
    assert res.exit_code == 0 and "[attendances.columns]" in res.output
    res = runner.invoke(app, ["map", str(src), "--table", "visits"])
    assert res.exit_code == 2 and "--table" in res.output and "Traceback" not in res.output


def test_draft_month_first_and_ambiguous_dates(tmp_path):
    src = tmp_path / "us.csv"
    pd.DataFrame(
        {
            "visit_id": ["1", "2"],
            "clinic": ["A", "A"],
            "appointment": ["03/25/2025 09:00", "04/01/2025 10:00"],
            "status": ["attended", "cancelled"],
        }
    ).to_csv(src, index=False)
    text = draft_source(src).text
    assert 'timestamp_formats = ["%m/%d/%Y %H:%M"' in text
    pd.DataFrame(
        {
            "visit_id": ["1"],
            "clinic": ["A"],
            "appointment": ["03/04/2025 09:00"],
            "status": ["attended"],
        }
    ).to_csv(src, index=False)
    text = draft_source(src).text
    assert "day first (ambiguous: no day above 12 seen; check)" in text


def test_draft_of_a_roster_reads_it(tmp_path):
    from polyslot.data import load_roster

    src = tmp_path / "duty.csv"
    src.write_text(
        "Clinic;Day;From;To;Doctors on duty\nA;2025-03-03;08:00;12:00;2\n"
        "A;2025-03-03;13:00;17:00;1\nB;2025-03-03;8:00;25:00;1\n",
        encoding="utf-8",
    )
    draft_source(src, "roster", tmp_path / "m.toml")
    res = load_roster(src, mapping=tmp_path / "m.toml")
    assert res.valid["doctors"].tolist() == [2, 1]
    assert res.valid["start_time"].tolist() == ["08:00", "13:00"]
    assert res.reconciliation.set_index("polyclinic_id").loc["B"].to_dict() == {
        "read": 1,
        "accepted": 0,
        "quarantined": 1,
        "excluded": 0,
    }


def test_draft_facility_alone_and_beside_an_export(tmp_path):
    master = tmp_path / "clinics.csv"
    master.write_text(
        "Clinic Code,Name,Doctors,Opening Hours\nA,North,3,Mon-Fri 8am-5pm\nB,South,2,Daily 9-5\n",
        encoding="utf-8",
    )
    (tmp_path / "sub").mkdir()
    runner = CliRunner()
    res = runner.invoke(
        app, ["map", str(master), "--table", "facility", "--out", str(tmp_path / "sub" / "f.toml")]
    )
    assert res.exit_code == 0, res.output
    text = (tmp_path / "sub" / "f.toml").read_text()
    assert 'file = "../clinics.csv"' in text
    assert 'polyclinic_id = "Clinic Code"' in text and 'doctors = "Doctors"' in text
    assert 'opening_hours = "Opening Hours"' in text
    fac = parse_mapping(tomllib.loads(text), str(tmp_path / "sub" / "f.toml")).facility
    assert fac is not None and Path(fac.file).resolve() == master.resolve()
    # a roster beside an export (many rows per polyclinic) is not a facility table
    pd.DataFrame({"clinic": ["A", "A"], "date": ["2025-03-03"] * 2, "doctors": [2, 1]}).to_csv(
        tmp_path / "roster.csv", index=False
    )
    export = tmp_path / "visits.csv"
    pd.DataFrame({"visit_id": ["1", "2"], "clinic": ["A", "B"], "status": ["seen", "seen"]}).to_csv(
        export, index=False
    )
    res = draft_source(export, out=tmp_path / "m.toml")
    assert res.facility is not None and res.facility.file == master
    assert 'file = "clinics.csv"' in res.text
    # ids that never meet the export's are not offered
    pd.DataFrame({"visit_id": ["1"], "clinic": ["Z"], "status": ["seen"]}).to_csv(
        export, index=False
    )
    assert draft_source(export).facility is None
    res = runner.invoke(app, ["map", str(export), "--table", "facility"])
    assert res.exit_code == 2 and "does not look like a facility table" in res.output


@pytest.mark.parametrize(
    ("name", "values", "line"),
    [
        ("ServTime", ["834", "600", "1200"], '{ column = "ServTime", unit = "seconds" }'),
        ("duration_secs", ["50", "60", "70"], '{ column = "duration_secs", unit = "seconds" }'),
        ("Duration", ["0.25", "0.5", "0.2"], '{ column = "Duration", unit = "hours" }'),
        ("Duration", ["12", "15", "9"], '"Duration"'),
    ],
)
def test_draft_duration_units(tmp_path, name, values, line):
    src = tmp_path / "d.csv"
    pd.DataFrame({"id": ["1", "2", "3"], name: values}).to_csv(src, index=False)
    assert f"consultation_duration_minutes = {line}" in draft_source(src).text


def test_draft_visit_counter_needs_a_visit_name(tmp_path):
    src = tmp_path / "c.csv"
    frame = pd.DataFrame({"id": [str(i) for i in range(6)], "Visits": [1, 2, 3, 1, 4, 1]})
    frame.assign(Room=[1, 2, 3, 1, 4, 1]).to_csv(src, index=False)
    text = draft_source(src).text
    assert 'visit_type = "Visits"' in text and 'first_visit = ["1"]' in text
    frame.rename(columns={"Visits": "Room"}).to_csv(src, index=False)
    text = draft_source(src).text
    assert '# visit_type = "<source column>"   # REVIEW: no source column found' in text
    assert "first_visit" not in text
