"""summary.json shape and the network / week aggregation arithmetic."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from polyslot.analysis.compare import NETWORK_ID, compare_kpis
from polyslot.day import build_day
from polyslot.errors import InputError
from polyslot.examples import example_clinic_model
from polyslot.kpi_records import KPI_COLUMNS, WEEK, SessionKPI, aggregate_kpis, session_kpis_frame
from polyslot.report.demo import demo_network_result, respaced_template
from polyslot.report.summary import SUMMARY_KEYS, build_summary, write_summary
from polyslot.results import NetworkResult, PolyclinicResult


def _week_rows(values: dict[str, tuple[float, float]], hw: float = 0.0) -> list[tuple]:
    rows = []
    for kpi, (cur, rec) in values.items():
        for scen, v in (("current", cur), ("recommended", rec)):
            h = hw * abs(v)
            rows.append((scen, "simulator", WEEK, kpi, v, v - h, v + h, 100))
    return rows


def _clinic(pid: str, values: dict[str, tuple[float, float]], hw: float = 0.0) -> PolyclinicResult:
    model = example_clinic_model(doctors=2, polyclinic_id=pid)
    kpis = pd.DataFrame(_week_rows(values, hw), columns=list(KPI_COLUMNS))
    return PolyclinicResult(pid, model, model.current_template, respaced_template(model), kpis)


A = {
    "wait_mean": (20.0, 10.0),
    "patients_served": (400.0, 420.0),
    "utilization": (0.7, 0.8),
    "capacity_minutes": (7200.0, 7200.0),
}
B = {
    "wait_mean": (30.0, 12.0),
    "patients_served": (100.0, 110.0),
    "utilization": (0.9, 0.95),
    "capacity_minutes": (2400.0, 2400.0),
}


def test_summary_shape_and_network_arithmetic(tmp_path):
    net = NetworkResult((_clinic("B", B), _clinic("A", A)))
    path = write_summary(net, tmp_path / "summary.json")
    doc = json.loads(path.read_text())
    assert set(doc) == {"polyclinics", "network", "skipped"}  # skipped: issue 15 contract
    assert doc["skipped"] == []
    assert [e["polyclinic_id"] for e in doc["polyclinics"]] == ["A", "B"]
    for entry in [*doc["polyclinics"], doc["network"]]:
        assert list(entry)[: len(SUMMARY_KEYS)] == list(SUMMARY_KEYS)
    a = doc["polyclinics"][0]
    assert a["wait_mean_current"] == 20.0 and a["utilization_recommended"] == 0.8
    n = doc["network"]
    assert n["polyclinic_id"] == NETWORK_ID
    assert n["wait_mean_current"] == pytest.approx((20 * 400 + 30 * 100) / 500, abs=1e-6)
    assert n["wait_mean_recommended"] == pytest.approx((10 * 420 + 12 * 110) / 530, abs=1e-6)
    assert n["utilization_current"] == pytest.approx((0.7 * 7200 + 0.9 * 2400) / 9600, abs=1e-6)
    assert n["utilization_recommended"] == pytest.approx(
        (0.8 * 7200 + 0.95 * 2400) / 9600, abs=1e-6
    )
    assert n["patients_served_current"] == 500.0
    assert n["patients_served_recommended"] == 530.0
    assert n["source"] == "simulator"


def test_network_confidence_intervals_combine_as_independent():
    net = NetworkResult((_clinic("A", A, hw=0.05), _clinic("B", B, hw=0.05)))
    agg = net.network_kpis()
    row = agg[(agg.kpi == "patients_served") & (agg.scenario == "current")].iloc[0]
    assert row["ci_high"] - row["mean"] == pytest.approx(math.hypot(20.0, 5.0))
    row = agg[(agg.kpi == "wait_mean") & (agg.scenario == "current")].iloc[0]
    w = [0.8, 0.2]
    assert row["ci_high"] - row["mean"] == pytest.approx(math.hypot(w[0] * 1.0, w[1] * 1.5))


def test_week_rows_derived_from_weekday_rows():
    model = example_clinic_model(doctors=1)
    rows = []
    served = {0: 30.0, 1: 10.0}
    wait = {0: 20.0, 1: 40.0}
    util = {0: 0.5, 1: 0.9}
    for d in (0, 1):
        for scen in ("current", "recommended"):
            for kpi, v in (
                ("wait_mean", wait[d]),
                ("patients_served", served[d]),
                ("utilization", util[d]),
            ):
                rows.append((scen, "evaluator", d, kpi, v, v, v, 1))
    res = PolyclinicResult(
        "EX01",
        model,
        model.current_template,
        respaced_template(model),
        pd.DataFrame(rows, columns=list(KPI_COLUMNS)),
    )
    assert res.kpi("current", "patients_served") == 40.0
    assert res.kpi("current", "wait_mean") == pytest.approx((20 * 30 + 40 * 10) / 40)
    # equal roster capacity on both days (480 doctor-minutes) -> plain mean of utilisation
    assert res.kpi("current", "capacity_minutes", weekday=0) == 480.0
    assert res.kpi("current", "utilization") == pytest.approx(0.7)


def test_session_records_aggregate():
    recs = [
        SessionKPI("current", "evaluator", 0, "s1", 10.0, 25.0, 5.0, 10.0, 0.8, 12.0, 240.0),
        SessionKPI("current", "evaluator", 0, "s2", 20.0, 45.0, 15.0, 0.0, 0.6, 4.0, 120.0),
    ]
    frame = session_kpis_frame(recs)
    day = frame[frame.weekday == 0].set_index("kpi")["mean"]
    assert day["wait_mean"] == pytest.approx((10 * 12 + 20 * 4) / 16)
    assert day["utilization"] == pytest.approx((0.8 * 240 + 0.6 * 120) / 360)
    assert day["overtime"] == 10.0 and day["idle"] == 20.0 and day["patients_served"] == 16.0
    with pytest.raises(InputError, match="scenario"):
        SessionKPI("today", "evaluator", 0, "s1", 1, 1, 1, 1, 1, 1, 1)


def test_compare_changes():
    kpis = pd.DataFrame(_week_rows(A | {"wait_p90": (50.0, 30.0)}), columns=list(KPI_COLUMNS))
    row = compare_kpis(kpis).iloc[0]
    assert row["wait_reduction_min"] == 10.0
    assert row["wait_reduction_pct"] == pytest.approx(50.0)
    assert row["wait_p90_change_min"] == -20.0
    assert row["utilization_change_pp"] == pytest.approx(10.0)
    assert row["patients_served_change"] == 20.0


def test_aggregate_rejects_missing_columns():
    with pytest.raises(InputError, match="missing columns"):
        aggregate_kpis(pd.DataFrame({"kpi": []}), by=["scenario"])


def test_result_validation_names_field():
    model = example_clinic_model()
    with pytest.raises(InputError, match="kpis.*missing columns"):
        PolyclinicResult(
            "EX01", model, model.current_template, model.current_template, pd.DataFrame({"x": [1]})
        )
    with pytest.raises(InputError, match="polyclinic_id"):
        PolyclinicResult(
            "../x",
            model,
            model.current_template,
            model.current_template,
            pd.DataFrame(columns=list(KPI_COLUMNS)),
        )


def test_demo_summary_is_deterministic_and_json_clean():
    a = json.dumps(build_summary(demo_network_result(seed=3)), sort_keys=True)
    b = json.dumps(build_summary(demo_network_result(seed=3)), sort_keys=True)
    assert a == b and "NaN" not in a


def test_real_simulator_summaries_feed_the_summary(tmp_path):
    """Summaries of the real SimPy clinic simulator map onto KPI rows and a summary entry."""
    sim = pytest.importorskip("polyslot.simulate.clinic_runs")
    from polyslot.kpi_records import kpi_rows

    model = example_clinic_model(doctors=2)
    rec = respaced_template(model)
    frames = []
    for scen, tpl in (("current", model.current_template), ("recommended", rec)):
        for day in (0, 1):
            out = sim.simulate_clinic_day(build_day(model, tpl, day), replications=8, seed=11)
            frames.append(kpi_rows(out, scenario=scen, source="simulator", weekday=day))
            if scen == "current" and day == 0:
                first = out
    kpis = pd.concat(frames, ignore_index=True)
    res = PolyclinicResult("EX01", model, model.current_template, rec, kpis)
    row = kpis[(kpis.scenario == "current") & (kpis.weekday == 0)].set_index("kpi")
    assert row.loc["patients_served", "mean"] == pytest.approx(first["patients_seen"])
    assert row.loc["wait_mean", "ci_high"] == pytest.approx(
        first["wait_mean"] + first["wait_mean_ci"]
    )
    assert row.loc["capacity_minutes", "mean"] == first["duty_minutes"]
    entry = build_summary(NetworkResult((res,)))["polyclinics"][0]
    served = kpis[(kpis.kpi == "patients_served") & (kpis.scenario == "current")]["mean"].sum()
    assert entry["patients_served_current"] == pytest.approx(served, abs=1e-5)
    assert entry["source"] == "simulator"


def test_kpi_rows_from_days_mean_and_t_interval():
    from scipy import stats

    from polyslot.kpi_records import kpi_rows_from_days

    days = pd.DataFrame(
        {
            "scenario": ["current"] * 3 + ["recommended"] * 3,
            "weekday": [2] * 6,
            "wait_mean": [10.0, 12.0, 14.0, 5.0, 6.0, 7.0],
            "patients_seen": [30, 32, 34, 31, 33, 35],
            "duty_minutes": [480.0] * 6,
        }
    )
    rows = kpi_rows_from_days(days, source="replay")
    cur = rows[(rows.scenario == "current")].set_index("kpi")
    half = stats.t.ppf(0.975, 2) * 2.0 / math.sqrt(3)
    assert cur.loc["wait_mean", "mean"] == 12.0
    assert cur.loc["wait_mean", "ci_high"] == pytest.approx(12.0 + half)
    assert cur.loc["patients_served", "mean"] == 32.0
    assert cur.loc["capacity_minutes", "ci_low"] == 480.0
    assert set(rows["n"]) == {3} and set(rows["source"]) == {"replay"}
    with pytest.raises(InputError, match="days.weekday"):
        kpi_rows_from_days(days.drop(columns="weekday"), source="replay")


def test_every_entry_has_the_trust_keys() -> None:
    from polyslot.report.trust_summary import TRUST_KEYS

    doc = build_summary(demo_network_result(seed=3))
    for entry in doc["polyclinics"]:
        assert set(TRUST_KEYS) <= set(entry)
        # a result without a paired comparison is never recommended
        assert entry["verdict"] == "keep_current" and entry["reason"]
        assert entry["confidence"] == "low"
        assert "-" not in entry["wait_change"]
    assert doc["network"]["verdicts"]["recommend"] == 0
