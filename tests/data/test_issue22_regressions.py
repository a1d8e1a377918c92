"""Regression tests of the crashes and wrong messages issue 22 names (the data room's part).

1. Leaving booking_ts / appointment_ts / arrival_ts out of a mapping crashed ingest with
   ``unexpected TypeError: Invalid comparison between dtype=datetime64[ns] and ndarray``
   (rules ``_not_before``: the absent column was a float NaN column).
2. Mapping the missing timestamps to empty columns quarantined 100 % of the rows and the guard
   blamed ``status`` ("3,319 of 3,319 rows are empty (e.g. 'attended')").
3. ``polyslot map`` on a consultation log mapped the patient id as the row id and the
   consultation start as the appointment time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.data import ingest, load_attendances
from polyslot.data.mapping.draft_toml import draft_source
from polyslot.data.rules.coerce import coerce_frame
from polyslot.data.schema import get_spec
from polyslot.errors import QuarantineError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import foreign_shapes as fs  # noqa: E402

LOG = """Date,StartTime,ServTime,VisitNo,PatientID
06/03/2025,09:00:00,754,1,p1
06/03/2025,09:13:00,600,2,p2
06/03/2025,09:25:00,420,3,p1
"""
LOG_MAPPING = """
[attendances]
timestamp_formats = ["%d/%m/%Y"]
[attendances.columns]
attendance_id = { row_number = true }
polyclinic_id = { value = "A" }
patient_id = "PatientID"
visit_type = "VisitNo"
consult_start_ts = ["Date", "StartTime"]
consultation_duration_minutes = { column = "ServTime", unit = "seconds" }
status = { value = "attended" }
"""


def test_absent_timestamp_columns_are_typed_not_nan():
    """The root of the TypeError: an absent timestamp column was float NaN."""
    raw = pd.DataFrame({"attendance_id": ["1"], "consult_start_ts": ["2025-03-06 09:00"]})
    typed = coerce_frame(get_spec("attendances"), raw)
    for col in ("booking_ts", "appointment_ts", "arrival_ts", "consult_end_ts"):
        assert typed[col].dtype == np.dtype("datetime64[ns]") and typed[col].isna().all()


def test_timestamps_left_out_do_not_crash(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text(LOG, encoding="utf-8")
    (tmp_path / "m.toml").write_text(LOG_MAPPING, encoding="utf-8")
    s = ingest(src, tmp_path / "out", mapping=tmp_path / "m.toml")  # raised TypeError before
    t = s.tables["attendances"]
    assert (t.read, t.accepted, t.quarantined) == (3, 3, 0)
    res = load_attendances(src, mapping=tmp_path / "m.toml")
    assert res.valid["consult_end_ts"].tolist() == [
        pd.Timestamp("2025-03-06 09:12:34"),
        pd.Timestamp("2025-03-06 09:23:00"),
        pd.Timestamp("2025-03-06 09:32:00"),
    ]


def test_guard_blames_the_column_that_is_really_empty(tmp_path):
    """Timestamps mapped to empty source columns: the guard names them, not ``status``."""
    src = tmp_path / "log.csv"
    lines = LOG.splitlines()
    src.write_text("\n".join([lines[0] + ",Arrived"] + [ln + "," for ln in lines[1:]]) + "\n")
    mapping = LOG_MAPPING + 'arrival_ts = "Arrived"\n'
    (tmp_path / "m.toml").write_text(mapping, encoding="utf-8")
    with pytest.raises(QuarantineError) as e:
        ingest(src, tmp_path / "out", mapping=tmp_path / "m.toml")
    msg = str(e.value)
    assert "attendances: arrival_ts: 3 of 3 rows are empty although their status needs them" in msg
    assert "(with status=attended)" in msg
    assert "leave it out of the mapping" in msg and "status: " not in msg


def test_guard_blames_an_empty_booking_time(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text(
        "\n".join(
            [LOG.splitlines()[0] + ",Arrived,Booked"]
            + [ln + ",06/03/2025 08:55," for ln in LOG.splitlines()[1:]]
        ),
        encoding="utf-8",
    )
    mapping = LOG_MAPPING.replace('["%d/%m/%Y"]', '["%d/%m/%Y", "%d/%m/%Y %H:%M"]')
    mapping += 'arrival_ts = "Arrived"\nbooking_ts = "Booked"\n'
    (tmp_path / "m.toml").write_text(mapping, encoding="utf-8")
    res = CliRunner().invoke(
        app,
        ["ingest", str(src), "--mapping", str(tmp_path / "m.toml"), "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 2 and "Traceback" not in res.output
    out = " ".join(res.output.split())
    assert "booking_ts: 3 of 3 rows are empty (with status=attended)" in out
    assert "if the export has no booking_ts at all, leave it out of the mapping" in out


def test_draft_of_a_consultation_log_row_id_and_consultation_start(tmp_path):
    sh = fs.build(tmp_path, "consultation_log")
    text = draft_source(sh.source).text
    assert "attendance_id = { row_number = true }" in text
    assert 'patient_id = "PatientID"' in text
    assert 'consult_start_ts = ["Date", "StartTime"]' in text
    assert "\nappointment_ts =" not in text
    assert "# appointment_ts: no source column found; left out: unknown for every row" in text
    assert 'consultation_duration_minutes = { column = "ServTime", unit = "seconds" }' in text
    assert 'visit_type = "VisitNo"' in text and 'default = "revisit"' in text
    assert "# consult_end_ts: no source column; derived as consult_start_ts + " in text
