"""The studio's network page over a run with a network plan: the moves listed, and a what-if
(add or take off a doctor in one session, optionally with the opposite change elsewhere) whose
KPIs are the one clinic model's for the changed sessions, with the run's settings and seed."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from fastapi.testclient import TestClient

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.evaluation.day_settings import DaySettings, day_seed, polyclinic_seed
from polyslot.report.export import read_template
from polyslot.report.run_kpis import run_config
from polyslot.studio import create_app
from polyslot.template import WEEKDAYS


def _minute(t: str) -> int:
    return int(t[:2]) * 60 + int(t[3:])


def reference_kpis(out, plan, pid, weekday, half, change):
    """The day's KPIs computed here, independently of the studio: the model's sessions with the
    plan's moves, one doctor-session added (the half-day's hours) or taken off (the last in id
    order), the network template, the run's settings and seed."""
    model = ClinicModel.from_json(out / "model" / f"{pid}.json")
    sessions = list(model.sessions)
    d = WEEKDAYS.index(weekday)
    for m in plan["moves"]:
        if m["from"] == pid:
            sessions = [s for s in sessions if s.session_id != m["doctor_session"]
                        or s.weekday != WEEKDAYS.index(m["weekday"])]  # fmt: skip
        if m["to"] == pid:
            sessions.append(DoctorSession(WEEKDAYS.index(m["weekday"]), m["borrower_session"],
                                          _minute(m["start_time"]), _minute(m["end_time"])))
    mine = sorted((s for s in sessions if s.weekday == d and (s.start_minute < 720) ==
                   (half == "AM")), key=lambda s: s.session_id)  # fmt: skip
    if change < 0:
        sessions.remove(mine[-1])
    elif change > 0:
        sessions.append(DoctorSession(d, "extra", mine[0].start_minute, mine[0].end_minute))
    cfg = run_config(out)
    days = DaySettings.from_config(cfg)
    tpl = read_template(out / "network" / "templates" / f"{pid}.json")
    day = days.build(dataclasses.replace(model, sessions=tuple(sessions)), tpl, d)
    return days.evaluate(day, day_seed(polyclinic_seed(cfg.seed, pid), d))


def value(html: str, pid: str, kpi: str, when: str) -> float:
    m = re.search(rf'id="nw-{pid}-{kpi}-{when}" data-value="([^"]+)"', html)
    assert m, f"nw-{pid}-{kpi}-{when} not in the answer"
    return float(m.group(1))


@pytest.fixture(scope="module")
def client(network_run):
    with TestClient(create_app(network_run), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def plan(network_run):
    import json

    return json.loads((network_run / "network" / "plan.json").read_text())


def test_page_lists_the_moves(client, plan):
    page = client.get("/network")
    assert page.status_code == 200
    assert html.escape(plan["message"], quote=False) in page.text
    rows = re.findall(r'<tr id="move-(\d+)">', page.text)
    assert [int(r) for r in rows] == [m["order"] for m in plan["moves"]]
    assert 'href="/network"' in client.get("/").text


def test_undo_a_move_shows_both_polyclinics(client, plan, network_run):
    m = plan["moves"][0]
    form = {"polyclinic": m["to"], "weekday": m["weekday"], "session": m["session"],
            "change": "-1", "other": m["from"]}  # fmt: skip
    res = client.post("/network/what-if", data=form)
    assert res.status_code == 200, res.text
    for pid, change in ((m["to"], -1), (m["from"], +1)):
        before = reference_kpis(network_run, plan, pid, m["weekday"], m["session"], 0)
        after = reference_kpis(network_run, plan, pid, m["weekday"], m["session"], change)
        for kpi in ("wait_mean", "overtime", "patients_served", "utilization"):
            assert value(res.text, pid, kpi, "before") == pytest.approx(before.value(kpi), 1e-12)
            assert value(res.text, pid, kpi, "after") == pytest.approx(after.value(kpi), 1e-12)
    # the borrower loses the doctor: longer waits; the lender gets it back: shorter ones
    assert value(res.text, m["to"], "wait_mean", "after") > value(res.text, m["to"], "wait_mean",
                                                                   "before")
    assert value(res.text, m["from"], "wait_mean", "after") <= value(
        res.text, m["from"], "wait_mean", "before")


def test_hire_one_doctor_alone(client, plan, network_run):
    res = client.post("/network/what-if", data={"polyclinic": "PC02", "weekday": "Mon",
                                                "session": "PM", "change": "+1", "other": ""})
    assert res.status_code == 200
    assert res.text.count('class="network-kpis"') == 1
    after = reference_kpis(network_run, plan, "PC02", "Mon", "PM", +1)
    assert value(res.text, "PC02", "wait_mean", "after") == pytest.approx(
        after.value("wait_mean"), 1e-12)


@pytest.mark.parametrize(
    ("form", "field", "bad"),
    [
        ({"polyclinic": "XX"}, "polyclinic", "XX"),
        ({"weekday": "Funday"}, "weekday", "Funday"),
        ({"session": "NOON"}, "session", "NOON"),
        ({"change": "+3"}, "change", "+3"),
        ({"other": "PC02"}, "other", "PC02"),
        ({"weekday": "Sun"}, "session", "AM"),
    ],
)
def test_bad_what_if_is_refused_with_the_value(client, form, field, bad):
    base = {"polyclinic": "PC02", "weekday": "Mon", "session": "AM", "change": "+1",
            "other": "PC03"}  # fmt: skip
    res = client.post("/network/what-if", data={**base, **form})
    assert res.status_code == 422
    msg = re.search(r'id="network-error"[^>]*>([^<]+)<', res.text).group(1)
    assert msg.startswith(f"{field} = {bad}:"), msg
