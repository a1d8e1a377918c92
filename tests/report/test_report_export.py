"""Template files: CSV / JSON / XLSX read back equal the template; bytes are deterministic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.errors import InputError
from polyslot.examples import example_clinic_model
from polyslot.report.demo import respaced_template
from polyslot.report.export import (
    TEMPLATE_COLUMNS,
    read_template,
    template_rows,
    write_templates,
)
from polyslot.template import Slot, SlotTemplate


def _slots(t: SlotTemplate) -> list[dict]:
    return t.to_dict()["slots"]


@pytest.mark.parametrize("which", ["current", "recommended"])
def test_round_trip_all_formats(tmp_path, which):
    model = example_clinic_model(doctors=2)
    tpl = model.current_template if which == "current" else respaced_template(model)
    paths = write_templates(tpl, tmp_path)
    assert sorted(paths) == ["csv", "json", "xlsx"]
    for fmt, path in paths.items():
        assert path.name == f"EX01.{fmt}"
        back = read_template(path)
        assert back.polyclinic_id == "EX01"
        assert _slots(back) == _slots(tpl), fmt
    assert any(s.overbooked for s in respaced_template(model).slots)


def test_csv_layout(tmp_path):
    tpl = respaced_template(example_clinic_model(doctors=1))
    path = write_templates(tpl, tmp_path)["csv"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(TEMPLATE_COLUMNS)
    assert len(lines) == 1 + len(tpl.slots)
    assert lines[1] == "EX01,Mon,08:00,10,acute,0-AM-1,false"
    assert sum(line.endswith(",true") for line in lines) == sum(s.overbooked for s in tpl.slots)
    frame = template_rows(tpl)
    assert list(frame.columns) == list(TEMPLATE_COLUMNS)


def test_files_are_byte_identical_across_writes(tmp_path):
    tpl = respaced_template(example_clinic_model(doctors=2))
    a = write_templates(tpl, tmp_path / "a")
    b = write_templates(tpl, tmp_path / "b")
    for fmt in a:
        assert a[fmt].read_bytes() == b[fmt].read_bytes(), fmt
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.endswith(".tmp")]


def test_xlsx_has_slots_per_hour_sheet(tmp_path):
    from openpyxl import load_workbook

    tpl = respaced_template(example_clinic_model(doctors=2))
    wb = load_workbook(write_templates(tpl, tmp_path)["xlsx"])
    assert wb.sheetnames == ["template", "slots_per_hour"]
    rows = list(wb["slots_per_hour"].iter_rows(min_row=2, values_only=True))
    assert sum(r[3] for r in rows) == len(tpl.slots)


def test_bad_weekday_names_field(tmp_path):
    path = tmp_path / "X.csv"
    path.write_text(
        ",".join(TEMPLATE_COLUMNS) + "\nX,Monday,08:00,10,acute,s1,false\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="weekday.*Monday"):
        read_template(path)


def test_bad_suffix(tmp_path):
    with pytest.raises(InputError, match="csv, .json or .xlsx"):
        read_template(tmp_path / "X.txt")


_slot = st.builds(
    Slot,
    weekday=st.integers(0, 6),
    start_minute=st.integers(0, 1439),
    duration_minutes=st.integers(1, 120),
    visit_type=st.sampled_from(["acute", "new patient", "chronic,followup", "ünï"]),
    doctor_session=st.sampled_from(["s1", "s2", 'Dr "A"']),
    overbooked=st.booleans(),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(_slot, min_size=1, max_size=12))
def test_round_trip_property(tmp_path_factory, slots):
    tpl = SlotTemplate("P-1", tuple(slots), 60, "recommended")
    folder = tmp_path_factory.mktemp("t")
    for path in write_templates(tpl, folder).values():
        back = read_template(path)

        def key(s):
            return (
                s["weekday"],
                s["doctor_session"],
                s["start_minute"],
                s["visit_type"],
                s["duration_minutes"],
                s["overbooked"],
            )

        assert sorted(_slots(back), key=key) == sorted(_slots(tpl), key=key)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("X,Mon,8h00,10,acute,s1,false", "start_time"),
        ("X,Mon,08:00,ten,acute,s1,false", "duration_minutes"),
        ("X,Mon,08:00,10,acute,s1,maybe", "overbooked"),
    ],
)
def test_bad_values_name_field_and_value(tmp_path, row, field):
    path = tmp_path / "X.csv"
    path.write_text(",".join(TEMPLATE_COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"X.csv: field '{field}': got"):
        read_template(path)
