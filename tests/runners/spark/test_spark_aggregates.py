"""Spark SQL computes exactly the estimation aggregates DuckDB computes, and the same models."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from polyslot.data import ingest
from polyslot.data.store import write_training_store
from polyslot.estimate import EstimateConfig, estimate_network
from polyslot.estimate.aggregates import AGGREGATES, PREDICTION_AGGREGATES
from polyslot.estimate.aggregates_store import compute_aggregates, load_aggregates
from polyslot.runners.spark.aggregates import spark_aggregates
from polyslot.synthetic import generate_network, write_network


def _frame(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    df = con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
    return df.astype(
        {
            c: float
            for c in df.columns
            if df[c].dtype == object and c in ("s1", "s2", "l1", "l2", "sp")
        }
    )


@pytest.fixture(scope="module")
def stores(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("agg")
    net = generate_network(2, 70, seed=11, start=dt.date(2025, 1, 6))
    write_network(net, root / "data")
    store = ingest(root / "data", root / "store", max_quarantine_share=None).out_dir
    tables = {}
    with duckdb.connect(str(store / "polyslot.duckdb"), read_only=True) as con:
        for name in ("attendances", "no_show_predictions"):
            (root / "pq" / name).mkdir(parents=True)
            part = (root / "pq" / name / "part-0.parquet").as_posix()
            con.execute(f"COPY {name} TO '{part}' (FORMAT PARQUET)")
            tables[name] = root / "pq" / name
    cutoff = dt.date(2025, 3, 1)
    # a training sample below 1 so the seeded hash sampling must agree across engines
    cfg = EstimateConfig(seed=9, max_train_rows=2_000)
    agg = spark_aggregates(spark, tables, cfg, cutoff, root / "spark_agg")
    train = write_training_store(store, cutoff, root / "train.duckdb")
    return train, agg, cfg


def test_every_aggregate_is_identical(stores) -> None:
    train, agg, cfg = stores
    local = duckdb.connect(str(train), read_only=True)
    remote = duckdb.connect()
    s_local = compute_aggregates(local, cfg)
    s_remote = load_aggregates(remote, agg)
    assert s_local == s_remote
    assert 0 < s_local.sample_fraction < 1
    for name in AGGREGATES + PREDICTION_AGGREGATES:
        a, b = _frame(local, name), _frame(remote, name)
        assert len(a) > 0, name
        assert list(a.columns) == list(b.columns), name
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)


def test_models_from_spark_aggregates_equal_local_models(stores, tmp_path) -> None:
    train, agg, cfg = stores
    small = write_training_store(
        train,
        dt.date.max,
        tmp_path / "small.duckdb",
        ("roster", "slot_template", "demand_forecast"),
    )
    local = estimate_network(train, cfg)
    remote = estimate_network(small, cfg, aggregates=agg)
    assert sorted(local.models) == sorted(remote.models) == ["PC01", "PC02"]
    for pid, m in local.models.items():
        a, b = tmp_path / f"a_{pid}.json", tmp_path / f"b_{pid}.json"
        m.to_json(a)
        remote.models[pid].to_json(b)
        da, db = json.loads(a.read_text()), json.loads(b.read_text())
        da["meta"].pop("source", None), db["meta"].pop("source", None)
        assert da == db, pid
