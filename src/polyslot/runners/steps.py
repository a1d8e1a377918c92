"""The steps both engines share: sample data, hold-out cutoff, estimation, the planning tasks
(with the held-back days to replay) and deliverables.

The store's reads (the time split, quarantine counts) are :mod:`polyslot.data.store`'s.

The local engine (:mod:`polyslot.runners.local`) and the Spark engine
(:mod:`polyslot.runners.spark`) differ only in how they ingest, aggregate and map
:func:`polyslot.pipeline.plan_polyclinic`; everything before and after is here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyslot.analysis.observed import ObservedHistory, observed_history
from polyslot.atomic import write_json
from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.data.store import (
    first_date,
    holdout_frames,
    last_date,
    quarantine_counts,
    store_path,
)
from polyslot.errors import ConfigError
from polyslot.network.roles import NetworkRole, network_roles
from polyslot.network.step import network_step
from polyslot.report.fhir import week_start_after
from polyslot.report.run_kpis import RUN_CONFIG_FILE
from polyslot.results import NetworkResult, PolyclinicResult
from polyslot.simulate.history import history_days

__all__ = [
    "Progress",
    "RunOutcome",
    "write_sample",
    "estimation_config",
    "holdout_cutoff",
    "PlanTask",
    "plan_tasks",
    "fit_models",
    "capacity_sections",
    "write_network_outputs",
]

Progress = Callable[[str, int, int], None]
#: One polyclinic's planning task: its model, the run configuration, its held-back days to
#: replay, its quarantine counts per reason, its observed history (the arguments of
#: ``plan_polyclinic``) and its role in the network plan (None: it neither borrows nor lends).
PlanTask = tuple[ClinicModel, RunConfig, list, dict, ObservedHistory | None, NetworkRole | None]


@dataclass(frozen=True)
class RunOutcome:
    """Where a run wrote its outputs, and what it skipped."""

    out_dir: Path
    files: dict[str, Path]
    summary: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)


def write_sample(config: RunConfig, out: Path) -> Path:
    """Generate the embedded sample network (with its realistic defects) into ``out/sample``.

    Both engines start from this, so they see the same rows.
    """
    from polyslot.synthetic import generate_network, write_network
    from polyslot.synthetic.defects import inject_defects

    s = config.sample
    net = generate_network(s.polyclinics, s.days, config.seed, start=dt.date.fromisoformat(s.start))
    if s.defect_rate > 0:
        bad, _ = inject_defects(net.attendances, s.defect_rate, config.seed)
        net = dataclasses.replace(net, attendances=bad)
    write_network(net, out / "sample")
    return out / "sample"


def estimation_config(config: RunConfig):
    """The :class:`~polyslot.estimate.EstimateConfig` of a run."""
    from polyslot.estimate import EstimateConfig

    return EstimateConfig.from_mapping(
        config.estimate, slot_minutes=config.slot_minutes, seed=config.seed
    )


def holdout_cutoff(last: dt.date, config: RunConfig) -> dt.date | None:
    """First held-back date given the last date with attendances (None without hold-out)."""
    return last - dt.timedelta(days=config.holdout_days - 1) if config.holdout_days > 0 else None


def plan_tasks(
    models: dict[str, ClinicModel], config: RunConfig, store: Path, cutoff: dt.date | None
) -> dict[str, PlanTask]:
    """Each polyclinic's planning task, by polyclinic id in sorted order.

    The held-back days (from ``cutoff`` on) are replayed only for a polyclinic with a roster in
    the hold-out; without a hold-out, or without attendances in it, a polyclinic has none. The
    observed history (the yardstick of fidelity) is the store's before ``cutoff``.
    """
    quality = quarantine_counts(store)
    histories = observed_history(store, cutoff)
    # who borrows and lends on which weekday (only those compute staffing responses)
    roles = (
        network_roles(models, {p: histories.get(p) for p in models}, config.network)
        if config.network.enabled
        else {}
    )
    att, ros = holdout_frames(store, cutoff) if cutoff else (None, None)
    tasks: dict[str, PlanTask] = {}
    for pid, model in sorted(models.items()):
        days = []
        if (
            att is not None
            and ros is not None
            and not att.empty
            and (ros["polyclinic_id"] == pid).any()
        ):
            days = history_days(att, ros, pid)
        tasks[pid] = (
            model, config, days, quality.get(pid, {}), histories.get(pid), roles.get(pid)
        )
    return tasks


def fit_models(
    train: Path, config: RunConfig, out: Path, aggregates: Path | None = None
) -> dict[str, ClinicModel]:
    """Estimate on the training store (and engine-computed ``aggregates``); write
    ``out/model/<polyclinic>.json`` and ``fit_summary.json``."""
    from polyslot.estimate import estimate_network

    est = estimate_network(train, estimation_config(config), aggregates=aggregates)
    for pid, model in est.models.items():
        model.to_json(out / "model" / f"{pid}.json")
    write_json(out / "model" / "fit_summary.json", _finite(json.loads(json.dumps(est.summary,
                                                                             default=str))))
    return est.models


def _finite(obj: Any) -> Any:
    """``obj`` with every non-finite number (a metric of a constant series) as null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def capacity_sections(
    store: Path, models: dict[str, ClinicModel], config: RunConfig, out: Path
) -> dict[str, dict[str, Any]]:
    """The capacity plan of every polyclinic for the report (the one call into
    ``polyslot.capacity``); each planned polyclinic's full plan goes to ``capacity/<id>.json``."""
    from polyslot.capacity.clinic_plans import plan_clinics

    sections = plan_clinics(store_path(store), models, config.capacity)
    for pid, sec in sections.items():
        if "plan" in sec:
            write_json(out / "capacity" / f"{pid}.json", sec["plan"])
    return {pid: sec for pid, sec in sections.items() if sec}


