"""plan_polyclinic end to end on a small clinic: contents, determinism, CLI wiring."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from polyslot.analysis.sensitivity import restrict_weekdays
from polyslot.config import load_config
from polyslot.data.store import holdout_frames, last_date, write_training_store
from polyslot.examples import example_clinic_model
from polyslot.pipeline import plan_polyclinic, polyclinic_seed


@pytest.fixture(scope="module")
def small_config():
    return load_config(
        overrides={
            "simulate": {"min_replications": 3, "max_replications": 4},
            "sensitivity": {
                "reoptimise": False,
                "no_show": [0.5, 1.0],
                "duration_mean": [1.0],
                "duration_cv": [1.0],
                "demand": [1.0],
                "punctuality": [1.0],
            },
        }
    )


@pytest.fixture(scope="module")
def model():
    return restrict_weekdays(example_clinic_model(doctors=3), [0])


@pytest.fixture(scope="module")
def result(model, small_config):
    return plan_polyclinic(model, small_config)


def test_result_has_both_scenarios_and_sources(result) -> None:
    k = result.kpis
    assert set(k["scenario"]) == {"current", "recommended"}
    assert set(k["source"]) == {"model", "simulator"}
    week = k[(k.weekday == -1) & (k.kpi == "wait_mean")]
    assert len(week) == 4  # 2 scenarios x 2 sources
    assert (week["ci_low"] <= week["mean"]).all() and (week["mean"] <= week["ci_high"]).all()
    assert not result.hourly.empty and not result.envelope.empty
    assert set(result.sensitivity["parameter"]) == {
        "no_show",
        "duration_mean",
        "duration_cv",
        "demand",
        "punctuality",
    }
    assert result.recommended.label == "recommended"
    assert result.assumptions["seed"] == 20261123


def test_same_seed_same_result(model, small_config, result) -> None:
    again = plan_polyclinic(model, small_config)
    pd.testing.assert_frame_equal(again.kpis, result.kpis)
    assert again.recommended == result.recommended
    pd.testing.assert_frame_equal(again.hourly, result.hourly)


def test_polyclinic_seed_is_stable() -> None:
    assert polyclinic_seed(1, "PC01") == polyclinic_seed(1, "PC01")
    assert polyclinic_seed(1, "PC01") != polyclinic_seed(1, "PC02")
    assert polyclinic_seed(1, "PC01") != polyclinic_seed(2, "PC01")


def test_training_store_excludes_holdout(tmp_path) -> None:
    db = tmp_path / "polyslot.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE attendances AS SELECT 'a' || i AS attendance_id, 'P' AS polyclinic_id, "
            "TIMESTAMP '2025-01-01 09:00' + INTERVAL (i) DAY AS appointment_ts, "
            "NULL::TIMESTAMP AS arrival_ts, TIMESTAMP '2024-12-25' AS booking_ts "
            "FROM range(30) t(i)"
        )
        con.execute(
            "CREATE TABLE roster AS SELECT 'P' AS polyclinic_id, "
            "DATE '2025-01-01' + CAST(i AS INTEGER) AS date FROM range(30) t(i)"
        )
        con.execute("CREATE TABLE quarantine (reason VARCHAR)")
    assert last_date(tmp_path) == dt.date(2025, 1, 30)
    cutoff = dt.date(2025, 1, 21)
    train = write_training_store(tmp_path, cutoff, tmp_path / "train" / "polyslot.duckdb")
    with duckdb.connect(str(train), read_only=True) as con:
        n_att = con.execute("SELECT count(*) FROM attendances").fetchone()[0]
        n_ros = con.execute("SELECT count(*) FROM roster").fetchone()[0]
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    att, ros = holdout_frames(tmp_path, cutoff)
    assert n_att == 20 and len(att) == 10 and n_att + len(att) == 30
    assert n_ros == 20 and len(ros) == 10
