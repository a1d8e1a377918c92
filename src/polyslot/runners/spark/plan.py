"""Fan ``plan_polyclinic`` out over Spark: ``groupBy("polyclinic_id").applyInPandas``.

Each polyclinic's task (its estimated model, the run configuration, its held-back days, its
data-quality counts, its history and its role in the network plan) travels as one pickled cell,
so an executor receives only its own polyclinics; the result comes back as a pickled
:class:`~polyslot.results.PolyclinicResult` with its staffing response (or the first line of an
infeasibility diagnosis). The tidy result tables are written back as
Parquet by :func:`write_result_tables`.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.results import PolyclinicResult
from polyslot.runners.steps import plan_tasks

__all__ = ["plan_network_spark", "write_result_tables", "RESULT_SCHEMA"]

#: Schema of the rows ``applyInPandas`` returns: one per polyclinic.
RESULT_SCHEMA = "polyclinic_id string, ok boolean, result binary, message string"

Progress = Callable[[str, int, int], None]


def _plan_group(pdf: pd.DataFrame) -> pd.DataFrame:
    """applyInPandas body: plan the polyclinic(s) of one group."""
    from polyslot.errors import InfeasibleError
    from polyslot.network.step import with_staffing
    from polyslot.pipeline import plan_polyclinic

    out: list[tuple[str, bool, bytes | None, str | None]] = []
    for pid, blob in zip(pdf["polyclinic_id"], pdf["task"], strict=True):
        model, config, days, quality, history, role = pickle.loads(blob)
        try:
            res = plan_polyclinic(
                model, config, holdout_days=days, data_quality=quality, history=history
            )
            # the staffing response for the network plan (the MIP runs on the driver)
            res = with_staffing(res, config, role)
            out.append((pid, True, pickle.dumps(res, protocol=5), None))
        except InfeasibleError as exc:
            out.append((pid, False, None, str(exc).splitlines()[0]))
    return pd.DataFrame(out, columns=["polyclinic_id", "ok", "result", "message"])


def plan_network_spark(
    spark: Any,
    models: dict[str, ClinicModel],
    config: RunConfig,
    store: Path,
    cutoff: dt.date | None,
    progress: Progress | None = None,
    plans_dir: Path | None = None,
) -> tuple[list[PolyclinicResult], dict[str, str]]:
    """``plan_polyclinic`` for every model on the Spark executors; infeasible ones skipped.

    With ``plans_dir`` the executors write the plans table there (``RESULT_SCHEMA``: one row
    per polyclinic with its pickled result or its infeasibility message) and the results are
    read back from it. Returns results sorted by polyclinic id, as the local engine's
    ``plan_network``.
    """
    rows = [
        (pid, pickle.dumps(task, protocol=5))
        for pid, task in plan_tasks(models, config, store, cutoff).items()
    ]
    if progress:
        progress("plan polyclinics", 0, len(rows))
    if not rows:
        return [], {}
    tasks = spark.createDataFrame(
        pd.DataFrame(rows, columns=["polyclinic_id", "task"]), "polyclinic_id string, task binary"
    )
    # one shuffle partition per polyclinic (up to the cluster's parallelism x 4), and no
    # adaptive coalescing: a few heavy groups must not be packed into one task
    par = spark.sparkContext.defaultParallelism
    keys = ("spark.sql.shuffle.partitions", "spark.sql.adaptive.coalescePartitions.enabled")
    saved = {k: spark.conf.get(k, None) for k in keys}
    spark.conf.set(keys[0], str(max(1, min(len(rows), 4 * par))))
    spark.conf.set(keys[1], "false")
    try:
        planned = tasks.groupBy("polyclinic_id").applyInPandas(_plan_group, RESULT_SCHEMA)
        if plans_dir is not None:
            # the executors write the plans table; the deliverables are built from it
            planned.write.mode("overwrite").parquet(str(plans_dir))
            got = spark.read.parquet(str(plans_dir)).collect()
        else:
            got = planned.collect()
    finally:
        for k, v in saved.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
    results: list[PolyclinicResult] = []
    skipped: dict[str, str] = {}
    for i, r in enumerate(sorted(got, key=lambda r: r["polyclinic_id"]), start=1):
        if r["ok"]:
            results.append(pickle.loads(r["result"]))
        else:
            skipped[r["polyclinic_id"]] = r["message"]
        if progress:
            progress("plan polyclinics", i, len(rows))
    return results, skipped


def _frames(results: list[PolyclinicResult], summary: dict) -> dict[str, pd.DataFrame]:
    from polyslot.report.export import template_rows

    def stack(get: Callable[[PolyclinicResult], pd.DataFrame]) -> pd.DataFrame:
        parts = [get(r).assign(polyclinic_id=r.polyclinic_id) for r in results]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame()
        df = pd.concat(parts, ignore_index=True)
        return df[["polyclinic_id", *[c for c in df.columns if c != "polyclinic_id"]]]

    summ = pd.DataFrame(
        [
            *summary.get("polyclinics", []),
            {**summary.get("network", {}), "polyclinic_id": "NETWORK"},
        ]
    )
    return {
        "templates": stack(lambda r: template_rows(r.recommended).drop(columns="polyclinic_id")),
        "current_templates": stack(
            lambda r: template_rows(r.current).drop(columns="polyclinic_id")
        ),
        "kpis": stack(lambda r: r.kpis),
        "hourly": stack(lambda r: r.hourly),
        "sensitivity": stack(lambda r: r.sensitivity),
        "summary": summ,
    }


def write_result_tables(
    spark: Any, results: list[PolyclinicResult], summary: dict, folder: Path
) -> dict[str, Path]:
    """Write templates, KPIs, hourly KPIs, sensitivity and the summary as Parquet via Spark.

    Returns
    -------
    dict of str to Path
        Table name -> Parquet folder (empty tables are not written).
    """
    written: dict[str, Path] = {}
    for name, df in _frames(results, summary).items():
        if df.empty:
            continue
        for c in df.columns:  # mixed object columns (e.g. None and str) become text
            if df[c].dtype == object:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        path = folder / name
        spark.createDataFrame(df).write.mode("overwrite").parquet(str(path))
        written[name] = path
    return written
