"""Capacity plans for the report: settings, FV/RV split, carried-over revisits, weekday rows."""

from __future__ import annotations

import dataclasses
import json

import pytest

from polyslot.capacity.clinic_plans import (
    CapacitySettings,
    carried_over_revisits,
    plan_clinics,
    split_visit_types,
)
from polyslot.capacity.from_store import RevisitEstimate
from polyslot.capacity.inputs import (
    CapacityInput,
    DemandDistribution,
    LeadTimeTargets,
    RevisitPolicy,
)
from polyslot.errors import ConfigError, InputError
from polyslot.examples import example_clinic_model


def test_settings_validate_and_name_the_key():
    assert CapacitySettings.from_mapping({}).method == "joint"
    cfg = CapacitySettings.from_mapping({"fv_types": ["a"], "weeks": 2})
    assert cfg.fv_types == ("a",) and cfg.weeks == 2
    with pytest.raises(ConfigError, match="capacity.wekks"):
        CapacitySettings.from_mapping({"wekks": 2}, source="polyslot.toml")
    with pytest.raises(ConfigError, match="polyslot.toml.*capacity.epsilon"):
        CapacitySettings.from_mapping({"epsilon": 2.0}, source="polyslot.toml")
    with pytest.raises(ConfigError, match="capacity"):
        CapacitySettings.from_mapping({"median": 9, "percentile": 7})


def test_split_visit_types_by_name_or_configured_and_off_when_not_told_apart():
    model = example_clinic_model()
    assert split_visit_types(model, CapacitySettings()) == (("new_patient",), ("chronic_followup",))
    cfg = CapacitySettings(fv_types=("new_patient",), rv_types=("acute", "chronic_followup"))
    assert split_visit_types(model, cfg) == (("new_patient",), ("acute", "chronic_followup"))
    with pytest.raises(InputError, match="no revisit type"):
        split_visit_types(model, CapacitySettings(rv_types=("not_there",)))
    with pytest.raises(InputError, match="no first-visit type"):
        split_visit_types(model, CapacitySettings(fv_types=("not_there",)))


def test_carried_over_revisits_by_hand():
    # window a = b = 3: a visit on day k < 0 comes back exactly on day k + 3, so days 0..2 get
    # (1 - alpha) * FV + (1 - beta) * RV of a steady day, and nothing lands later
    est = RevisitEstimate(0.5, 0.25, 3, 3, 3.0, 100, 100, 100)
    inp = CapacityInput(
        demand=(DemandDistribution("poisson", mean=4.0),) * 7,
        targets=LeadTimeTargets(1, 2, 2),
        revisit=RevisitPolicy(3, 3, 3.0),
        alpha=0.5,
        beta=0.25,
        tau_fv=20.0,
        tau_rv=10.0,
    )
    out = carried_over_revisits(inp, est, [4.0] * 7, [8.0] * 7)
    assert len(out) == inp.T == 10
    assert out[:3] == pytest.approx((0.5 * 4 + 0.75 * 8,) * 3)
    assert sum(out[3:]) == 0.0


def test_plan_clinics_from_the_store(store):
    model = example_clinic_model()
    sections = plan_clinics(store, {"EX01": model}, {"weeks": 2, "method": "joint"})
    sec = sections["EX01"]
    assert sec["status"] == "planned" and sec["fv_types"] == ["new_patient"]
    plan = sec["plan"]
    assert len(plan["reserved_fv_slots"]) == 14
    assert plan["violation_risk"]["exact"] == sec["breach_risk"] <= 0.05
    assert sec["solver_status"] in ("optimal", "feasible_within_gap", "time_limit")
    rows = {r["weekday"]: r for r in sec["weekdays"]}
    assert sorted(rows) == [0, 1, 2, 3, 4]  # the example clinic opens Monday to Friday
    for wd, r in rows.items():
        days = [j for j in range(14) if j % 7 == wd]
        assert r["minutes_needed"] == max(plan["capacity_by_period"][j] for j in days)
        assert r["fv_slots_to_hold"] == max(round(plan["fv_seen"][j]) for j in days)
        assert r["fv_requests_covered"] == max(plan["reserved_fv_slots"][j] for j in days)
        assert r["rostered_minutes"] == 6 * 240.0  # 3 doctors x (08-12 + 13-17)
        assert r["doctors_needed"] == -(-r["minutes_needed"] // 480)
    assert rows[0]["other_minutes"] == pytest.approx(36.0 * 8.0)  # acute on Monday
    assert "PAT" not in json.dumps(sections)  # no patient identifier leaves


def test_plan_clinics_off_with_reason_and_disabled(store):
    no_rv = dataclasses.replace(
        example_clinic_model(), polyclinic_id="EX02"
    )  # same types, but the store has no EX02 rows: no revisits to measure
    sections = plan_clinics(store, {"EX02": no_rv}, {})
    assert sections["EX02"]["status"] == "off"
    assert sections["EX02"]["reason"].startswith("need first visits")
    assert str(store) not in sections["EX02"]["reason"]  # same bytes wherever the run writes
    assert plan_clinics(store, {"EX02": no_rv}, {"enabled": False}) == {}
