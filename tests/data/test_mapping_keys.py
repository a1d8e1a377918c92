"""The mapping keys of issue 22 on tiny exports with hand-computed results: row_number, unit,
default, when, columns left out (unknown for every row) and the derived consultation end."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from polyslot.data import Store, ingest, load_attendances
from polyslot.data.mapping import parse_mapping
from polyslot.errors import MappingError

LOG = """Date;Start;Secs;Visit;Kind;Patient
06.03.2025;09:00:00;754;1;booked;p1
06.03.2025;09:15:30;600;2;walk-in;p2
06.03.2025;09:40:00;90;17;Walk In;p1
07.03.2025;10:00:00;abc;3;booked;p3
07.03.2025;10:20:00;;1;booked;p4
"""

BASE = """
[attendances]
timestamp_formats = ["%d.%m.%Y"]
[attendances.columns]
attendance_id = { row_number = true }
polyclinic_id = { value = "A" }
patient_id = "Patient"
visit_type = "Visit"
consult_start_ts = ["Date", "Start"]
consultation_duration_minutes = { column = "Secs", unit = "seconds" }
status = { value = "attended" }
[attendances.values.visit_type]
first_visit = ["1"]
default = "revisit"
"""


def _files(tmp_path, text: str = LOG, mapping: str = BASE):
    src = tmp_path / "log.csv"
    src.write_text(text, encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text(mapping, encoding="utf-8")
    return src, m


def test_consultation_log_keys_exact(tmp_path):
    src, m = _files(tmp_path)
    res = load_attendances(src, mapping=m)
    v = res.valid
    assert v["attendance_id"].tolist() == ["1", "2", "3"]
    assert v["visit_type"].tolist() == ["first_visit", "revisit", "revisit"]
    # 754 s = 12.5667 min; the end is start + duration (to the millisecond)
    assert v["consultation_duration_minutes"].tolist() == [754 / 60, 10.0, 1.5]
    assert v["consult_end_ts"].tolist() == [
        pd.Timestamp("2025-03-06 09:12:34"),
        pd.Timestamp("2025-03-06 09:25:30"),
        pd.Timestamp("2025-03-06 09:41:30"),
    ]
    assert v[["booking_ts", "appointment_ts", "arrival_ts"]].isna().all().all()
    q = res.quarantine.set_index("source_row")
    # a duration that is not a number is unparseable, quoted as in the source
    assert q.loc[4, "reason"] == "unparseable_number"
    assert "consultation_duration_minutes='abc'" in q.loc[4, "detail"]
    # an attended consultation without its duration has no end: not seen
    assert q.loc[5, "reason"] == "inconsistent_status"
    assert "arrival_ts" not in q.loc[5, "detail"]  # unknown for every row: never quoted
    assert res.reconciliation.iloc[0][["read", "accepted", "quarantined"]].tolist() == [5, 3, 2]


def test_row_numbers_count_excluded_rows_and_scope(tmp_path):
    mapping = BASE.replace('polyclinic_id = { value = "A" }', 'polyclinic_id = "Kind"')
    mapping = mapping.replace("[attendances]\n", '[attendances]\nid_scope = "polyclinic"\n')
    mapping += '[attendances.values.polyclinic_id]\nexclude = ["walk in"]\n'
    src, m = _files(tmp_path, mapping=mapping)
    res = load_attendances(src, mapping=m)
    assert res.valid["attendance_id"].tolist() == ["booked:1", "walk-in:2"]
    assert res.reconciliation["excluded"].sum() == 1


def test_row_numbers_of_a_parquet_folder_follow_file_names(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    rows = [
        {"Date": "06.03.2025", "Start": f"09:{i:02d}", "Secs": "60", "Visit": "1", "Patient": "p"}
        for i in range(5)
    ]
    pd.DataFrame(rows[3:]).to_parquet(folder / "b.parquet")  # written first, read second
    pd.DataFrame(rows[:3]).to_parquet(folder / "a.parquet")
    m = tmp_path / "m.toml"
    m.write_text(BASE, encoding="utf-8")
    v = load_attendances(folder, mapping=m).valid
    assert v["attendance_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert v["consult_start_ts"].dt.minute.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("unit", "value", "minutes"),
    [("seconds", "90", 1.5), ("minutes", "12.5", 12.5), ("hours", "0.25", 15.0)],
)
def test_duration_units(tmp_path, unit, value, minutes):
    text = f"Date;Start;Secs;Visit;Kind;Patient\n06.03.2025;09:00;{value};1;x;p\n"
    src, m = _files(tmp_path, text, BASE.replace('unit = "seconds"', f'unit = "{unit}"'))
    v = load_attendances(src, mapping=m).valid
    assert v["consultation_duration_minutes"].tolist() == [minutes]


WALK = """id;clinic;type;kind;outcome;day;appt;arrived;seen;done;booked
1;A;acute;appointment;completed;06.03.2025;09:00;08:55;09:02;09:12;01.03.2025
2;A;acute;walk-in;completed;06.03.2025;09:20;09:20;09:25;09:30;
3;A;acute;Emergency;completed;06.03.2025;09:40;09:40;09:41;09:50;
4;A;acute;appointment;no-show;06.03.2025;10:00;;;;02.03.2025
5;A;acute;walk-in;cancelled;06.03.2025;10:20;;;;
"""
WALK_MAPPING = """
[attendances]
timestamp_formats = ["%d.%m.%Y"]
[attendances.columns]
attendance_id = "id"
polyclinic_id = "clinic"
visit_type = "type"
booking_ts = "booked"
appointment_ts = ["day", "appt"]
arrival_ts = ["day", "arrived"]
consult_start_ts = ["day", "seen"]
consult_end_ts = ["day", "done"]
status = "outcome"
[attendances.values.status]
attended = ["completed"]
no_show = ["no-show"]
cancelled = ["cancelled"]
[[attendances.when]]
column = "kind"
values = ["walk-in", "emergency"]
set = { status = "walk_in" }
"""


def test_when_rule_makes_walk_ins_and_clears_their_appointment(tmp_path):
    src, m = _files(tmp_path, WALK, WALK_MAPPING)
    res = load_attendances(src, mapping=m)
    v = res.valid.set_index("attendance_id")
    assert v["status"].to_dict() == {
        "1": "attended",
        "2": "walk_in",
        "3": "walk_in",
        "4": "no_show",
    }
    assert v.loc[["2", "3"], "appointment_ts"].isna().all()
    assert v.loc["1", "appointment_ts"] == pd.Timestamp("2025-03-06 09:00")
    assert "kind" in v.columns  # the rule's column is kept as an extra column
    # a cancelled walk-in is still a walk-in for the rule: it has no consultation -> quarantined
    q = res.quarantine
    assert q["source_row"].tolist() == [5] and q["reason"].tolist() == ["inconsistent_status"]


def test_when_rule_on_a_text_column_and_clearing(tmp_path):
    mapping = WALK_MAPPING.replace(
        'set = { status = "walk_in" }',
        'set = { status = "walk_in", visit_type = "unbooked" }\n'
        '[[attendances.when]]\ncolumn = "kind"\nvalues = ["appointment"]\n'
        'set = { arrival_ts = "" }',
    )
    src, m = _files(tmp_path, WALK, mapping)
    res = load_attendances(src, mapping=m)
    v = res.valid.set_index("attendance_id")
    assert v.loc[["2", "3"], "visit_type"].tolist() == ["unbooked", "unbooked"]
    assert v.loc["4", "status"] == "no_show" and pd.isna(v.loc["4", "arrival_ts"])
    # row 1: attended without the arrival the rule cleared -> inconsistent, quarantined
    assert set(res.quarantine["source_row"]) == {1, 5}


def test_leaving_timestamps_out_never_quarantines(tmp_path):
    """booking_ts, appointment_ts and arrival_ts left out: unknown for every row."""
    text = "id;clinic;type;state;seen;done\n1;A;x;attended;06.03.2025 09:00;06.03.2025 09:10\n"
    text += "2;A;x;no_show;;\n3;A;x;cancelled;;\n4;A;x;walk_in;06.03.2025 10:00;06.03.2025 10:05\n"
    mapping = """
