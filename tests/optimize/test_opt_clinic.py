"""optimize_clinic end to end on one weekday of the example clinic (its two CLI commands:
``tests/cli/test_cli_optimize.py``)."""

from __future__ import annotations

from collections import Counter

import pytest

from polyslot.optimize import OptimizeConfig, optimize_clinic
from polyslot.optimize.weekday_inputs import weekday_inputs
from polyslot.template import SlotTemplate


@pytest.fixture(scope="module")
def result(monday_only):
    return optimize_clinic(monday_only(), OptimizeConfig(sequencing_max_iter=10))


def test_calibration_agrees_within_five_percent(result):
    day = result.weekdays[0]
    last = day.calibration[-1]
    assert last.rel_error <= 0.05
    assert day.to_dict()["calibrated_within_tolerance"] is True
    assert abs(day.terms["wait"] - last.predicted_wait) < 1e-6 * max(1.0, last.predicted_wait)


def test_template_matches_counts_and_sessions(result, monday_only):
    model = monday_only()
    tpl = result.template
    assert isinstance(tpl, SlotTemplate) and tpl.label == "recommended"
    day = result.weekdays[0]
    counted = Counter((s.start_minute // 60 * 60, s.visit_type) for s in tpl.slots)
    assert dict(counted) == day.counts
    sessions = {s.session_id: s for s in model.sessions}
    for sid, slots in tpl.sessions().items():
        sess = sessions[sid]
        seen = set()
        for s in slots:
            assert sess.start_minute <= s.start_minute < sess.end_minute
            assert s.start_minute % 5 == 0
            assert s.overbooked == (s.start_minute in seen)
            seen.add(s.start_minute)


def test_never_wins_by_booking_fewer(result, monday_only):
    day = result.weekdays[0]
    assert day.throughput_recommended >= day.throughput_current - 0.0011
    inp = weekday_inputs(monday_only(), 0, OptimizeConfig())
    per_type = Counter(s.visit_type for s in result.template.slots)
    for v, vt in enumerate(inp.visit_types):
        assert per_type[vt] >= inp.need(v, 0.1)
    # exact waiting is reported for both templates; the recommended one waits less here
    assert day.recommended.wait_per_patient < day.current.wait_per_patient
