"""The local engine: ingest -> estimate -> plan every polyclinic (process pool) -> deliverables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.data.store import (
    TRAINING_FILE,
    last_date,
    write_training_store,
)
from polyslot.errors import InfeasibleError, SolverError
from polyslot.network.step import with_staffing
from polyslot.pipeline import plan_polyclinic
from polyslot.results import PolyclinicResult
from polyslot.runners.steps import (
    PlanTask,
    Progress,
    RunOutcome,
    check_history_longer_than_holdout,
    fit_models,
    holdout_cutoff,
    plan_tasks,
    write_network_outputs,
    write_sample,
)

__all__ = ["prepare_data", "estimate_models", "plan_network", "run_local"]


def prepare_data(
    data: str | Path | None,
    config: RunConfig,
    out: Path,
    progress: Progress | None = None,
    mapping: str | Path | None = None,
) -> Path:
    """Ingest ``data`` (or generate the embedded sample) into ``out/store``; return the store.

    ``mapping`` (a ``mapping.toml``) is applied to ``data`` before validation; the quarantine
    guard uses ``config.max_quarantine_share``.
    """
    from polyslot.data import ingest

    if data is None:
        if progress:
            progress("sample network", 0, 1)
        data = write_sample(config, out)
    if progress:
        progress("ingest", 0, 1)
    ingest(data, out / "store", mapping=mapping, max_quarantine_share=config.max_quarantine_share)
    return out / "store"


def _plan_one(args: PlanTask) -> PolyclinicResult | str:
    model, config, days, quality, history, role = args
    try:
        res = plan_polyclinic(
            model, config, holdout_days=days, data_quality=quality, history=history
        )
        return with_staffing(res, config, role)  # its staffing response for the network plan
    except (InfeasibleError, SolverError) as exc:
        return str(exc).splitlines()[0]


def plan_network(
    models: dict[str, ClinicModel],
    config: RunConfig,
    store: Path,
    cutoff: dt.date | None,
    progress: Progress | None = None,
) -> tuple[list[PolyclinicResult], dict[str, str]]:
    """plan_polyclinic for every model (``config.workers`` processes); infeasible ones skipped."""
    tasks = list(plan_tasks(models, config, store, cutoff).values())
    results: list[PolyclinicResult] = []
    skipped: dict[str, str] = {}
    done = 0
    if progress:
        progress("plan polyclinics", 0, len(tasks))
    outcomes: Iterable[PolyclinicResult | str]
    if config.workers <= 1 or len(tasks) <= 1:
        outcomes = map(_plan_one, tasks)
    else:
        pool = ProcessPoolExecutor(max_workers=config.workers)
        outcomes = pool.map(_plan_one, tasks)
    for (model, *_), res in zip(tasks, outcomes, strict=True):
        done += 1
        if progress:
            progress("plan polyclinics", done, len(tasks))
        if isinstance(res, str):
            skipped[model.polyclinic_id] = res
        else:
            results.append(res)
    if config.workers > 1 and len(tasks) > 1:
        pool.shutdown()
    return results, skipped


def estimate_models(
    store: Path, config: RunConfig, out: Path, progress: Progress | None = None
) -> tuple[dict[str, ClinicModel], dt.date | None]:
    """Hold back the last ``holdout_days``, estimate on the rest, write ``out/model/``.

    Returns the models and the first held-back date (None without a hold-out).
    """
    cutoff = holdout_cutoff(last_date(store), config) if config.holdout_days > 0 else None
    train = store
    if cutoff is not None:
        check_history_longer_than_holdout(store, cutoff, config.holdout_days)
        train = write_training_store(store, cutoff, out / "store" / TRAINING_FILE)
    if progress:
        progress("estimate", 0, 1)
    return fit_models(train, config, out), cutoff


def run_local(
    data: str | Path | None,
    config: RunConfig,
    out_dir: str | Path,
    progress: Progress | None = None,
    mapping: str | Path | None = None,
) -> RunOutcome:
    """The whole pipeline on one machine; see ``polyslot run --help``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = prepare_data(data, config, out, progress, mapping)
    models, cutoff = estimate_models(store, config, out, progress)
    results, skipped = plan_network(models, config, store, cutoff, progress)
    return write_network_outputs(results, skipped, store, cutoff, config, out, models)
