"""Every quarantine reason code, each with a deliberately broken file; chunking invariance."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.data import (
    REASONS,
    load_attendances,
    load_demand_forecast,
    load_no_show_predictions,
    load_roster,
    load_slot_template,
)
from polyslot.data.readers import open_source
from polyslot.data.schema import get_spec
from polyslot.data.stage import load_table


def good_row(i: int = 1, **over: object) -> dict:
    """A valid attended booking as CSV text."""
    row = {
        "attendance_id": f"A{i}",
        "polyclinic_id": "P1",
        "patient_id": f"pat{i}",
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


SEEN_NONE = {
    "arrival_ts": "",
    "consult_start_ts": "",
    "consult_end_ts": "",
    "consultation_duration_minutes": "",
    "doctor_id": "",
}

#: One broken attendance row per reason code (row 2 of a 3-row file; rows 1 and 3 are good).
ATTENDANCE_CASES = {
    "missing_required_field": {"visit_type": ""},
    "unparseable_timestamp": {"arrival_ts": "2025-01-06 25:61"},
    "unparseable_number": {"consultation_duration_minutes": "twelve"},
    "unknown_status": {"status": "teleconsult"},
    "negative_duration": {
        "consult_end_ts": "2025-01-06 08:57",
        "consultation_duration_minutes": "-5",
    },
    "implausible_duration": {
        "consult_end_ts": "2025-01-06 14:02",
        "consultation_duration_minutes": "300",
    },
    "end_before_start": {"consult_end_ts": "2025-01-06 09:00", "consultation_duration_minutes": ""},
    "duration_mismatch": {"consultation_duration_minutes": "30"},
    "missing_appointment": {"appointment_ts": ""},
    "inconsistent_status": {"status": "no_show"},
    "arrival_before_booking": {"booking_ts": "2025-01-06 08:55", "arrival_ts": "2025-01-06 08:50"},
    "appointment_before_booking": {
        "booking_ts": "2025-01-06 09:01",
        "arrival_ts": "2025-01-06 09:01",
        "appointment_ts": "2025-01-06 09:00",
    },
    "consult_before_arrival": {"arrival_ts": "2025-01-06 09:05"},
}


def write_csv(tmp_path, name: str, rows: list[dict]) -> str:
    path = tmp_path / f"{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("reason", sorted(ATTENDANCE_CASES))
def test_attendance_reason(tmp_path, reason):
    rows = [good_row(1), good_row(2, **ATTENDANCE_CASES[reason]), good_row(3)]
    res = load_attendances(write_csv(tmp_path, "attendances", rows))
    assert list(res.valid["attendance_id"]) == ["A1", "A3"]
    assert list(res.quarantine["source_row"]) == [2]
    assert list(res.quarantine["reason"]) == [reason]
    assert res.quarantine["detail"].iloc[0].startswith(reason + ":")
    # the original text of the row is kept
    assert res.quarantine["attendance_id"].iloc[0] == "A2"
    rec = res.reconciliation.set_index("polyclinic_id").loc["P1"]
    assert (rec["read"], rec["accepted"], rec["quarantined"]) == (3, 2, 1)


def test_duplicate_attendance_id_keeps_first(tmp_path):
    rows = [good_row(1), good_row(2), good_row(1, doctor_id="D9"), good_row(3), good_row(2)]
    res = load_attendances(write_csv(tmp_path, "attendances", rows))
    assert list(res.valid["source_row"]) == [1, 2, 4]
    assert list(res.valid["doctor_id"]) == ["D1", "D1", "D1"]
    assert list(res.quarantine["source_row"]) == [3, 5]
    assert set(res.quarantine["reason"]) == {"duplicate_attendance_id"}
    assert res.quarantine["detail"].iloc[0].startswith("duplicate_attendance_id: attendance_id=A1")


def test_duplicate_of_a_rejected_row_is_kept(tmp_path):
    # the first A1 is broken, so the later (good) A1 is the first *accepted* one
    rows = [good_row(1, status="bogus"), good_row(1)]
    res = load_attendances(write_csv(tmp_path, "attendances", rows))
    assert list(res.valid["source_row"]) == [2]
    assert list(res.quarantine["reason"]) == ["unknown_status"]


def test_invalid_weekday_and_unparseable_time(tmp_path):
    base = {
        "polyclinic_id": "P1",
        "weekday": "Mon",
        "start_time": "08:30",
        "duration_minutes": "10",
        "visit_type": "acute",
        "doctor_session": "S1",
    }
    rows = [
        base,
        {**base, "weekday": "Funday"},
        {**base, "start_time": "8h30"},
        {**base, "weekday": "6", "start_time": "7:05"},
        {**base, "duration_minutes": "0"},
        {**base, "weekday": "7"},
    ]
    res = load_slot_template(write_csv(tmp_path, "slot_template", rows))
    assert list(res.valid["weekday"]) == [0, 6]
    assert list(res.valid["start_time"]) == ["08:30", "07:05"]
    assert list(res.valid["count"]) == [1, 1]  # no count column: one slot per row
    assert dict(zip(res.quarantine["source_row"], res.quarantine["reason"], strict=True)) == {
        2: "invalid_weekday",
        3: "unparseable_time",
        5: "out_of_range",
        6: "invalid_weekday",
    }


def test_roster_rules(tmp_path):
    base = {
        "polyclinic_id": "P1",
        "date": "2025-01-06",
        "start_time": "08:00",
        "end_time": "12:00",
        "doctors": "4",
    }
    rows = [
        base,
        {**base, "date": "2025-01-07", "end_time": "07:00"},
        {**base, "date": "2025-01-08", "doctors": "-1"},
        {**base, "date": "2025-01-09", "doctors": "2.5"},
        {**base, "date": "not a date"},
        base,
    ]
    res = load_roster(write_csv(tmp_path, "roster", rows))
    assert list(res.valid["source_row"]) == [1]
    assert res.valid["doctors"].dtype == "int64"
    assert str(res.valid["date"].iloc[0].date()) == "2025-01-06"
    assert list(res.quarantine["reason"]) == [
        "end_before_start",
        "out_of_range",
        "unparseable_number",
        "unparseable_timestamp",
        "duplicate_key",
    ]


def test_demand_forecast_and_no_show_rules(tmp_path):
    base = {
        "polyclinic_id": "P1",
        "date": "2025-01-06",
        "visit_type": "acute",
        "expected_requests": "10",
        "lower": "8",
        "upper": "12",
    }
    rows = [
        base,
        {**base, "visit_type": "x", "lower": "11"},
        {**base, "visit_type": "y", "expected_requests": "-1", "lower": "", "upper": ""},
    ]
    res = load_demand_forecast(write_csv(tmp_path, "demand_forecast", rows))
    assert list(res.quarantine["reason"]) == ["inconsistent_interval", "out_of_range"]
    ns = [
        {"attendance_id": "A1", "probability": "0.2"},
        {"attendance_id": "A2", "probability": "1.2"},
        {"attendance_id": "A1", "probability": "0.3"},
    ]
    res = load_no_show_predictions(write_csv(tmp_path, "no_show_predictions", ns))
    assert list(res.valid["probability"]) == [0.2]
    assert list(res.quarantine["reason"]) == ["out_of_range", "duplicate_attendance_id"]
    assert res.reconciliation.to_dict("records") == [
        {"polyclinic_id": "(all)", "read": 3, "accepted": 1, "quarantined": 2, "excluded": 0}
    ]


def test_every_reason_code_is_exercised():
    tested = set(ATTENDANCE_CASES) | {
        "duplicate_attendance_id",
        "duplicate_key",
        "invalid_weekday",
        "unparseable_time",
        "out_of_range",
        "inconsistent_interval",
    }
    assert tested == set(REASONS)


def test_walk_in_and_status_variants(tmp_path):
    walk = good_row(2, status="Walk_In ", appointment_ts="", booking_ts="2025-01-06 08:50")
    noshow = good_row(3, status="no_show", **SEEN_NONE)
    cancelled = good_row(4, status="cancelled", **SEEN_NONE)
    derived = good_row(5, consultation_duration_minutes="")
    res = load_attendances(pd.DataFrame([good_row(1), walk, noshow, cancelled, derived]))
    assert res.quarantine.empty
    assert list(res.valid["status"]) == ["attended", "walk_in", "no_show", "cancelled", "attended"]
    # duration derived from end - start when missing
    assert res.valid["consultation_duration_minutes"].iloc[4] == pytest.approx(12.0)
    assert pd.isna(res.valid["consultation_duration_minutes"].iloc[2])


def _frame_with_breaks(flags: list[int]) -> pd.DataFrame:
    kinds = [{}, *ATTENDANCE_CASES.values()]
    rows = [
        good_row(i % 7 if f == 0 and i % 5 == 0 else i, **kinds[f % len(kinds)])
        for i, f in enumerate(flags)
    ]
    return pd.DataFrame(rows)


@settings(max_examples=8, deadline=None)
@given(
    flags=st.lists(st.integers(0, 3 * len(ATTENDANCE_CASES)), min_size=1, max_size=60),
    batch=st.integers(4, 25),
)
def test_reconciliation_and_chunking_invariance(flags, batch):
    """read == accepted + quarantined per polyclinic, and the result does not depend on chunks."""
    import duckdb

    df = _frame_with_breaks(flags)
    df["polyclinic_id"] = ["P1", "P2", "P3"] * (len(df) // 3) + ["P1", "P2"][: len(df) % 3]
    spec = get_spec("attendances")
    outcomes = []
    for rows in (batch, 10_000):
        con = duckdb.connect()
        counts = load_table(con, spec, open_source(df, spec), batch_rows=rows)
        rec = counts.reconciliation
        assert (rec["read"] == rec["accepted"] + rec["quarantined"]).all()
        assert counts.read == len(df)
        valid = [
            r[0] for r in con.execute("SELECT source_row FROM attendances ORDER BY 1").fetchall()
        ]
        quar = con.execute('SELECT source_row, reason FROM "_q_attendances" ORDER BY 1').fetchall()
        assert sorted(valid + [q[0] for q in quar]) == list(range(1, len(df) + 1))
        outcomes.append((valid, quar))
        con.close()
    assert outcomes[0] == outcomes[1]


def test_timestamp_offsets_keep_wall_clock_time():
    rows = [
        good_row(1, booking_ts="2025-01-01T08:00:00+08:00"),
        good_row(2, booking_ts="2025-01-01T08:00:00Z"),
        good_row(3),
    ]
    res = load_attendances(pd.DataFrame(rows))
    assert res.quarantine.empty
    assert [str(t) for t in res.valid["booking_ts"]] == ["2025-01-01 08:00:00"] * 3


def test_fast_evaluation_agrees_with_pandera_validate():
    """rules.evaluate flags exactly the rows pandera's own lazy validation rejects."""
    import pandera.pandas as pa

    from polyslot.data.rules.checks import build_schema, evaluate
    from polyslot.data.rules.coerce import coerce_frame

    rows = [good_row(0)] + [good_row(i + 1, **c) for i, c in enumerate(ATTENDANCE_CASES.values())]
    typed = coerce_frame(get_spec("attendances"), pd.DataFrame(rows).astype("string[pyarrow]"))
    fast = {int(r) for f in evaluate("attendances", typed) for r in f.rows}
    with pytest.raises(pa.errors.SchemaErrors) as exc:
        build_schema("attendances").validate(typed, lazy=True)
    slow = set(exc.value.failure_cases["index"].dropna().astype(int))
    assert fast == slow == set(range(1, len(rows)))
