"""run_spark and run_local give the same recommendations and KPIs for the same inputs and seed."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from polyslot.config import load_config
from polyslot.examples import tiny_run_overrides
from polyslot.runners.local import run_local
from polyslot.runners.spark import run_spark

TINY = tiny_run_overrides()


@pytest.fixture(scope="module")
def both(spark, tmp_path_factory):
    cfg = load_config(overrides=TINY)
    local = run_local(None, cfg, tmp_path_factory.mktemp("local") / "out")
    remote = run_spark(None, cfg, tmp_path_factory.mktemp("spark") / "out", spark=spark)
    return local.out_dir, remote.out_dir


def test_same_recommendations_and_kpis(both) -> None:
    a, b = both
    for name in (
        "summary.json",
        "templates/PC01.csv",
        "templates/PC01.json",
        "guide.md",
        "comparison.csv",
        "network/plan.json",
    ):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_same_models_and_quarantine(both) -> None:
    a, b = both
    # Spark SQL computed the estimation aggregates (exact integer and decimal sums): the
    # models are byte-identical to the local engine's
    assert (a / "model/PC01.json").read_bytes() == (b / "model/PC01.json").read_bytes()
    assert (b / "spark" / "aggregates" / "scope.json").is_file()
    assert any((b / "spark" / "aggregates" / "agg_bookings").glob("*.parquet"))
    qa = json.loads((a / "store/data_quality.json").read_text())["tables"]["attendances"]
    qb = json.loads((b / "store/data_quality.json").read_text())["tables"]["attendances"]
    assert qa["quarantined"] > 0
    for key in ("read", "accepted", "quarantined", "reasons"):
        assert qa[key] == qb[key], key


def test_spark_results_written_as_tables(both) -> None:
    _, b = both
    assert any((b / "spark").rglob("*.parquet"))
    # the executors wrote the plans table the deliverables were built from
    plans = pd.read_parquet(b / "spark" / "results" / "plans")
    assert list(plans["polyclinic_id"]) == ["PC01"] and plans["ok"].all()
    kpis = pd.read_parquet(b / "spark" / "results" / "kpis")
    assert set(kpis["polyclinic_id"]) == {"PC01"}
