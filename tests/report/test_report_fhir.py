"""The FHIR R4 Bundle export: valid Schedule / Slot resources, unreserved slots, deterministic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from polyslot.errors import ConfigError
from polyslot.examples import example_clinic_model
from polyslot.report.demo import demo_network_result
from polyslot.report.fhir import template_bundle, week_start_after, write_fhir_bundle
from polyslot.report.summary import build_summary
from polyslot.template import ANY_VISIT_TYPE, Slot, SlotTemplate

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def template() -> SlotTemplate:
    base = example_clinic_model().current_template
    slots = list(base.slots)
    # one unreserved and one overbooked slot
    slots[0] = dataclasses.replace(slots[0], visit_type=ANY_VISIT_TYPE)
    slots[1] = dataclasses.replace(slots[1], overbooked=True)
    return SlotTemplate(base.polyclinic_id, tuple(slots), 60, "recommended")


def test_bundle_validates_as_fhir_r4(template):
    doc = template_bundle(template, MONDAY)
    bundle = Bundle.model_validate(doc)  # raises on any invalid element
    assert bundle.type == "collection"
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert kinds.count("Slot") == len(template.slots)
    assert kinds.count("Schedule") == len(template.sessions())
    for e in doc["entry"]:
        r = e["resource"]
        model = FhirSlot if r["resourceType"] == "Slot" else Schedule
        model.model_validate(r)


def test_slots_carry_time_type_status_and_overbooking(template):
    doc = template_bundle(template, MONDAY, "+08:00")
    slots = [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == "Slot"]
    schedules = {
        e["resource"]["id"] for e in doc["entry"] if e["resource"]["resourceType"] == "Schedule"
    }
    assert all(s["status"] == "free" for s in slots)
    assert all(s["schedule"]["reference"].split("/")[1] in schedules for s in slots)
    assert sum(s["overbooked"] for s in slots) == sum(s.overbooked for s in template.slots)
    unreserved = [s for s in slots if "appointmentType" not in s]
    assert len(unreserved) == 1 and "every visit type" in unreserved[0]["comment"]
    reserved = sorted(s["appointmentType"]["text"] for s in slots if "appointmentType" in s)
    assert reserved == sorted(s.visit_type for s in template.slots if s.visit_type != "any")
    # weekday d of the template is MONDAY + d; times keep the local clock
    first = template.slots[0]
    day = MONDAY + dt.timedelta(days=first.weekday)
    starts = {s["start"] for s in slots}
    assert f"{day.isoformat()}T{first.start_time}:00+08:00" in starts
    for s in slots:
        start = dt.datetime.fromisoformat(s["start"])
        end = dt.datetime.fromisoformat(s["end"])
        assert (end - start).total_seconds() / 60 in {x.duration_minutes for x in template.slots}


def test_same_template_same_bytes(template, tmp_path):
    a = write_fhir_bundle(template, tmp_path / "a.fhir.json", MONDAY)
    b = write_fhir_bundle(template, tmp_path / "b.fhir.json", MONDAY)
    assert a.read_bytes() == b.read_bytes()
    ids = [e["fullUrl"] for e in json.loads(a.read_text())["entry"]]
    assert len(ids) == len(set(ids))


def test_week_must_be_a_monday_and_offset_valid(template):
    with pytest.raises(ConfigError, match="Monday"):
        template_bundle(template, MONDAY + dt.timedelta(days=1))
    with pytest.raises(ConfigError, match="fhir_utc_offset"):
        template_bundle(template, MONDAY, "8 hours")
    assert week_start_after(dt.date(2026, 3, 1)) == MONDAY  # Sunday -> next day
    assert week_start_after(MONDAY) == MONDAY + dt.timedelta(days=7)


def test_skipped_polyclinic_is_in_summary_with_verdict():
    base = demo_network_result()
    result = dataclasses.replace(
        base,
        assumptions={
            **dict(base.assumptions),
            "skipped_polyclinics": {"PC09": "not estimated: no consultation records"},
        },
    )
    summary = build_summary(result)
    assert summary["skipped"] == [
        {"polyclinic_id": "PC09", "reason": "not estimated: no consultation records"}
    ]
    entry = next(e for e in summary["polyclinics"] if e["polyclinic_id"] == "PC09")
    assert entry["verdict"] == "skipped"
    assert entry["reason"].startswith("not estimated")


def test_unreserved_slot_is_a_valid_slot():
    s = Slot(0, 480, 15, ANY_VISIT_TYPE, "Mon-AM-D01")
    assert s.visit_type == "any"
