"""The facility table: opening-hours texts (cases and a round-trip property), the reader's
one-line errors, and the roster it caps and limits (hand-computed concurrency)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.data import ingest
from polyslot.data.completion.roster import pooled_peak
from polyslot.data.mapping import load_mapping
from polyslot.data.mapping.facility import read_facility
from polyslot.data.mapping.hours import HoursError, parse_day_hours, parse_hours
from polyslot.errors import DataError, MappingError

WEEK = tuple(range(5))
M, PM = 60, 12 * 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 8am-9pm, Sat 8am-1pm", {**{d: ((480, 1260),) for d in WEEK}, 5: ((480, 780),)}),
        (
            "Mon-Fri 8:30am-12pm, 1pm-5pm; Sat 8:30am-12pm",
            {**{d: ((510, 720), (780, 1020)) for d in WEEK}, 5: ((510, 720),)},
        ),
        (
            "Mon to Fri: 08:00-12:00,13:00-17:00 | Sat: 08:00-12:00 | Sun & PH: Closed",
            {**{d: ((480, 720), (780, 1020)) for d in WEEK}, 5: ((480, 720),)},
        ),
        ("08:00-13:00,14:00-17:30", {d: ((480, 780), (840, 1050)) for d in range(7)}),
        ("Daily 8am-5pm, Sun closed", {d: ((480, 1020),) for d in range(6)}),
        ("Mon, Wed, Fri 0900-1300", {d: ((540, 780),) for d in (0, 2, 4)}),
        ("weekdays 7:30am–noon", {d: ((450, 720),) for d in WEEK}),
        ("Sat-Mon 9-12", {d: ((540, 720),) for d in (5, 6, 0)}),
        ("Tue 8-5", {1: ((480, 1020),)}),
        ("Thu 11-1pm", {3: ((660, 780),)}),
        ("Fri 6pm-midnight", {4: ((1080, 1440),)}),
        ("24/7", {d: ((0, 1440),) for d in range(7)}),
        ("Mon-Fri 8am to 5pm", {d: ((480, 1020),) for d in WEEK}),
    ],
)
def test_opening_hours_forms(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fri", "weekdays without opening times"),
        ("Mon-Fri 8am-5xm", "cannot read 'xm'"),
        ("ask at the desk", "cannot read 'ask'"),
        ("Mon-Fri 17:00-08:00", "ends before it starts"),
        ("Mon 25:00-26:00", "cannot read the time '25:00'"),
        ("", "no opening times"),
    ],
)
def test_opening_hours_errors_quote_the_part(text, message):
    with pytest.raises(HoursError, match=message):
        parse_hours(text)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _ampm(m: int) -> str:
    if m == 1440:
        return "midnight"
    h, mm = divmod(m, 60)
    return f"{h % 12 or 12}{'' if mm == 0 else f':{mm:02d}'}{'am' if h < 12 else 'pm'}"


@st.composite
def _week(draw):
    days = {}
    for d in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=4)))
        pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        if pairs:
            days[d] = tuple(pairs)
    return days


@settings(max_examples=200, deadline=None)
@given(week=_week(), ampm=st.booleans(), sep=st.sampled_from([", ", "; ", " | "]))
def test_opening_hours_round_trip(week, ampm, sep):
    """Any week written as 'Mon 08:00-12:00,13:00-17:00; Tue ...' (or am/pm) reads back."""
    if not week:
        return
    fmt = _ampm if ampm else _hhmm
    text = sep.join(
        f"{_DAYS[d]} " + ",".join(f"{fmt(s)}-{fmt(e)}" for s, e in iv) for d, iv in week.items()
    )
    # touching intervals (an end equal to the next start) merge
    merged = {}
    for d, iv in week.items():
        out = []
        for s, e in iv:
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        merged[d] = tuple(out)
    assert parse_hours(text) == merged


def test_day_cells():
    assert parse_day_hours("08:00-12:00, 13:00-17:00") == ((480, 720), (780, 1020))
    assert parse_day_hours(" closed ") == () and parse_day_hours("") == ()
    with pytest.raises(HoursError, match="that day only"):
        parse_day_hours("Mon 8-12")


MASTER = """polyclinic_id,name,total_doctors,operating_hours
A,North,3,"Mon-Fri 8am-12pm, 1pm-5pm"
B,South,,
"""


def _mapping(tmp_path, columns: str, master: str = MASTER) -> str:
    (tmp_path / "master.csv").write_text(master, encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text(f'[facility]\nfile = "master.csv"\n[facility.columns]\n{columns}\n')
    return str(m)


def test_read_facility_relative_to_the_mapping(tmp_path):
    m = _mapping(
        tmp_path,
        'polyclinic_id = "polyclinic_id"\ndoctors = "total_doctors"\n'
        'opening_hours = "operating_hours"',
    )
    fac = read_facility(load_mapping(m).facility)
    assert fac.doctors == {"A": 3}
    assert fac.hours == {"A": {d: ((480, 720), (780, 1020)) for d in WEEK}}
    frame = fac.frame()  # B is listed, with nothing known
    assert frame["polyclinic_id"].tolist() == ["A", "B"]
    assert frame["doctors"].tolist()[0] == 3 and pd.isna(frame["doctors"][1])
    assert fac.hours_frame().iloc[0].tolist() == ["A", 0, "08:00", "12:00"]


def test_read_facility_per_weekday_columns(tmp_path):
    master = "clinic,Mon,Tue,Sat\nA,08:00-12:00,8am-1pm,closed\n"
    m = _mapping(
        tmp_path,
        'polyclinic_id = "clinic"\nopening_hours = { Mon = "Mon", tuesday = "Tue", Sat = "Sat" }',
        master,
    )
    fac = read_facility(load_mapping(m).facility)
    assert fac.hours == {"A": {0: ((480, 720),), 1: ((480, 780),)}}
    assert fac.text == {"A": "Mon 08:00-12:00; Tue 08:00-13:00"}


@pytest.mark.parametrize(
    ("master", "match"),
    [
        (
            'polyclinic_id,total_doctors,operating_hours\nA,3,"Mon-Fri 8am-5xm"\n',
            r"master\.csv: field 'operating_hours': row 1: cannot read the opening hours "
            r"'Mon-Fri 8am-5xm' \(cannot read 'xm'\)",
        ),
        (
            "polyclinic_id,total_doctors,operating_hours\nA,three,\n",
            r"master\.csv: field 'total_doctors': row 1: 'three' is not a number of doctors",
        ),
        (
            "polyclinic_id,total_doctors,operating_hours\nA,3,\nA,4,\n",
            r"field 'polyclinic_id': row 2: polyclinic 'A' listed twice",
        ),
    ],
)
def test_facility_values_one_line_errors(tmp_path, master, match):
    m = _mapping(
        tmp_path,
        'polyclinic_id = "polyclinic_id"\ndoctors = "total_doctors"\n'
        'opening_hours = "operating_hours"',
        master,
    )
    with pytest.raises(DataError, match=match):
        read_facility(load_mapping(m).facility)


def test_facility_mapping_errors(tmp_path):
    m = _mapping(tmp_path, 'polyclinic_id = "polyclinic_id"\ndoctors = "doctors"')
    with pytest.raises(MappingError, match=r"facility\.columns\.doctors.*'doctors' not found"):
        read_facility(load_mapping(m).facility)
    bad = tmp_path / "bad.toml"
    bad.write_text('[facility]\nfile = "x.csv"\n[facility.columns]\npolyclinic_id = "a"\n')
    with pytest.raises(MappingError, match="name doctors, opening_hours or both"):
        load_mapping(bad)
    bad.write_text(
        '[facility]\nfile = "missing.csv"\n[facility.columns]\npolyclinic_id = "a"\ndoctors = "d"\n'
    )
    with pytest.raises(DataError, match="missing.csv: file not found"):
        read_facility(load_mapping(bad).facility)


def test_cli_ingest_bad_facility_is_one_line(tmp_path):
    m = _mapping(
        tmp_path,
        'polyclinic_id = "polyclinic_id"\ndoctors = "total_doctors"\n'
        'opening_hours = "operating_hours"',
        'polyclinic_id,total_doctors,operating_hours\nA,3,"by appointment"\n',
    )
    src = tmp_path / "att.csv"
    src.write_text("x\n1\n")
    res = CliRunner().invoke(
        app, ["ingest", str(src), "--mapping", m, "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "cannot read the opening hours 'by appointment'" in res.output


def _consultations(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Attended rows from (date, start, end) without doctor ids."""
    out = []
    for i, (day, s, e) in enumerate(rows):
        start, end = pd.Timestamp(f"{day} {s}"), pd.Timestamp(f"{day} {e}")
        out.append(
            {
                "attendance_id": str(i),
                "polyclinic_id": "A",
                "patient_id": None,
                "visit_type": "x",
                "booking_ts": start - pd.Timedelta(days=1),
                "appointment_ts": start,
                "arrival_ts": start,
                "consult_start_ts": start,
                "consult_end_ts": end,
                "consultation_duration_minutes": (end - start).total_seconds() / 60,
                "doctor_id": None,
                "status": "attended",
            }
        )
    return pd.DataFrame(out)


