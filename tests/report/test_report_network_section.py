"""The network plan's parts of report.html and guide.md: rendered from the plan document
between their markers, replaced in place (``polyslot network OUT``), idempotently."""

from __future__ import annotations

import dataclasses

import pytest

from polyslot.report.demo import demo_network_result
from polyslot.report.guide import build_guide
from polyslot.report.html import count_figures, render_report
from polyslot.report.markdown import markdown_to_html
from polyslot.report.network_section import (
    MARKERS,
    network_guide_lines,
    splice_guide,
    splice_report,
)


def _week(p, o, w):
    def e(v):
        return {"mean": v, "ci_low": v - 1, "ci_high": v + 1}

    return {"patients_served": e(p), "overtime": e(o), "wait_mean": e(w)}


DOC = {
    "status": "moves",
    "message": "1 doctor-session a week move (PC01 -> PC02)",
    "target_wait_minutes": 2.5,
    "moves": [{"order": 1, "from": "PC01", "to": "PC02", "weekday": "Tue", "session": "PM",
               "doctor_session": "Tue-PM-D04", "borrower_session": "Tue-PM-net1",
               "start_time": "13:00", "end_time": "17:00", "gain_per_session": 900.0}],
    "added_sessions": [{"polyclinic_id": "PC02", "weekday": "Tue", "AM": 1, "PM": 1, "added": 2,
                        "reachable": False, "template": "optimised", "reason": "x",
                        "wait_mean": 4.0, "overtime": 50.0, "patients_served": 150.0}],
    "polyclinics": [
        {"polyclinic_id": "PC01", "role": "lends", "today": _week(500, 40, 1.0),
         "recommended": _week(510, 45, 1.2), "network": _week(505, 60, 1.9)},
        {"polyclinic_id": "PC02", "role": "borrows", "today": _week(800, 900, 20.0),
         "recommended": _week(700, 400, 7.0), "network": _week(760, 300, 6.0)},
    ],
    "network": {"today": _week(1300, 940, 12.0), "recommended": _week(1210, 445, 4.0),
                "network": _week(1265, 360, 3.5)},
    "goals": {"overloaded": {"PC02": {
        "patients_served_today": 800, "patients_served_network": 760,
        "patients_at_least_today": False, "overtime_today": 900, "overtime_network": 300,
        "overtime_below_today": True, "wait_recommended": 7.0, "wait_network": 6.0,
        "wait_within_margin": True, "met": False}}, "lenders_within_tolerance": True,
        "network_patients_at_least_today": False, "met": False,
        "added_sessions_for_goals": []},
}  # fmt: skip


def test_report_without_a_plan_has_only_the_markers():
    html = render_report(demo_network_result(2))
    for start, end in MARKERS.values():
        assert html.count(start) == 1 and html.count(end) == 1
    assert 'id="network-plan"' not in html and "Network plan" not in html


def test_report_with_a_plan_shows_it_first():
    result = dataclasses.replace(demo_network_result(2), network=DOC)
    html = render_report(result)
    sec = html.index('<section id="network-plan">')
    assert sec < html.index('<section id="verdicts">') < html.index('<section id="network">')
    # its figure comes first and carries plotly.js; every figure is counted
    assert html.index('id="fig-network-plan"') < html.index('id="fig-network"')
    assert html.count("window.PlotlyConfig") == 1  # plotly.js embedded once, by the first
    assert html.index("window.PlotlyConfig") < html.index('id="fig-network-plan"')
    assert f'content="{count_figures(html)}"' in html
    assert "<td>PC02</td><td>borrows</td><td>800 [799, 801]</td>" in html
    assert "Tue-PM-D04" in html and "more than 2" in html
    guide = build_guide(result)
    assert "| 1 | Tue | PM | 13:00-17:00 | PC01 | Tue-PM-D04 | PC02 |" in guide


def test_splice_replaces_the_parts_idempotently():
    bare = render_report(demo_network_result(2))
    once = splice_report(bare, DOC)
    assert once.count('id="fig-network-plan"') == 1 and "Tue-PM-D04" in once
    # no figure before the section in the page: its own carries plotly.js (a second copy)
    assert once.index("window.PlotlyConfig") < once.index('id="fig-network-plan"')
    plan_first = splice_report(render_report(dataclasses.replace(demo_network_result(2),
                                                                 network=DOC)), DOC)
    assert plan_first.count("window.PlotlyConfig") == 1
    assert f'content="{count_figures(once)}"' in once
    assert splice_report(once, DOC) == once  # redoing gives the same page
    gone = splice_report(once, {})
    assert 'id="fig-network-plan"' not in gone and gone.count(MARKERS["section"][0]) == 1
    md = build_guide(demo_network_result(2))
    md1 = splice_guide(md, DOC)
    assert splice_guide(md1, DOC) == md1 and "Tue-PM-D04" in md1
    assert splice_guide(md1, {}) == md
    with pytest.raises(ValueError, match="markers"):
        splice_guide("# a guide of an older run\n", DOC)


def test_markers_pass_through_markdown():
    text = "\n".join(network_guide_lines(DOC))
    html = markdown_to_html(text, heading_offset=1)
    start, end = MARKERS["guide"]
    assert html.startswith(start) and html.rstrip().endswith(end)
    assert "&lt;!--" not in html
