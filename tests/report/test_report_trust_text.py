"""The trust section of a polyclinic's page: the frontier table's notes."""

from __future__ import annotations

from polyslot.report.trust_text import clinic_trust


def test_report_says_why_a_weekday_has_fewer_templates() -> None:
    point = {
        "label": "today",
        "throughput_floor": 1.0,
        "overtime_weight": 1.5,
        "wait_mean": 20.0,
        "patients_per_week": 100.0,
        "overtime": 30.0,
        "utilization": 1.05,
    }
    trust = {
        "verdict": "keep_current",
        "reason": "r",
        "confidence": "high",
        "frontier": {
            "policy": "balanced",
            "weekdays": {
                "Mon": {
                    "chosen": 0,
                    "overloaded": True,
                    "points": [point],
                    "note": "no template can be planned at any throughput floor of the sweep",
                    "wall_clock_limited_points": 2,
                }
            },
        },
    }
    text = "\n".join(clinic_trust(trust))
    assert "Fewer templates than asked for: no template can be planned" in text
    assert "2 point(s) stopped at the solver's wall-clock limit" in text
