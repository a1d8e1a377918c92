"""Estimation recovers the synthetic network's true parameters (2 polyclinics x 1 year)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _estimate_fixtures import TABLES, write_store  # noqa: E402

from polyslot.estimate import EstimateConfig, estimate_network  # noqa: E402
from polyslot.synthetic import generate_network  # noqa: E402
from polyslot.template import WEEKDAYS  # noqa: E402

FAST = EstimateConfig(max_train_rows=15_000, backtest_origins=2)


@pytest.fixture(scope="module")
def network():
    return generate_network(2, 365, 11)


@pytest.fixture(scope="module")
def bare(network, tmp_path_factory):
    """Attendances, roster and slot template: every estimate is built in (nothing supplied)."""
    d = tmp_path_factory.mktemp("bare")
    write_store(
        d / "polyslot.duckdb",
        {t: getattr(network, t) for t in ("attendances", "roster", "slot_template")},
    )
    return estimate_network(d, FAST)


@pytest.fixture(scope="module")
def quarter(network, tmp_path_factory):
    """First 90 days, attendances and roster only: the template is inferred."""
    a = network.attendances
    small = a[a["booking_ts"].fillna(a["arrival_ts"]) < "2025-04-01"]
    d = tmp_path_factory.mktemp("quarter")
    path = write_store(d / "polyslot.duckdb", {"attendances": small, "roster": network.roster})
    return path


@pytest.fixture(scope="module")
def full(network, tmp_path_factory):
    """Store with every table (supplied forecast and predictions and the slot template)."""
    d = tmp_path_factory.mktemp("full")
    path = write_store(d / "polyslot.duckdb", {t: getattr(network, t) for t in TABLES})
    return estimate_network(path, FAST)


def test_consultation_means_within_5_percent(bare, network):
    vts = network.truth["visit_types"]
    for pc, model in bare.models.items():
        factor = network.truth["polyclinics"][pc]["duration_factor"]
        for s in model.service:
            true_mean = vts[s.visit_type]["duration"]["mean_minutes"] * factor
            assert abs(s.mean_minutes / true_mean - 1) < 0.05, (pc, s.visit_type)
            true_cv = vts[s.visit_type]["duration"]["cv"]
            assert abs(s.cv - true_cv) < 0.1 * true_cv
            assert s.family == "lognormal"  # the generator's family wins on AIC
            assert s.ks_distance < 0.03


def test_no_show_rates_within_2pp(bare, network, tmp_path):
    # truth proxy: supplied no-show probabilities are group means of the generator's true p
    p = network.no_show_predictions.merge(network.attendances, on="attendance_id")
    p = p[p["status"].isin(["attended", "no_show"])]
    true_rate = p.groupby(["polyclinic_id", "visit_type"])["probability"].mean()
    obs = p.assign(y=p["status"] == "no_show").groupby(["polyclinic_id", "visit_type"])["y"].mean()
    for pc, model in bare.models.items():
        for vt in model.visit_types:
            cells = [r for r in model.no_show if r.visit_type == vt]
            rate = sum(r.rate * r.n_obs for r in cells) / sum(r.n_obs for r in cells)
            assert abs(rate - true_rate[(pc, vt)]) < 0.02, (pc, vt)
            assert abs(rate - obs[(pc, vt)]) < 0.02, (pc, vt)
    test = bare.summary["no_show"]["test"]
    assert test["auc"] > 0.6
    for row in test["calibration"]:
        if row["n"] > 2000:
            assert abs(row["mean_predicted"] - row["observed_rate"]) < 0.03
    assert bare.models["PC01"].meta["no_show_source"] == "model"


def test_demand_levels_within_5_percent(bare, network):
    """Weekly request level per polyclinic x visit type (sum of the weekday means)."""
    for pc, model in bare.models.items():
        truth = network.truth["polyclinics"][pc]["daily_mean"]
        for vt in model.visit_types:
            est = sum(d.mean for d in model.demand if d.visit_type == vt)
            true = sum(truth[vt][WEEKDAYS[d.weekday]] for d in model.demand if d.visit_type == vt)
            assert abs(est / true - 1) < 0.05, (pc, vt, est, true)
        for d in model.demand:
            assert d.lower <= d.mean <= d.upper
            assert d.variance >= d.mean


def test_forecaster_beats_seasonal_naive(bare):
    rows = [r for r in bare.summary["demand"]["backtest"] if r.get("mase") is not None]
    assert rows
    model = np.mean([r["mase"] for r in rows])
    naive = np.mean([r["mase_seasonal_naive"] for r in rows])
    assert model < naive


def test_current_template_exact_when_given(full, network):
    st = network.slot_template
    for pc, model in full.models.items():
        want = sorted(
            (
                int(r.weekday),
                int(r.start_time[:2]) * 60 + int(r.start_time[3:]),
                int(r.duration_minutes),
                r.visit_type,
                r.doctor_session,
            )
            for r in st[st["polyclinic_id"] == pc].itertuples()
        )
        got = sorted(
            (s.weekday, s.start_minute, s.duration_minutes, s.visit_type, s.doctor_session)
            for s in model.current_template.slots
        )
        assert got == want
        assert model.meta["template_source"] == "slot_template"
        assert {s.session_id for s in model.sessions} == set(
            st.loc[st["polyclinic_id"] == pc, "doctor_session"]
        )


def test_supplied_adapters_used(full, network):
    m = full.models["PC01"]
    assert m.meta["no_show_source"] == "supplied_predictions"
    assert m.meta["demand_source"] == "supplied_forecast"
    assert full.summary["demand"]["source"] == "supplied_forecast"
    assert full.summary["demand"]["backtest"]  # the built-in backtest is still reported
    fc = network.demand_forecast
    mon = fc[(fc["polyclinic_id"] == "PC01") & (fc["visit_type"] == "acute")]
    mon = mon[[d.weekday() == 0 for d in mon["date"]]]
    d = next(x for x in m.demand if x.visit_type == "acute" and x.weekday == 0)
    assert d.mean == pytest.approx(mon["expected_requests"].mean())


def test_staffing_matches_roster(bare, network):
    truth = network.truth["polyclinics"]["PC01"]
    m = bare.models["PC01"]
    # weekday 09:00-10:00: all doctors minus absences (4%); Sunday closed
    assert m.doctors_on_duty(1, 9) == pytest.approx(truth["doctors"] * 0.96, rel=0.05)
    assert m.doctors_on_duty(6, 9) == 0.0
    assert m.doctors_on_duty(1, 12) == 0.0  # lunch break


def test_inferred_template_close_to_truth(quarter, network):
    st = network.slot_template
    result = estimate_network(quarter, FAST)
    for pc, model in result.models.items():
        true_counts = st[st["polyclinic_id"] == pc].groupby(["weekday", "visit_type"]).size()
        got = model.current_template.counts().groupby(["weekday", "visit_type"])["slots"].sum()
        rel = (got.reindex(true_counts.index).fillna(0) / true_counts - 1).abs()
        assert rel.median() < 0.1
        assert model.meta["template_source"] == "inferred"
        assert model.meta["session_source"] == "roster"
    assert result.models == estimate_network(quarter, FAST).models  # deterministic


def test_punctuality_and_profiles(bare, network):
    comp = network.truth["punctuality"]["components"]
    m = bare.models["PC01"]
    for p in m.punctuality:
        assert abs(p.very_late_share - comp["very_late"]["weight"]) < 0.02
        assert sum(p.pmf) == pytest.approx(1.0)
    for vt in m.visit_types:
        for wd in range(6):
            shares = [h.value for h in m.preference if h.visit_type == vt and h.weekday == wd]
            assert sum(shares) == pytest.approx(1.0)
    assert sum(h.value for h in m.walk_ins if h.weekday == 0) > 0


def test_model_json_roundtrip_and_no_patient_ids(bare, tmp_path, network):
    from polyslot.clinic_model import ClinicModel
    from polyslot.estimate.summary import write_outputs

    paths = write_outputs(bare, tmp_path)
    assert (tmp_path / "fit_summary.json").exists()
    m = ClinicModel.from_json(tmp_path / "PC01.json")
    assert m == bare.models["PC01"]
    text = "".join(p.read_text() for p in paths)
    some_ids = network.attendances["patient_id"].dropna().unique()[:200]
    assert not any(pid in text for pid in some_ids)


def test_absence_rate_recovers_the_rosters_truth(bare, network):
    """Each doctor is absent a whole day with the truth's probability: the estimated rate,
    pooled over weekdays (about 1,500 planned doctor-sessions a polyclinic), is within two
    binomial standard errors of it (plus the shrinkage's pull)."""
    for pc, model in bare.models.items():
        truth = network.truth["polyclinics"][pc]["absence_prob"]
        a = model.absence
        assert a.source == "roster" and a.planned > 1000
        overall = a.absent / a.planned
        se = (truth * (1 - truth) / a.planned) ** 0.5
        assert abs(overall - truth) < 2.5 * se + 0.004, (pc, overall, truth)
        assert all(abs(r - truth) < 0.03 for r in a.rate.values()), (pc, a.rate)
        assert 0.0 <= a.lost <= 1.0 and "doctor-sessions" in a.evidence
