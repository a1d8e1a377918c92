"""--from-data: revisit pattern from a real DuckDB store, ClinicModel link, doctors per day.

The ``polyslot capacity`` command itself is tested in ``tests/cli/test_cli_capacity.py``."""

from __future__ import annotations

import json
import math

import pytest

from polyslot.capacity.from_store import (
    classify_visit_types,
    doctor_minutes_by_weekday,
    estimate_revisit_pattern,
    plan_capacity_from_data,
)
from polyslot.capacity.inputs import LeadTimeTargets
from polyslot.errors import DataError
from polyslot.examples import example_clinic_model


def test_revisit_pattern_recovers_construction(store):
    est = estimate_revisit_pattern(store, ["new_patient"], ["chronic_followup"])
    assert est.alpha == pytest.approx(0.25)
    assert est.beta == pytest.approx(0.75)
    assert (est.min_lead, est.max_lead) == (14, 21)
    assert est.mean_lead == pytest.approx((75 * 14 + 25 * 21) / 100)
    assert (est.n_fv_visits, est.n_rv_visits, est.n_intervals) == (100, 100, 100)


def test_censoring_needs_old_enough_visits(store):
    with pytest.raises(DataError, match="older than"):
        estimate_revisit_pattern(store, ["new_patient"], ["chronic_followup"], followup_days=500)


def test_classification_defaults_and_overrides():
    vts = ("acute", "chronic_followup", "new_patient")
    assert classify_visit_types(vts) == (("new_patient",), ("chronic_followup",))
    assert classify_visit_types(vts, ["acute"], ["new_patient"]) == (("acute",), ("new_patient",))


def test_from_data_plan_and_doctors(store):
    model = example_clinic_model()
    out = plan_capacity_from_data(
        store, model, targets=LeadTimeTargets(2, 4, 7, 90.0), weeks=1, epsilon=0.05
    )
    per_doc = doctor_minutes_by_weekday(model)
    assert per_doc[0] == pytest.approx(480.0)  # 3 doctors x (240 + 240) minutes / 3
    pairs = zip(out["capacity_by_period"], out["doctors_by_period"], strict=True)
    for j, (c, d) in enumerate(pairs):
        m = per_doc.get(j % 7, 0.0)
        assert d == (math.ceil(c / m - 1e-9) if m and c > 0 else 0)
        if j % 7 >= 5:
            assert c == 0.0  # the example clinic is closed at weekends
    assert out["doctors_max"] == max(out["doctors_by_period"])
    assert out["inputs"]["alpha"] == pytest.approx(0.25)
    assert out["inputs"]["tau_fv"] == pytest.approx(20.0)
    assert out["violation_risk"]["exact"] <= 0.05
    assert "PAT" not in json.dumps(out)  # no patient identifier leaves
