"""The network plan of a finished run (the small network of tests/conftest.py: PC02 overloaded,
PC01 and PC03 not): plan.json, roster.csv and templates agree with each other and with the
staffing responses; the roster and templates re-simulated by the SimPy simulator agree with the
plan's KPIs; ``polyslot network OUT`` redoes it byte for byte; a network without an overloaded
polyclinic gets no moves and says so."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.config import RunConfig
from polyslot.day import build_day
from polyslot.network.finished import load_clinics, redo_network
from polyslot.network.outputs import ROSTER_COLUMNS, read_responses
from polyslot.network.plan import plan_network
from polyslot.report.export import read_template
from polyslot.report.run_kpis import run_config
from polyslot.simulate.clinic_runs import simulate_clinic_day
from polyslot.template import WEEKDAYS

runner = CliRunner()


def _plan(out: Path) -> dict:
    return json.loads((out / "network" / "plan.json").read_text())


def test_plan_moves_doctors_to_the_overloaded_polyclinic(network_run):
    doc = _plan(network_run)
    assert doc["overloaded"] == {"PC02": ["Mon", "Tue"]}
    assert doc["status"] == "moves" and doc["moves"], doc["message"]
    assert {m["to"] for m in doc["moves"]} == {"PC02"}
    assert "PC02" not in {m["from"] for m in doc["moves"]}
    assert [m["order"] for m in doc["moves"]] == list(range(1, len(doc["moves"]) + 1))
    # every move joins the lender's removed session and the borrower's added one, same half
    responses = read_responses(network_run)
    for m in doc["moves"]:
        d = WEEKDAYS.index(m["weekday"])
        lender = ClinicModel.from_json(network_run / "model" / f"{m['from']}.json")
        sess = next(s for s in lender.sessions if s.session_id == m["doctor_session"])
        assert sess.weekday == d and (sess.start_minute < 720) == (m["session"] == "AM")
        assert responses[m["to"]].weekday(d).role == "borrow"
    # changes and moves agree: per polyclinic, weekday and half, sessions in = sessions out
    net = Counter()
    for m in doc["moves"]:
        net[(m["to"], m["weekday"], m["session"])] += 1
        net[(m["from"], m["weekday"], m["session"])] -= 1
    for c in doc["changes"]:
        for h in ("AM", "PM"):
            assert net.pop((c["polyclinic_id"], c["weekday"], h), 0) == c[h]
        assert c["lender_wait_excess"] <= doc["settings"]["lender_tolerance"] + 1e-9
        assert c["lender_overtime_excess"] <= doc["settings"]["lender_tolerance"] + 1e-9
    assert all(v == 0 for v in net.values())
    # the overloaded polyclinic serves today's patients with less overtime than its own plan
    pc02 = next(p for p in doc["polyclinics"] if p["polyclinic_id"] == "PC02")
    assert pc02["role"] == "borrows"
    assert pc02["network"]["patients_served"]["mean"] > pc02["recommended"]["patients_served"][
        "mean"]
    assert pc02["network"]["overtime"]["mean"] < pc02["today"]["overtime"]["mean"]
    assert doc["objective"]["network"] < doc["objective"]["recommended"]


def test_roster_is_the_model_week_with_the_moves(network_run):
    doc = _plan(network_run)
    roster = pd.read_csv(network_run / "network" / "roster.csv", dtype=str)
    assert tuple(roster.columns) == ROSTER_COLUMNS
    cfg = run_config(network_run)
    week = sorted(set(roster["date"]))
    monday = pd.Timestamp(week[0])
    assert monday.weekday() == 0 and cfg.fhir_week_start is None
    for pid in ("PC01", "PC02", "PC03"):
        model = ClinicModel.from_json(network_run / "model" / f"{pid}.json")
        want = Counter((s.weekday, s.start_minute < 720) for s in model.sessions)
        for m in doc["moves"]:
            key = (WEEKDAYS.index(m["weekday"]), m["session"] == "AM")
            want[key] += (m["to"] == pid) - (m["from"] == pid)
        got = Counter()
        for r in roster[roster["polyclinic_id"] == pid].itertuples():
            d = (pd.Timestamp(r.date) - monday).days
            got[(d, int(r.start_time[:2]) < 12)] += int(r.doctors)
        assert got == +want, pid


def _network_sessions(out: Path, pid: str, tpl) -> tuple[DoctorSession, ...]:
    """The polyclinic's sessions read back from roster.csv: one per doctor of a period, named
    after the template's sessions whose slots lie in the period (the others, doctors without
    slots of their own, get new names)."""
    roster = pd.read_csv(out / "network" / "roster.csv", dtype=str)
    monday = pd.Timestamp(min(roster["date"]))
    spans: dict[tuple[int, str], list[int]] = {}
    for s in tpl.slots:
        span = spans.setdefault((s.weekday, s.doctor_session), [s.start_minute, s.start_minute])
        span[0], span[1] = min(span[0], s.start_minute), max(span[1], s.start_minute)
    out_s, used = [], set()
    for r in roster[roster["polyclinic_id"] == pid].itertuples():
        d = (pd.Timestamp(r.date) - monday).days
        a = int(r.start_time[:2]) * 60 + int(r.start_time[3:])
        b = int(r.end_time[:2]) * 60 + int(r.end_time[3:])
        names = sorted(sid for (e, sid), (lo, hi) in spans.items()
                       if e == d and a <= lo and hi < b and (e, sid) not in used)  # fmt: skip
        for k in range(int(r.doctors)):
            sid = names[k] if k < len(names) else f"{WEEKDAYS[d]}-{a}-extra{k}"
            used.add((d, sid))
            out_s.append(DoctorSession(d, sid, a, b))
    return tuple(out_s)


def test_templates_are_the_chosen_points(network_run):
    doc = _plan(network_run)
    responses = read_responses(network_run)
    for c in doc["changes"]:
        d = WEEKDAYS.index(c["weekday"])
        tpl = read_template(network_run / "network" / "templates" / f"{c['polyclinic_id']}.json")
        w = responses[c["polyclinic_id"]].weekday(d)
        point = next(p for p in w.points if p.key == (c["AM"], c["PM"], c["template"]))
        got = sorted((s.start_minute, s.visit_type, s.doctor_session) for s in tpl.slots
                     if s.weekday == d)  # fmt: skip
        assert got == sorted((s.start_minute, s.visit_type, s.doctor_session) for s in point.slots)
    # polyclinics and weekdays without a change keep the recommended template
    for pid in ("PC01", "PC02", "PC03"):
        tpl = read_template(network_run / "network" / "templates" / f"{pid}.json")
        rec = read_template(network_run / "templates" / f"{pid}.json")
        changed = {WEEKDAYS.index(c["weekday"]) for c in doc["changes"]
                   if c["polyclinic_id"] == pid}  # fmt: skip
        for d in set(rec.weekdays) - changed:
            assert tpl.for_weekday(d).slots == rec.for_weekday(d).slots


def test_roster_and_templates_resimulated_agree_with_the_plan(network_run):
    """SimPy (the independent reference) on the clinic days built from roster.csv and the
    network templates: mean wait, patients and overtime within the 95% interval of the
    difference from the plan's KPIs (the fast evaluator's)."""
    doc = _plan(network_run)
    responses = read_responses(network_run)
    cfg = run_config(network_run)
    checked = 0
    for c in doc["changes"]:
        pid, d = c["polyclinic_id"], WEEKDAYS.index(c["weekday"])
        model = ClinicModel.from_json(network_run / "model" / f"{pid}.json")
        tpl = read_template(network_run / "network" / "templates" / f"{pid}.json")
        sessions = _network_sessions(network_run, pid, tpl)
        assert {s.doctor_session for s in tpl.slots if s.weekday == d} <= {
            s.session_id for s in sessions if s.weekday == d}
        roster_model = dataclasses.replace(model, sessions=sessions)
        day = build_day(roster_model, tpl, d, discipline=cfg.simulate.discipline,
                        late_threshold=cfg.simulate.late_threshold_minutes)
        sim = simulate_clinic_day(day, replications=200, seed=7)
        point = next(p for p in responses[pid].weekday(d).points
                     if p.key == (c["AM"], c["PM"], c["template"]))  # fmt: skip
        for kpi, sim_key in (("wait_mean", "wait_mean"), ("patients_served", "patients_seen"),
                             ("overtime", "doctor_overtime")):
            mean, half = float(sim[sim_key]), float(sim[f"{sim_key}_ci"])
            gap = abs(mean - point.value(kpi))
            allowed = 1.96 * math.hypot(half / 1.96, point.se(kpi)) + 1e-9
            assert gap <= allowed, (pid, c["weekday"], kpi, mean, point.value(kpi), allowed)
        checked += 1
    assert checked >= 2


def test_network_command_redoes_the_plan_byte_for_byte(network_run, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(network_run, copy)
    res = runner.invoke(app, ["network", str(copy)])
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "network plan:" in res.stdout
    for name in ("network/plan.json", "network/roster.csv", "network/inputs.json",
                 "network/templates/PC02.json", "network/templates/PC03.csv", "report.html",
                 "guide.md"):  # fmt: skip
        assert (copy / name).read_bytes() == (network_run / name).read_bytes(), name
    # without the saved responses they are computed again: the same plan
    shutil.rmtree(copy / "network" / "responses")
    doc = redo_network(copy)
    assert doc == _plan(network_run)


def test_report_and_guide_show_the_plan(network_run):
    doc = _plan(network_run)
    html = (network_run / "report.html").read_text()
    first = html.index('<section id="network-plan">')
    assert first < html.index('<section id="verdicts">')
    assert 'id="fig-network-plan"' in html
    assert html.count("polyslot:network-plan") == 2 and html.count("polyslot:network-guide") == 2
    guide = (network_run / "guide.md").read_text()
    assert "## Network plan: doctor-sessions between polyclinics" in guide
    for m in doc["moves"]:
        row = (f"| {m['order']} | {m['weekday']} | {m['session']} | {m['start_time']}-"
               f"{m['end_time']} | {m['from']} | {m['doctor_session']} | {m['to']} |")
        assert row in guide


def test_no_overloaded_polyclinic_no_moves_and_says_so(network_run, tmp_path):
    clinics = [dataclasses.replace(c, overloaded=()) for c in load_clinics(network_run)]
    cfg = run_config(network_run)
    plan = plan_network(clinics, cfg)
    assert plan.status == "no_overloaded" and plan.moves == () and plan.hires == ()
    assert plan.message.startswith("no polyclinic is overloaded")
    # its templates and roster are the recommended ones
    for c in clinics:
        assert plan.templates[c.polyclinic_id].slots == tuple(sorted(
            c.recommended.slots, key=lambda s: (s.weekday, s.doctor_session, s.start_minute,
                                                s.visit_type)))  # fmt: skip
        assert plan.sessions[c.polyclinic_id] == tuple(sorted(
            c.model.sessions, key=lambda s: (s.weekday, s.start_minute, s.session_id)))
    # the same through the step of a run: plan.json and the report say so
    copy = tmp_path / "out"
    shutil.copytree(network_run, copy)
    inputs = json.loads((copy / "network" / "inputs.json").read_text())
    for v in inputs["polyclinics"].values():
        v["overloaded"] = []
    (copy / "network" / "inputs.json").write_text(json.dumps(inputs))
    doc = redo_network(copy)
    assert doc["status"] == "no_overloaded" and doc["moves"] == []
    html = (copy / "report.html").read_text()
    assert "no polyclinic is overloaded" in html
    assert "no polyclinic is overloaded" in (copy / "guide.md").read_text()


def test_disabled_network_is_refused_by_the_command(network_run, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(network_run, copy)
    cfg = json.loads((copy / "run_config.json").read_text())
    cfg["network"]["enabled"] = False
    (copy / "run_config.json").write_text(json.dumps(cfg))
    res = runner.invoke(app, ["network", str(copy)])
    assert res.exit_code == 2
    assert "network.enabled" in res.stderr and "Traceback" not in res.stdout + res.stderr


@pytest.mark.parametrize("bad", ["nope", "empty"])
def test_network_command_bad_folder(tmp_path, bad):
    folder = tmp_path / bad
    if bad == "empty":
        folder.mkdir()
    res = runner.invoke(app, ["network", str(folder)])
    assert res.exit_code == 2 and "run_config.json" in res.stderr
    assert RunConfig().network.enabled
