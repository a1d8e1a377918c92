"""The Spark engine: the whole per-polyclinic pipeline over Spark tables, Parquet, CSV or Delta.

``run_spark`` follows the local engine step by step and returns the same
:class:`~polyslot.runners.local.RunOutcome`:

1. resolve ``data`` into one raw Spark DataFrame per standard table (or the sample network);
2. validate every partition with the local rules (``validate_chunk`` in ``mapInPandas``),
   de-duplicate with a window, reconcile with Spark SQL aggregations; write the accepted
   tables and the quarantine as Parquet under ``out/spark/``;
3. build the DuckDB store from those Parquet tables (``out/store``); hold back the last days
   as the local engine does, compute the estimation aggregates in Spark SQL
   (:mod:`polyslot.runners.spark.aggregates`) and estimate from them with the local code;
4. ``plan_polyclinic`` for every polyclinic through ``groupBy("polyclinic_id").applyInPandas``;
5. the executors write the plans table (``out/spark/results/plans``: each polyclinic's pickled
   result); the driver reads it back, writes the tidy result tables as Parquet
   (``out/spark/results/``) and, from the same results, the deliverables (templates, summary,
   comparison, guide, HTML report) with ``write_deliverables``.

pyspark is imported lazily; ``import polyslot`` never imports it. See docs/spark.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from polyslot.config import RunConfig
from polyslot.data.ingest import IngestSummary
from polyslot.data.schema import TABLE_NAMES
from polyslot.runners.steps import Progress, RunOutcome

__all__ = ["get_spark", "ingest_spark", "estimate_models_spark", "run_spark"]


def get_spark(master: str = "local[2]", conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession or a new local one; see :mod:`polyslot.runners.spark.session`."""
    from polyslot.runners.spark.session import get_spark as _get

    return _get(master, conf)


def ingest_spark(
    data: Any,
    config: RunConfig,
    out_dir: str | Path,
    spark: Any = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Validate, quarantine and reconcile every table in Spark; build ``out_dir/store``.

    Parameters
    ----------
    data : str, Path, mapping or None
        See :mod:`polyslot.runners.spark.sources` for the accepted forms; None generates the
        embedded sample network (``config.sample``) into ``out_dir/sample``.
    config : RunConfig
    out_dir : path-like
        Writes ``spark/tables/<table>/`` (accepted rows), ``spark/quarantine/``,
        ``spark/reconciliation/`` (Parquet) and ``store/`` (DuckDB store, quarantine.csv,
        data_quality.json).
    spark : SparkSession, optional
        Default: :func:`get_spark`.
    progress : callable, optional
        ``progress(step, done, total)``.

    Returns
    -------
    IngestSummary
    """
    from polyslot.runners.spark.quarantine import split_staged
    from polyslot.runners.spark.sources import resolve_spark_sources
    from polyslot.runners.spark.store import build_store
    from polyslot.runners.spark.validate import stage_table

    spark = spark or get_spark()
    out = Path(out_dir).resolve()
    base = out / "spark"
    if progress:
        progress("read sources", 0, 1)
    sources = resolve_spark_sources(spark, data, config, out)
    tables: dict[str, Path] = {}
    counts = {}
    rejected_all = None
    for i, name in enumerate(n for n in TABLE_NAMES if n in sources):
        if progress:
            progress("validate (spark)", i, len(sources))
        src = sources[name]
        staged, _ = stage_table(src.frame, name, str(base / "staged" / name))
        accepted, rejected, counts[name] = split_staged(
            staged, name, list(src.frame.columns), src.label
        )
        accepted.write.mode("overwrite").parquet(str(base / "tables" / name))
        tables[name] = base / "tables" / name
        rejected_all = rejected if rejected_all is None else rejected_all.unionByName(rejected)
    if progress:
        progress("validate (spark)", len(sources), len(sources))
    assert rejected_all is not None  # attendances always present
    rejected_all.orderBy("table_name", "source_row").write.mode("overwrite").parquet(
        str(base / "quarantine")
    )
    import pandas as pd

    recon = pd.concat([c.reconciliation for c in counts.values()], ignore_index=True)
    spark.createDataFrame(recon).write.mode("overwrite").parquet(str(base / "reconciliation"))
    return build_store(tables, base / "quarantine", counts, out / "store")


def estimate_models_spark(
    spark: Any, config: RunConfig, out: Path, progress: Progress | None = None
) -> tuple[dict, dt.date | None]:
    """Estimation with its aggregates computed by Spark SQL (the local engine's hold-out).

    The training store holds only the small tables (roster before the cutoff, slot template,
    demand forecast); every statistic over attendances comes from
    :func:`~polyslot.runners.spark.aggregates.spark_aggregates`. Writes ``out/model/`` and
    ``out/spark/aggregates/``; returns the models and the first held-back date.
    """
    from polyslot.data.store import TRAINING_FILE, write_training_store
    from polyslot.runners.spark.aggregates import last_date_spark, spark_aggregates
    from polyslot.runners.steps import estimation_config, fit_models, holdout_cutoff

    tables = {n: out / "spark" / "tables" / n for n in TABLE_NAMES}
    tables = {n: p for n, p in tables.items() if p.is_dir()}
    if progress:
        progress("estimate (spark aggregates)", 0, 1)
    cutoff = None
    if config.holdout_days > 0:
        cutoff = holdout_cutoff(last_date_spark(spark, tables["attendances"]), config)
    aggregates = spark_aggregates(
        spark, tables, estimation_config(config), cutoff, out / "spark" / "aggregates"
    )
    small = ("roster", "slot_template", "demand_forecast")
    train = write_training_store(
        out / "store", cutoff or dt.date.max, out / "store" / TRAINING_FILE, small
    )
    return fit_models(train, config, out, aggregates), cutoff


def run_spark(
    data: Any,
    config: RunConfig,
    out_dir: str | Path,
    progress: Progress | None = None,
    spark: Any = None,
) -> RunOutcome:
    """The whole pipeline on Spark; same inputs and seed give the local engine's results.

    Parameters
    ----------
    data : str, Path, mapping or None
        Spark table name, Parquet / CSV / Delta path, data folder, mapping of table name to
        Spark DataFrame or source string, or None for the embedded sample network.
    config : RunConfig
    out_dir : path-like
        Output folder: the local engine's deliverables plus ``spark/`` Parquet tables.
    progress : callable, optional
        ``progress(step, done, total)``.
    spark : SparkSession, optional
        Default: the active session, else a new ``local[2]`` one.

    Returns
    -------
    RunOutcome
    """
    from polyslot.runners.spark.plan import plan_network_spark, write_result_tables
    from polyslot.runners.steps import write_network_outputs

    spark = spark or get_spark()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    store = ingest_spark(data, config, out, spark, progress).out_dir
    models, cutoff = estimate_models_spark(spark, config, out, progress)
    plans = out / "spark" / "results" / "plans"
    results, skipped = plan_network_spark(spark, models, config, store, cutoff, progress, plans)
    outcome = write_network_outputs(results, skipped, store, cutoff, config, out, models)
    files, summary = outcome.files, outcome.summary
    for name, path in write_result_tables(
        spark, results, summary, out / "spark" / "results"
    ).items():
        files[f"spark/results/{name}"] = path
    return RunOutcome(out, files, summary, skipped)
