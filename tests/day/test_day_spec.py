"""The ClinicDay specification: validated, JSON round trip, built in one place only."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from polyslot.day import (
    ClinicDay,
    DaySlot,
    Discipline,
    DutySession,
    VisitTypeSpec,
    WalkInStream,
    build_day,
    parse_discipline,
)
from polyslot.errors import InputError
from polyslot.examples import example_clinic_model

SRC = Path(__file__).resolve().parents[2] / "src" / "polyslot"
SPEC_TYPES = {"ClinicDay", "DaySlot", "DutySession", "VisitTypeSpec", "WalkInStream"}


def _tiny() -> ClinicDay:
    vt = VisitTypeSpec("a", (0.0, 0.5, 0.5), 1.5, 0.3, (-1, 0, 2), (0.2, 0.5, 0.3))
    return ClinicDay(
        "X",
        2,
        5,
        "pooled_fcfs",
        (DutySession("d1", 480, 600), DutySession("d2", 480, 540)),
        (DaySlot(490, "a", 1, 0.9, 0.95, 0.1), DaySlot(480, "a", 0, 1.0, 1.0, 0.0, True)),
        (vt,),
        (WalkInStream(8, 1.5, "a"),),
        None,
        {"a": (20.0, 9.0)},
        "current",
    )


def test_round_trip_through_json_is_exact() -> None:
    day = _tiny()
    again = ClinicDay.from_dict(json.loads(json.dumps(day.to_dict())))
    assert again == day
    assert again.discipline is Discipline.POOLED  # the settings' spelling is read
    assert [s.minute for s in day.slots] == [480, 490]  # kept in time order
    assert day.slots[1].comes == pytest.approx(0.9 * 0.95 * 0.9)


def test_a_built_day_round_trips_too() -> None:
    m = example_clinic_model(doctors=3)
    day = build_day(m, m.current_template, 0)
    assert ClinicDay.from_dict(json.loads(json.dumps(day.to_dict()))) == day


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"discipline": "lifo"}, "discipline"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"weekday": 7}, "weekday"),
        ({"late_threshold": -1.0}, "late_threshold"),
        ({"sessions": ()}, "sessions"),
    ],
)
def test_bad_days_name_the_field(change, field) -> None:
    data = _tiny().to_dict()
    data.update({k: v for k, v in change.items() if k != "sessions"})
    if "sessions" in change:
        data["sessions"] = []
    with pytest.raises(InputError) as err:
        ClinicDay.from_dict(data)
    assert field in str(err.value)


def test_bad_parts_name_the_field() -> None:
    with pytest.raises(InputError, match="booked"):
        DaySlot(480, "a", 0, booked=1.5)
    with pytest.raises(InputError, match="service_pmf"):
        VisitTypeSpec("a", (0.5, 0.4), 1.0, 0.1)
    with pytest.raises(InputError, match="end must be after start"):
        DutySession("d", 600, 600)
    with pytest.raises(InputError, match="discipline"):
        parse_discipline("random")
    with pytest.raises(InputError, match="slot.session"):
        ClinicDay("X", 0, 1, "pooled", (DutySession("d", 0, 60),),
                  (DaySlot(0, "a", 3),), (VisitTypeSpec("a", (1.0,), 1.0, 0.0),))  # fmt: skip


def test_exact_tractability() -> None:
    day = _tiny()
    assert not day.exact_tractable  # walk-ins, unpunctual, two pooled doctors
    punctual = VisitTypeSpec("a", (0.0, 1.0), 1.0, 0.0)
    one = ClinicDay("X", 0, 1, "pooled", (DutySession("d", 0, 60),),
                    (DaySlot(0, "a", 0), DaySlot(10, "a", 0)), (punctual,))  # fmt: skip
    assert one.exact_tractable and one.doctors_at_once == 1
    two = ClinicDay("X", 0, 1, "pooled", (DutySession("d", 0, 60), DutySession("e", 0, 60)),
                    (DaySlot(0, "a", 0), DaySlot(10, "a", 1)), (punctual,))  # fmt: skip
    assert not two.exact_tractable  # a shared queue of two doctors
    per = ClinicDay.from_dict({**two.to_dict(), "discipline": "per_doctor"})
    assert per.exact_tractable  # independent queues


def _constructions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
            if name in SPEC_TYPES:
                out.add(name)
    return out


def test_only_the_day_package_builds_a_clinic_day() -> None:
    """One concept, one implementation: no module outside polyslot.day constructs a clinic
    day or its parts (they all go through build_day / bucket_day)."""
    offenders = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("day", "synthetic"):  # synthetic has its own VisitTypeSpec (truth)
            continue
        found = _constructions(path)
        if found:
            offenders[str(rel)] = sorted(found)
    assert offenders == {}
