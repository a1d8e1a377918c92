"""Lenders asked on the driver: when the lenders chosen from the history cannot cover what a
borrower would take, the others are asked (their responses computed there, marked ``driver``)
and the MIP solved again; a plan redone from the files says the same."""

from __future__ import annotations

import dataclasses
import json
import shutil

from polyslot.network.finished import load_clinics, redo_network
from polyslot.network.mip import NetworkProblem, NetworkSolution, Option
from polyslot.network.outputs import read_responses
from polyslot.network.plan import plan_network
from polyslot.network.topup import shortfalls
from polyslot.report.run_kpis import RUN_CONFIG_FILE, run_config
from polyslot.staffing import StaffingResponse


def test_shortfall_is_what_the_borrower_wanted_beyond_what_it_got():
    opts = (
        Option("A", 0, 0, 0, 1000.0), Option("A", 0, 1, 1, 400.0), Option("A", 0, 1, 0, 700.0),
        Option("A", 0, 0, 1, 600.0, patient_shortfall=2.0),
        Option("B", 0, 0, 0, 300.0), Option("B", 0, -1, 0, 310.0),
    )  # fmt: skip
    problem = NetworkProblem(opts)
    got = NetworkSolution("optimal", 1010.0, 1300.0, {("A", 0): opts[2], ("B", 0): opts[5]})
    assert shortfalls(problem, got) == {(0, "PM"): 1}
    none = NetworkSolution("optimal", 1300.0, 1300.0, {("A", 0): opts[0], ("B", 0): opts[4]})
    assert shortfalls(problem, none) == {(0, "AM"): 1, (0, "PM"): 1}


def test_more_lenders_asked_and_redone_identically(network_run, tmp_path):
    # a lender may take any load here (whether a given lender's Monday fits within the default
    # 2 minutes depends on the run's numbers; the mechanism is what this test is about)
    copy = tmp_path / "out"
    shutil.copytree(network_run, copy)
    settings = json.loads((copy / RUN_CONFIG_FILE).read_text())
    settings.setdefault("network", {})["lender_tolerance"] = 60.0
    (copy / RUN_CONFIG_FILE).write_text(json.dumps(settings))
    cfg = run_config(copy)
    responses = read_responses(network_run)
    lenders = sorted(p for p, r in responses.items() if any(w.role == "lend" for w in r.weekdays))
    assert lenders, "the small network has a lender"
    # pretend the lenders chosen from the history were never asked on Monday
    kept = {
        p: StaffingResponse(p, tuple(w for w in r.weekdays if not (w.role == "lend"
                                                                 and w.weekday == 0)))
        for p, r in responses.items()
    }  # fmt: skip
    clinics = [dataclasses.replace(c, staffing=kept.get(c.polyclinic_id))
               for c in load_clinics(network_run)]  # fmt: skip
    plan = plan_network(clinics, cfg)
    asked = {p for p, r in plan.staffing.items() if any(w.driver for w in r.weekdays)}
    assert asked and plan.notes and all("asked to lend on Mon" in n for n in plan.notes)
    # their Monday responses were computed on the driver (the MIP then chose among them)
    assert all(
        any(w.driver and w.weekday == 0 and w.role == "lend" for w in plan.staffing[p].weekdays)
        for p in asked
    )
    # written and redone: the same plan, no lender asked again
    shutil.rmtree(copy / "network" / "responses")
    for p, r in plan.staffing.items():
        (copy / "network" / "responses").mkdir(parents=True, exist_ok=True)
        (copy / "network" / "responses" / f"{p}.json").write_text(json.dumps(r.to_dict()))
    doc = redo_network(copy)
    assert doc["notes"] == list(plan.notes)
    assert [m["doctor_session"] for m in doc["moves"]] == [m["doctor_session"] for m in plan.moves]