[attendances]
timestamp_formats = ["%d.%m.%Y %H:%M"]
[attendances.columns]
attendance_id = "id"
polyclinic_id = "clinic"
visit_type = "type"
status = "state"
consult_start_ts = "seen"
consult_end_ts = "done"
"""
    src, m = _files(tmp_path, text, mapping)
    s = ingest(src, tmp_path / "out", mapping=m)
    t = s.tables["attendances"]
    assert (t.read, t.accepted, t.quarantined) == (4, 4, 0)
    assert t.unknown_fields == [
        "patient_id",
        "booking_ts",
        "appointment_ts",
        "arrival_ts",
        "doctor_id",
    ]
    stored = Store(tmp_path / "out").table("attendances")
    assert stored["consultation_duration_minutes"].fillna(-1).tolist() == [10.0, -1, -1, 5.0]
    fields = Store(tmp_path / "out").table("table_fields").set_index("field")
    assert fields.loc["consultation_duration_minutes", "provenance"] == "derived"
    assert fields.loc["consult_start_ts", "source"] == "'seen'"
    # mapped to the empty constant: the same as left out
    m.write_text(mapping + 'arrival_ts = { value = "" }\n', encoding="utf-8")
    s = ingest(src, tmp_path / "out2", mapping=m)
    assert s.tables["attendances"].quarantined == 0
    assert "arrival_ts" in s.tables["attendances"].unknown_fields


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ('consultation_duration_minutes = { column = "s", unit = "days" }', "unit", "expected"),
        ('visit_type = { column = "s", unit = "seconds" }', "unit", "a unit converts"),
        ("consult_start_ts = { row_number = true }", "consult_start_ts", "text (id) column"),
        ("attendance_id = { row_number = false }", "row_number", "must be true"),
        ('attendance_id = { column = "a", value = "b" }', "attendance_id", "row_number = true"),
    ],
)
def test_bad_column_rules_name_the_key(section, key, message):
    data = tomllib.loads(f"[attendances.columns]\n{section}\n")
    with pytest.raises(MappingError) as e:
        parse_mapping(data, "m.toml")
    assert key in str(e.value) and message in str(e.value)
    assert str(e.value).startswith("m.toml: field 'attendances.columns.")


@pytest.mark.parametrize(
    ("toml", "field", "message"),
    [
        ('[attendances.values.visit_type]\ndefault = ["a"]', "values.visit_type.default", "one"),
        ('[attendances.values.status]\ndefault = "gone"', "values.status.default", "status"),
        ('[[attendances.when]]\ncolumn = "k"\nvalues = ["x"]', "when[0].set", "missing"),
        (
            '[[attendances.when]]\ncolumn = "k"\nvalues = ["x"]\nset = { ward = "3" }',
            "when[0].set.ward",
            "unknown contract column",
        ),
        (
            '[[attendances.when]]\ncolumn = "k"\nvalues = ["x"]\nset = { status = "gone" }',
            "when[0].set.status",
            "unknown status",
        ),
        (
            '[[attendances.when]]\ncolumn = "k"\nvalues = ["x"]\n'
            'set = { appointment_ts = "2025-01-01" }',
            "when[0].set.appointment_ts",
            "only cleared",
        ),
        (
            '[[attendances.when]]\ncolumn = "k"\nvalues = []\nset = { status = "walk_in" }',
            "when[0].values",
            "list",
        ),
    ],
)
def test_bad_values_and_when_rules_name_the_key(toml, field, message):
    with pytest.raises(MappingError) as e:
        parse_mapping(tomllib.loads(toml), "m.toml")
    assert f"field 'attendances.{field}'" in str(e.value) and message in str(e.value)


def test_when_column_missing_from_the_source(tmp_path):
    src, m = _files(tmp_path, WALK, WALK_MAPPING.replace('column = "kind"', 'column = "Kind2"'))
    with pytest.raises(MappingError, match=r"attendances\.when\[0\]\.column.*'Kind2' not found"):
        load_attendances(src, mapping=m)


def test_default_exclude_and_unlisted_status(tmp_path):
    mapping = WALK_MAPPING.split("[[attendances.when]]")[0].replace(
        'cancelled = ["cancelled"]', 'default = "exclude"'
    )
    src, m = _files(tmp_path, WALK, mapping)
    res = load_attendances(src, mapping=m)
    # 'cancelled' is not listed: excluded by the default, never quarantined
    assert res.reconciliation["excluded"].sum() == 1
    assert res.valid["status"].tolist() == ["attended", "no_show"]
    # without the when rule the walk-ins are bookings without a booking time
    q = res.quarantine
    assert q["source_row"].tolist() == [2, 3]
    assert set(q["reason"]) == {"missing_required_field"}