def test_pooled_peak():
    assert pooled_peak([1, 3, 2, 3]) == 3
    assert pooled_peak([1, 5, 2, 3]) == 3  # one date alone does not set it
    assert pooled_peak([4]) == 4 and pooled_peak([]) == 0


def test_roster_pooled_over_dates_capped_and_limited(tmp_path):
    """Mondays 3, 10, 17 March: 3, 2 and 3 overlapping morning consultations (2 on the 10th:
    a doctor idle) and one afternoon consultation; the facility says 2 doctors at most, open
    08:30-12:00 and 13:00-17:00."""
    rows = []
    for day, n in (("2025-03-03", 3), ("2025-03-10", 2), ("2025-03-17", 3)):
        rows += [(day, "09:00", "09:30")] * n + [(day, "14:00", "14:20")]
    folder = tmp_path / "data"
    folder.mkdir()
    _consultations(rows).to_parquet(folder / "attendances.parquet")
    ingest(folder, tmp_path / "plain")
    with duckdb.connect(str(tmp_path / "plain" / "polyslot.duckdb"), read_only=True) as con:
        plain = con.execute("SELECT date, start_time, end_time, doctors FROM roster").df()
    am = plain[plain["start_time"] < "12:00"]
    assert am["doctors"].tolist() == [3, 3, 3]  # the idle doctor of the 10th is counted
    m = _mapping(
        tmp_path,
        'polyclinic_id = "polyclinic_id"\ndoctors = "total_doctors"\n'
        'opening_hours = "operating_hours"',
        'polyclinic_id,total_doctors,operating_hours\nA,2,"Mon 8:30am-12pm, 1pm-5pm"\n',
    )
    s = ingest(folder, tmp_path / "fac", mapping=m)
    with duckdb.connect(str(tmp_path / "fac" / "polyslot.duckdb"), read_only=True) as con:
        fac = con.execute("SELECT start_time, end_time, doctors, inferred_from FROM roster").df()
    assert fac[fac["start_time"] < "12:00"]["doctors"].tolist() == [2, 2, 2]  # capped
    assert set(fac["inferred_from"]) == {"concurrent_consultations_and_facility"}
    # periods: the appointment times + the usual slot gap (15 minutes without one), within
    # the opening hours
    assert set(zip(fac["start_time"], fac["end_time"], strict=True)) == {
        ("09:00", "09:15"),
        ("14:00", "14:15"),
    }
    dq = json.loads(s.quality_json.read_text())["inferred"]["roster"]
    assert dq["sessions"]["A"]["Mon-AM"] == {
        "start": "09:00",
        "end": "09:15",
        "doctors": 2.0,
        "dates": 3,
    }
    assert dq["facility"]["outside_opening_hours"] == []


