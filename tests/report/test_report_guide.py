"""guide.md covers every polyclinic, weekday, doctor session and overbooked slot."""

from __future__ import annotations

import re

import pytest

from polyslot.report.demo import demo_network_result
from polyslot.report.guide import WEEKDAY_NAMES, abbreviations, build_guide
from polyslot.report.markdown import markdown_to_html


@pytest.fixture(scope="module")
def network():
    return demo_network_result(n_polyclinics=2, seed=1)


@pytest.fixture(scope="module")
def guide(network):
    return build_guide(network)


def test_every_polyclinic_and_weekday(network, guide):
    sections = re.split(r"^## Polyclinic ", guide, flags=re.M)[1:]
    assert [s.split("\n", 1)[0] for s in sections] == [r.polyclinic_id for r in network.polyclinics]
    for res, text in zip(network.polyclinics, sections, strict=True):
        days = re.findall(r"^### (\w+)$", text, flags=re.M)
        assert [d for d in days if d in WEEKDAY_NAMES] == [
            WEEKDAY_NAMES[d] for d in res.recommended.weekdays
        ]
        for heading in (
            "Phased roll-out plan",
            "KPIs and thresholds to monitor",
            "When to re-run polyslot",
        ):
            assert heading in text
        assert f"templates/{res.polyclinic_id}.xlsx" in text


def test_start_times_per_session_match_template(network, guide):
    res = network.polyclinics[0]
    codes = abbreviations(list(res.model.visit_types))
    for sid, slots in res.recommended.sessions().items():
        line = next(x for x in guide.splitlines() if x.startswith(f"- `{sid}` ("))
        listed = line.split("): ", 1)[1].split(", ")
        expected = [
            f"{'+' if s.overbooked else ''}{s.start_time} {codes[s.visit_type]}" for s in slots
        ]
        assert listed == expected


def test_overbooking_rules_and_slot_counts(network, guide):
    total_ob = sum(s.overbooked for r in network.polyclinics for s in r.recommended.slots)
    assert len(re.findall(r"^- `[^`]+` at \d\d:\d\d: one extra ", guide, flags=re.M)) == total_ob
    # slots-per-hour rows add up to the day's slots
    res = network.polyclinics[1]
    day = res.recommended.for_weekday(0)
    sec = guide.split(f"## Polyclinic {res.polyclinic_id}")[1].split("### Tuesday")[0]
    table = sec.split("**Slots per hour per visit type**")[1].split("**Appointment")[0]
    totals = [int(r.split("|")[-3]) for r in table.splitlines() if re.match(r"\| \d\d:00", r)]
    assert sum(totals) == len(day.slots)


def test_guide_is_deterministic_and_converts_to_html(network, guide):
    assert build_guide(demo_network_result(n_polyclinics=2, seed=1)) == guide
    html = markdown_to_html(guide, heading_offset=1)
    assert html.count("<h2>") == 1 and "<table>" in html and "<ol>" in html
    assert "<script" not in html


def test_markdown_escapes_html():
    assert markdown_to_html("a <b> & `c<d>`") == "<p>a &lt;b&gt; &amp; <code>c&lt;d&gt;</code></p>"
