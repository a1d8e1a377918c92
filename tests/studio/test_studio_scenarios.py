"""Scenarios: saved atomically under studio/scenarios/, listed, reopened after a restart and
after a new run into the same folder (stale when the run changed), compared, exported."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from polyslot.errors import InputError
from polyslot.report.export import read_template
from polyslot.studio import create_app
from polyslot.studio.scenarios import ScenarioStore, run_identity

from .conftest import make_small_run
from .reference import reference_day
from .test_studio_api import kpi


@pytest.fixture()
def run_copy(small_run, tmp_path):
    """A private copy of the small run (these tests write scenarios and change the run)."""
    out = tmp_path / "out"
    shutil.copytree(small_run, out, ignore=shutil.ignore_patterns("studio", "edits"))
    return out


def test_store_round_trip_and_names(run_copy, model) -> None:
    store = ScenarioStore(run_copy)
    tpl = model.current_template
    sc = store.save(tpl, "plan A", {"demand": 1.2})
    path = run_copy / "studio" / "scenarios" / "PC01" / "plan A.json"
    assert path.is_file() and not list(path.parent.glob(".*.tmp"))  # atomic, no leftovers
    doc = json.loads(path.read_text())
    assert doc["format"] == "polyslot-studio-scenario" and doc["run_id"] == sc.run_id
    assert len(doc["slots"]) == len(tpl.slots)
    back = store.load("PC01", "plan A")
    assert back.template.slots == tpl.slots and back.whatif == {"demand": 1.2}
    assert not back.stale and back.run_id == run_identity(run_copy, "PC01")
    assert [s.name for s in store.list("PC01")] == ["plan A"]
    for bad, text in (
        ("../x", "letters"),
        ("", "letters"),
        ("working", "reserved"),
        ("a" * 65, "letters"),
        ("x/y", "letters"),
    ):
        with pytest.raises(InputError) as err:
            store.save(tpl, bad)
        assert text in str(err.value) and err.value.value == bad
    with pytest.raises(KeyError):
        store.load("PC01", "nope")


def test_a_new_run_keeps_scenarios_and_marks_them_stale(run_copy, model) -> None:
    store = ScenarioStore(run_copy)
    store.save(model.current_template, "before")
    make_small_run(run_copy)  # a new run into the same folder
    assert store.load("PC01", "before").template.slots == model.current_template.slots
    summary = json.loads((run_copy / "summary.json").read_text())
    summary["polyclinics"][0]["verdict"] = "keep_current"  # the run's results changed
    (run_copy / "summary.json").write_text(json.dumps(summary))
    old = store.load("PC01", "before")
    assert old.stale and old.run_id != run_identity(run_copy, "PC01")
    with TestClient(create_app(run_copy)) as c:
        r = c.post("/pc/PC01/Mon/scenarios/open", data={"name": "before"})
        assert r.status_code == 200 and r.headers["hx-redirect"] == "/pc/PC01/Mon"
        page = c.get("/pc/PC01/Mon").text
        assert 'id="scenario-note"' in page and "older run" in page
        assert old.run_id in page
        assert "older run" in c.get("/pc/PC01/Mon/panel/scenarios").text


def test_save_restart_reopen_compare_export(run_copy, model, tmp_path) -> None:
    s0 = next(s for s in model.current_template.slots if s.weekday == 0)
    with TestClient(create_app(run_copy)) as c:
        c.post("/pc/PC01/Mon/reset", data={"to": "current"})
        r = c.post(
            "/pc/PC01/Mon/cell", data={"hour": s0.hour, "visit_type": s0.visit_type, "op": "inc"}
        )
        saved_wait = kpi(r.text, "working", "wait_mean")
        saved_api = c.get("/api/kpis?polyclinic=PC01&weekday=Mon&template=working").content
        r = c.post("/pc/PC01/Mon/scenarios", data={"name": "one more"})
        assert r.status_code == 200 and "studio/scenarios/PC01/one more.json" in r.text
        bad = c.post("/pc/PC01/Mon/scenarios", data={"name": "a/b"})
        assert bad.status_code == 422 and "name = a/b" in bad.text
    with TestClient(create_app(run_copy)) as c:  # a restart: the working copy is new
        assert kpi(c.get("/pc/PC01/Mon").text, "working", "wait_mean") != saved_wait
        listed = c.get("/api/pc/PC01/scenarios").json()
        assert [s["name"] for s in listed] == ["one more"] and not listed[0]["stale"]
        assert c.post("/pc/PC01/Mon/scenarios/open", data={"name": "one more"}).status_code == 200
        page = c.get("/pc/PC01/Mon").text
        assert kpi(page, "working", "wait_mean") == saved_wait
        assert "reopened from scenario" in page
        api = c.get("/api/kpis?polyclinic=PC01&weekday=Mon&template=working").content
        assert api.replace(b'"working"', b"") == saved_api.replace(b'"working"', b"")
        # the scenario by name gives the same numbers as the working copy it was saved from
        named = c.get("/api/kpis?polyclinic=PC01&weekday=Mon&template=one more").json()
        assert named["kpis"] == json.loads(api)["kpis"]
        # compare: scenario vs current, KPIs and the one cell that differs
        cmp = c.get("/pc/PC01/compare", params={"a": "current", "b": "one more", "day": "Mon"})
        assert cmp.status_code == 200
        ref = reference_day(model, model.current_template, 0)
        a = float(re.search(r'id="cmp-a-wait_mean" data-value="([^"]+)"', cmp.text).group(1))
        b = float(re.search(r'id="cmp-b-wait_mean" data-value="([^"]+)"', cmp.text).group(1))
        assert a == pytest.approx(ref["wait_mean"], rel=1e-9) and b == saved_wait
        n = sum(
            1
            for s in model.current_template.slots
            if s.weekday == 0 and (s.hour, s.visit_type) == (s0.hour, s0.visit_type)
        )
        cells = re.findall(
            r"<tr><td>(\d\d:00)</td><td>([^<]+)</td><td[^>]*>(\d+)</td>"
            r"<td[^>]*>(\d+)</td></tr>",
            cmp.text,
        )
        assert cells == [(f"{s0.hour:02d}:00", s0.visit_type, str(n), str(n + 1))]
        assert c.get("/pc/PC01/compare", params={"a": "nope"}).text.startswith("a = nope")
        # export the scenario in every format
        for fmt in ("csv", "json", "xlsx"):
            resp = c.get(f"/pc/PC01/export/{fmt}", params={"template": "one more"})
            assert (
                resp.status_code == 200 and "PC01-one_more" in resp.headers["content-disposition"]
            )
            path = tmp_path / f"s.{fmt}"
            path.write_bytes(resp.content)
            assert (
                read_template(path).for_weekday(0).slots
                == read_template(tmp_path / "s.csv").for_weekday(0).slots
            )
        got = read_template(tmp_path / "s.csv")
        assert (
            sum(1 for s in got.slots if s.weekday == 0)
            == sum(1 for s in model.current_template.slots if s.weekday == 0) + 1
        )
        fhir = c.get("/pc/PC01/export/fhir", params={"template": "one more"}).json()
        slots = [e for e in fhir["entry"] if e["resource"]["resourceType"] == "Slot"]
        assert len(slots) == len(got.slots)
        missing = c.get("/pc/PC01/export/csv", params={"template": "ghost"})
        assert missing.status_code == 422 and "template = ghost" in missing.text


def test_legacy_edits_file_is_listed(run_copy, model) -> None:
    from polyslot.report.export import write_template_json

    write_template_json(model.current_template, run_copy / "edits" / "PC01.json")
    store = ScenarioStore(run_copy)
    (legacy,) = store.list("PC01")
    assert legacy.name == "edits" and legacy.run_id is None and legacy.stale
    assert legacy.template.slots == model.current_template.slots
