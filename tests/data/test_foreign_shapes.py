"""Issue 22: three foreign shapes of the sample's history read with the mapping keys, truth known.

For each shape (``tests/foreign_shapes.py``): the hand-written mapping and the reviewed draft of
``polyslot map`` read it with no traceback; nothing is lost (read = accepted + quarantined +
excluded); walk-ins are read as walk-ins; the stored values are the generator's; doctors per
session (weekday x AM/PM) are within 0.5 of the generator's roster. The figures are recorded in
docs/data.md ("Three foreign shapes").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.data import Store, ingest
from polyslot.data.mapping.draft_toml import draft_source

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import foreign_shapes as fs  # noqa: E402

UNKNOWN = {
    "national": ["doctor_id"],
    "consultation_log": ["booking_ts", "appointment_ts", "arrival_ts", "doctor_id"],
    "no_booking": ["booking_ts"],
}
#: The review of each draft: the edits a user makes (none for two shapes).
REVIEW = {
    "national": [],
    "consultation_log": [('{ value = "consultation_log" }', '{ value = "PC03" }')],
    "no_booking": [],
}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """``ingested(name)``: the shape written and ingested with its hand-written mapping (once
    per module)."""
    done: dict[str, tuple] = {}

    def get(name: str) -> tuple:
        if name not in done:
            folder = tmp_path_factory.mktemp(name)
            sh = fs.build(folder, name)
            summary = ingest(sh.source, folder / "store", mapping=sh.mapping)
            done[name] = (sh, summary, folder / "store")
        return done[name]

    return get


@pytest.fixture(params=fs.SHAPES)
def shape(request, ingested):
    """Each shape, ingested with its hand-written mapping."""
    return ingested(request.param)


def _stored(store: Path) -> pd.DataFrame:
    return Store(store).table("attendances").sort_values("source_row").reset_index(drop=True)


def test_nothing_lost_and_unknown_fields_recorded(shape):
    sh, summary, store = shape
    t = summary.tables["attendances"]
    assert t.read == sh.rows == t.accepted + t.quarantined + t.excluded
    assert (t.quarantined, t.excluded) == (0, 0)
    assert t.unknown_fields == UNKNOWN[sh.name]
    dq = json.loads(summary.quality_json.read_text())["tables"]["attendances"]
    assert dq["unknown_fields"] == UNKNOWN[sh.name]
    fields = Store(store).table("table_fields")
    att = fields[fields["table_name"] == "attendances"].set_index("field")["provenance"]
    assert sorted(att[att == "unknown"].index) == sorted(UNKNOWN[sh.name])
    if sh.name == "consultation_log":
        assert att["consult_end_ts"] == "derived" and att["attendance_id"] == "row_number"
        assert att["consultation_duration_minutes"] == "source"
        assert att["status"] == "constant" and att["polyclinic_id"] == "constant"
    if sh.name == "national":
        assert att["consultation_duration_minutes"] == "derived"
        assert att["appointment_ts"] == "pair"


def test_walk_ins_read_as_walk_ins(shape):
    sh, _, store = shape
    stored = _stored(store)
    walk = stored[stored["status"] == "walk_in"]
    read = {str(k): int(v) for k, v in walk.groupby("polyclinic_id").size().items()}
    if sh.name == "consultation_log":  # the log has no walk-in flag: every row is a consultation
        assert read == {} and set(stored["status"]) == {"attended"}
        return
    assert read == sh.walk_ins and sum(read.values()) > 5000
    assert walk["appointment_ts"].isna().all()  # the registration time was not an appointment
    truth = sh.truth["status"].value_counts().sort_index()
    assert stored["status"].value_counts().sort_index().to_dict() == truth.to_dict()


def test_stored_values_are_the_generators(shape):
    sh, _, store = shape
    stored, truth = _stored(store), sh.truth.reset_index(drop=True)
    assert len(stored) == len(truth)
    for col in ("consult_start_ts", "consult_end_ts"):
        pd.testing.assert_series_equal(
            stored[col], truth[col].astype("datetime64[ns]"), check_names=False
        )
    np.testing.assert_allclose(
        stored["consultation_duration_minutes"].fillna(-1),
        truth["consultation_duration_minutes"].fillna(-1),
        rtol=0,
        atol=1e-9,
    )
    if sh.name == "consultation_log":
        assert stored["attendance_id"].tolist() == [str(i) for i in range(1, len(truth) + 1)]
        first = (truth["visit_type"] == "new_patient").to_numpy()
        assert (stored["visit_type"] == "first_visit").to_numpy().tolist() == first.tolist()
        assert set(stored["visit_type"]) == {"first_visit", "revisit"}
        assert stored[["booking_ts", "appointment_ts", "arrival_ts"]].isna().all().all()
        return
    for col in ("appointment_ts", "arrival_ts"):
        pd.testing.assert_series_equal(
            stored[col], truth[col].astype("datetime64[ns]"), check_names=False
        )
    if sh.name == "national":
        assert stored["attendance_id"].tolist() == [str(500001 + i) for i in range(len(truth))]
        pd.testing.assert_series_equal(
            stored["booking_ts"], truth["booking_ts"].astype("datetime64[ns]"), check_names=False
        )
        assert set(stored["visit_type"]) == {"acute", "chronic", "follow-up", "preventive"}
        assert stored["doctor_id"].isna().all()
    else:
        assert stored["booking_ts"].isna().all()
        assert stored["doctor_id"].tolist() == truth["doctor_id"].tolist()


def test_doctors_per_session_within_half_a_doctor(shape):
    sh, summary, store = shape
    err = fs.session_errors(sh, store)
    assert len(err) >= 11  # every weekday x session of the truth has a match
    # measured (4 polyclinics x 182 days, seed 22): national 0.29 / 0.04 (max / mean),
    # consultation log 0 / 0, no booking time 0.08 / 0.00 (doctor ids)
    assert err["error"].abs().max() < 0.5
    assert err["error"].abs().mean() < 0.1
    roster = summary.inferred["roster"]
    methods = set(roster["polyclinics"].values())
    expected = {
        "national": {"concurrent_consultations_and_facility"},
        "consultation_log": {"concurrent_consultations"},
        "no_booking": {"doctor_id"},
    }
    assert methods == expected[sh.name]
    assert set(roster["methods"]) == methods


def test_national_facility_limits_the_periods(ingested):
    sh, summary, store = ingested("national")
    fac = summary.inferred["roster"]["facility"]
    assert fac["polyclinics"] == sorted(sh.ids.values()) and fac["not_in_facility"] == []
    assert fac["outside_opening_hours"] == []
    stored = Store(store)
    hours = stored.table("facility_hours")
    assert set(hours["polyclinic_id"]) == set(sh.ids.values())
    roster = stored.table("roster")
    # 1002 opens 08:30-12:00 and 13:00-17:00 (the facility's break splits its day)
    r = roster[roster["polyclinic_id"] == sh.ids["PC02"]]
    assert set(r["start_time"]) == {"08:30", "13:00"} and r["end_time"].max() <= "17:00"
    # every polyclinic's periods lie within its opening hours
    spans = hours.groupby("polyclinic_id").agg(
        first=("start_time", "min"), last=("end_time", "max")
    )
    joined = roster.join(spans, on="polyclinic_id")
    assert (joined["start_time"] >= joined["first"]).all()
    assert (joined["end_time"] <= joined["last"]).all()


@pytest.mark.parametrize("name", fs.SHAPES)
def test_reviewed_draft_reads_like_the_hand_mapping(tmp_path, name):
    sh = fs.build(tmp_path, name)
    res = draft_source(sh.source, out=tmp_path / "draft.toml")
    text = res.text
    for old, new in REVIEW[name]:
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "draft.toml").write_text(text, encoding="utf-8")
    summary = ingest(sh.source, tmp_path / "store", mapping=tmp_path / "draft.toml")
    t = summary.tables["attendances"]
    assert (t.read, t.accepted, t.quarantined, t.excluded) == (sh.rows, sh.rows, 0, 0)
    assert t.unknown_fields == UNKNOWN[name]
    stored = _stored(tmp_path / "store")
    walk = stored[stored["status"] == "walk_in"].groupby("polyclinic_id").size()
    assert {str(k): int(v) for k, v in walk.items()} == (
        {} if name == "consultation_log" else sh.walk_ins
    )
    assert fs.session_errors(sh, tmp_path / "store")["error"].abs().max() < 0.5


def test_national_without_when_rule_reads_walk_ins_as_booked(tmp_path):
    """The issue's failure, kept as a regression: without the when rule every walk-in is an
    attended booking at its registration time (so the rule is what reads them right)."""
    sh = fs.build(tmp_path, "national")
    text = sh.mapping.read_text().split("[[attendances.when]]")[0]
    text += sh.mapping.read_text().split('set = { status = "walk_in" }\n')[1]
    (tmp_path / "no_when.toml").write_text(text, encoding="utf-8")
    ingest(sh.source, tmp_path / "store", mapping=tmp_path / "no_when.toml")
    stored = _stored(tmp_path / "store")
    assert (stored["status"] == "walk_in").sum() == 0
    truth = sh.truth["status"].value_counts()
    assert (stored["status"] == "attended").sum() == truth["attended"] + truth["walk_in"]


def test_cli_map_then_ingest_the_national_table(tmp_path):
    sh = fs.build(tmp_path, "national")
    runner = CliRunner()
    res = runner.invoke(app, ["map", str(sh.source), "--out", str(tmp_path / "m.toml")])
    assert res.exit_code == 0, res.output
    assert "facility table offered" in res.output
    text = (tmp_path / "m.toml").read_text()
    assert 'file = "POLYCLINIC_MASTER.csv"' in text
    assert 'attendance_id = "record_no"' in text
    assert 'values = ["walk-in", "emergency"]' in text
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith(("#", "["))]
    assert len(lines) == 21 and all("# REVIEW:" in ln for ln in lines)  # every guess marked
    res = runner.invoke(
        app,
        [
            "ingest",
            str(sh.source),
            "--mapping",
            str(tmp_path / "m.toml"),
            "--out",
            str(tmp_path / "store"),
        ],
    )
    assert res.exit_code == 0, res.output
    dq = json.loads((tmp_path / "store" / "data_quality.json").read_text())
    t = dq["tables"]["attendances"]
    assert (t["read"], t["accepted"], t["quarantined"]) == (sh.rows, sh.rows, 0)
    assert dq["inferred"]["facility"]["polyclinics"] == 4