def test_a_queue_shows_a_doctor_absent(tmp_path):
    """Three Mondays with 3 doctors busy at 09:00; on the 10th only 2 consultations run and a
    patient who arrived at 09:05 is called at 09:30, when both were still running: 2 doctors
    that day (the pooled peak says 3)."""
    rows = []
    for day, n in (("2025-03-03", 3), ("2025-03-10", 2), ("2025-03-17", 3)):
        rows += [(day, "09:00", "09:30")] * n
    frame = _consultations([*rows, ("2025-03-10", "09:30", "09:40")])
    frame.loc[len(frame) - 1, "arrival_ts"] = pd.Timestamp("2025-03-10 09:05")
    folder = tmp_path / "data"
    folder.mkdir()
    frame.to_parquet(folder / "attendances.parquet")
    s = ingest(folder, tmp_path / "store")
    with duckdb.connect(str(tmp_path / "store" / "polyslot.duckdb"), read_only=True) as con:
        got = con.execute("SELECT CAST(date AS VARCHAR), doctors FROM roster ORDER BY 1").fetchall()
    assert got == [("2025-03-03", 3), ("2025-03-10", 2), ("2025-03-17", 3)]
    assert s.inferred["roster"]["sessions"]["A"]["Mon-AM"]["doctors"] == 2.67  # (3 + 2 + 3) / 3
    # the same without the arrival: no queue is seen, the pooled peak stands
    frame.loc[len(frame) - 1, "arrival_ts"] = pd.Timestamp("2025-03-10 09:30")
    frame.to_parquet(folder / "attendances.parquet")
    ingest(folder, tmp_path / "store2")
    with duckdb.connect(str(tmp_path / "store2" / "polyslot.duckdb"), read_only=True) as con:
        got = con.execute("SELECT doctors FROM roster ORDER BY date").fetchall()
    assert got == [(3,), (3,), (3,)]


@pytest.mark.parametrize("suffix", ["parquet", "xlsx"])
def test_read_facility_parquet_and_excel(tmp_path, suffix):
    frame = pd.DataFrame(
        {"polyclinic_id": [1001, 1002], "total_doctors": [8, 5], "hours": ["24/7", "Sat 9-12"]}
    )
    path = tmp_path / f"master.{suffix}"
    frame.to_parquet(path) if suffix == "parquet" else frame.to_excel(path, index=False)
    m = tmp_path / "m.toml"
    m.write_text(
        f'[facility]\nfile = "master.{suffix}"\n[facility.columns]\n'
        'polyclinic_id = "polyclinic_id"\ndoctors = "total_doctors"\nopening_hours = "hours"\n'
    )
    fac = read_facility(load_mapping(m).facility)
    assert fac.doctors == {"1001": 8, "1002": 5}  # integer ids read as the attendances' text
    assert fac.hours["1002"] == {5: ((540, 720),)} and len(fac.hours["1001"]) == 7
