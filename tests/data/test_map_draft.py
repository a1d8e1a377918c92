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