def write_network_outputs(
    results: list[PolyclinicResult],
    skipped: dict[str, str],
    store: Path,
    cutoff: dt.date | None,
    config: RunConfig,
    out: Path,
    models: dict[str, ClinicModel] | None = None,
) -> RunOutcome:
    """Assemble the :class:`NetworkResult` and write every deliverable (both engines).

    Polyclinics estimation left out (``out/model/fit_summary.json``) join ``skipped``.
    With ``models``, the first-visit / revisit capacity plan of every polyclinic is added
    (``[capacity]`` of polyslot.toml; docs/capacity.md) and written to ``capacity/<id>.json``.
    """
    from polyslot.report import write_deliverables

    skipped = {**estimation_skipped(out), **skipped}
    if not results:  # nothing could be planned: say why in summary.json and guide.md
        from polyslot.report.trust_summary import write_all_skipped

        files = write_all_skipped(skipped, out)
        summary = json.loads(Path(files["summary.json"]).read_text())
        return RunOutcome(out, files, summary, skipped)
    write_json(out / RUN_CONFIG_FILE, config.to_dict())
    capacity = capacity_sections(store, models, config, out) if models else {}
    week = config.fhir_week_start or week_start_after(last_date(store)).isoformat()
    plan_doc = network_step(results, config, out, dt.date.fromisoformat(week))
    network = NetworkResult(
        tuple(results),
        data_quality=quarantine_counts(store).get("(missing)", {}),
        assumptions={
            "seed": config.seed,
            "holdout_from": str(cutoff) if cutoff else None,
            "skipped_polyclinics": dict(sorted(skipped.items())),
            "inferred": inferred_inputs(store),
            "fhir_week_start": week,
            "fhir_utc_offset": config.fhir_utc_offset,
            "config": config.to_dict(),
        },
        capacity=capacity,
        network=plan_doc,
    )
    files = write_deliverables(network, out)
    files.update(
        {f"capacity/{pid}.json": out / "capacity" / f"{pid}.json" for pid in sorted(capacity)}
    )
    if plan_doc:
        files["network/plan.json"] = out / "network" / "plan.json"
    summary = json.loads(Path(files["summary.json"]).read_text())
    return RunOutcome(out, files, summary, skipped)


def estimation_skipped(out: Path) -> dict[str, str]:
    """``{polyclinic: reason}`` of the polyclinics estimation could not model."""
    path = out / "model" / "fit_summary.json"
    if not path.exists():
        return {}
    rows = json.loads(path.read_text(encoding="utf-8")).get("skipped", [])
    return {str(r["polyclinic_id"]): f"not estimated: {r['reason']}" for r in rows}


def inferred_inputs(store: Path) -> dict[str, Any]:
    """What ingest inferred because the export lacked it (``data_quality.json``'s
    ``inferred``, e.g. the roster), for the report."""
    path = Path(store) / "data_quality.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("inferred", {}))


def check_history_longer_than_holdout(store: Path, cutoff: dt.date, holdout_days: int) -> None:
    """Stop in one line when holding back ``holdout_days`` would leave less than two weeks
    of history to estimate from (instead of estimating nothing)."""
    first = first_date(store)
    if first is not None and (cutoff - first).days < 14:
        span = (cutoff - first).days + holdout_days
        raise ConfigError(
            f"the history covers {span} days: holding back the last {holdout_days} leaves "
            f"{max(0, (cutoff - first).days)} to estimate from (at least 14 needed); set a "
            "smaller holdout_days in polyslot.toml (0 turns the hold-out off)",
            field="holdout_days",
            value=holdout_days,
        )
