"""Assemble one :class:`~polyslot.clinic_model.ClinicModel` per polyclinic from the store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.data.store import has_table, open_store, store_path
from polyslot.estimate.aggregates import BookingScope
from polyslot.estimate.aggregates_store import compute_aggregates, load_aggregates
from polyslot.estimate.complete import complete_models
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.demand import estimate_demand, supplied_demand
from polyslot.estimate.durations import estimate_service_times
from polyslot.estimate.history import (
    day_times,
    history_fields,
    history_sessions,
    unplanned_weekdays,
)
from polyslot.estimate.noshow_rates import estimate_no_show
from polyslot.estimate.profiles import preference_shares, walk_in_rates
from polyslot.estimate.punctuality import estimate_punctuality
from polyslot.estimate.week import Week, grid_templates, plan_week, week_inputs
from polyslot.template import ANY_VISIT_TYPE
from polyslot.unreserved import with_unreserved

__all__ = ["EstimationResult", "estimate_network", "build_clinic_models"]

#: Why a polyclinic with attendances still gets no model.
NO_CONSULTATIONS = (
    "no consultation records (attended visits with consultation start and end times, "
    "needed to estimate consultation durations)"
)
#: ``meta["punctuality_source"]`` without any arrival time in the network.
UNKNOWN_PUNCTUALITY = "unknown (no arrival and appointment times): punctual"


@dataclass(frozen=True)
class EstimationResult:
    """The models of every non-empty polyclinic and the fit-quality summary."""

    models: dict[str, ClinicModel]
    summary: dict[str, Any] = field(default_factory=dict)


def estimate_network(
    store: str | Path,
    config: EstimateConfig | None = None,
    aggregates: str | Path | None = None,
) -> EstimationResult:
    """Estimate every polyclinic of ``store`` (folder with polyslot.duckdb, or the file).

    Parameters
    ----------
    store : path-like
        The DuckDB store.
    config : EstimateConfig, optional
    aggregates : path-like, optional
        A folder of aggregates computed by another engine (Spark, see
        :mod:`polyslot.estimate.aggregates`); the store then needs no ``attendances`` table
        (roster, slot template and supplied demand forecast are read from it). Default: the
        aggregates are computed by DuckDB from the store's attendances.
    """
    config = config or EstimateConfig()
    con = open_store(store, need_attendances=aggregates is None)
    try:
        if aggregates is None:
            scope = compute_aggregates(con, config)
        else:
            scope = load_aggregates(con, aggregates)
        # the file name only: outputs must not depend on where the run was made
        return _estimate(con, config, scope, store_path(store).name)
    finally:
        con.close()


def _inventory(con) -> tuple[set[str], dict[str, int], dict[str, tuple[str, str]]]:
    """Every polyclinic (attendances, roster, template), its rows and its date range."""
    all_pcs: set[str] = {
        r[0] for r in con.execute("SELECT DISTINCT polyclinic_id FROM agg_counts").fetchall()
    }
    for table in ("roster", "slot_template"):
        if has_table(con, table):
            all_pcs |= {
                r[0] for r in con.execute(f"SELECT DISTINCT polyclinic_id FROM {table}").fetchall()
            }
    counts = dict(
        con.execute(
            "SELECT polyclinic_id, sum(n) FROM agg_counts GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    )
    ranges = {
        r[0]: (str(r[1]), str(r[2]))
        for r in con.execute(
            "SELECT polyclinic_id, min(first_date), max(last_date) FROM agg_counts "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    }
    return all_pcs, counts, ranges


def _punctuality_source(rows: list[dict], pc: str) -> str:
    own = sum(r["n_obs"] for r in rows if r["polyclinic_id"] == pc)
    if own > 0:
        return "arrivals"
    if any(r["polyclinic_id"] == pc for r in rows):
        return "network arrivals (none at this polyclinic)"
    return UNKNOWN_PUNCTUALITY


def _summary(
    source: str,
    models: dict[str, ClinicModel],
    skipped: list[dict],
    unplanned: dict[str, dict[str, str]],
    fields: dict[str, dict[str, bool]],
    weeks: dict[str, Week],
) -> dict[str, Any]:
    """The head of ``fit_summary.json``: what was estimated, skipped and left unplanned."""
    return {
        "store": source,
        "polyclinics": sorted(models),
        "skipped": skipped,
        "unplanned_weekdays": [
            {"polyclinic_id": pc, "weekday": day, "reason": why}
            for pc in sorted(models)
            for day, why in unplanned.get(pc, {}).items()
        ],
        "history_fields": {pc: fields.get(pc, {}) for pc in sorted(models)},
        "current_template": {
            pc: {
                "source": w.current.source,
                "description": w.current.description,
                "evenly_spaced_weekdays": dict(w.current.even),
            }
            for pc, w in sorted(weeks.items())
        },
    }


def _estimate(con, config: EstimateConfig, scope: BookingScope, source: str) -> EstimationResult:
    all_pcs, counts, ranges = _inventory(con)
    service, service_rows = estimate_service_times(con, config)
    punct, punct_rows = estimate_punctuality(con, config)
    times = day_times(con)
    cells = {
        str(pc): sorted({(int(w), int(m) // 60) for w, m in zip(g["wd"], g["m"], strict=True)})
        for pc, g in times.groupby("polyclinic_id")
    }
    no_show, ns_metrics = estimate_no_show(con, config, scope, cells)
    fields = history_fields(con)
    unplanned = unplanned_weekdays(history_sessions(times), config.min_weekday_sessions)
    plan = week_inputs(con, config, all_pcs, times, unplanned)
    weeks: dict[str, Week] = {}
    skipped: list[dict] = []
    for pc in sorted(all_pcs):
        if not counts.get(pc):
            skipped.append({"polyclinic_id": pc, "reason": "no attendance records"})
            continue
        if pc not in service or not any(s.n_obs > 0 for s in service[pc].values()):
            # only the network's distributions to go on: nothing of its own to plan from
            skipped.append({"polyclinic_id": pc, "reason": NO_CONSULTATIONS})
            continue
        seen = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT visit_type FROM agg_counts WHERE polyclinic_id = ?", [pc]
            ).fetchall()
        }
        own = plan.given.get(pc)
        vts = tuple(
            sorted((seen | {s.visit_type for s in (own.slots if own else ())}) & set(service[pc]))
        )
        if not vts:
            skipped.append({"polyclinic_id": pc, "reason": NO_CONSULTATIONS})
            continue
        week = plan_week(pc, vts, plan)
        if isinstance(week, str):
            skipped.append({"polyclinic_id": pc, "reason": week})
            continue
        weeks[pc] = week
    demand, demand_rows = estimate_demand(
        con, grid_templates(plan.inferred, weeks), config, plan.drop
    )
    demand_source = "model"
    if has_table(con, "demand_forecast"):
        demand, demand_source = supplied_demand(con, config.interval_level), "supplied_forecast"
    preference = preference_shares(con)
    walk_ins = walk_in_rates(con)
    models: dict[str, ClinicModel] = {}
    for pc, w in weeks.items():
        vts, off = w.visit_types, plan.drop.get(pc, set())
        opening: dict[int, tuple[int, int]] = {}
        for s in w.sessions:
            lo, hi = opening.get(s.weekday, (s.start_minute, s.end_minute))
            opening[s.weekday] = (min(lo, s.start_minute), max(hi, s.end_minute))
        pooled = sorted(v for v in vts if service[pc][v].pooled)
        sparse_demand = sorted(
            r["visit_type"] for r in demand_rows if r["polyclinic_id"] == pc and r.get("sparse")
        )
        known = fields.get(pc, {})
        ns_source = ns_metrics.get("source", "model")
        if pc in ns_metrics.get("status_polyclinics", []):
            ns_source = "statuses"
        models[pc] = ClinicModel(
            polyclinic_id=pc,
            slot_minutes=config.slot_minutes,
            visit_types=vts,
            service=tuple(service[pc][v] for v in vts),
            punctuality=tuple(punct[pc][v] for v in vts if v in punct.get(pc, {})),
            no_show=tuple(
                r for r in no_show.get(pc, []) if r.visit_type in vts and r.weekday not in off
            ),
            demand=tuple(
                d for d in demand.get(pc, []) if d.visit_type in vts and d.weekday not in off
            ),
            preference=tuple(
                p for p in preference.get(pc, []) if p.visit_type in vts and p.weekday not in off
            ),
            walk_ins=tuple(h for h in walk_ins.get(pc, []) if h.weekday not in off),
            staffing=tuple(h for h in plan.staffing.get(pc, []) if h.weekday not in off),
            sessions=tuple(w.sessions),
            current_template=w.current.template,
            opening=opening,
            meta={
                "source": source,
                "no_show_source": ns_source,
                "no_show_lead_time": ns_metrics.get("lead_time") if ns_source == "model" else None,
                "demand_source": demand_source,
                "demand_counted_by": _counted_by(known),
                "template_source": w.current.source,
                "current_template_source": w.current.description,
                "evenly_spaced_weekdays": dict(w.current.even),
                "staffing_source": plan.staffing_source,
                "session_source": w.session_source,
                "punctuality_source": _punctuality_source(punct_rows, pc),
                "history_fields": dict(known),
                "unplanned_weekdays": dict(unplanned.get(pc, {})),
                "date_range": list(ranges.get(pc, ("", ""))),
                "attendance_rows": int(counts.get(pc, 0)),
                "pooled_visit_types": pooled,
                "sparse_demand_visit_types": sparse_demand,
                "estimate_config": {k: getattr(config, k) for k in config.__dataclass_fields__},
            },
        )
    for pc, m in models.items():
        if any(s.visit_type == ANY_VISIT_TYPE for s in m.current_template.slots):
            # unreserved slots: the model carries the visit-type mix ("any" rows), so optimize
            # and simulate can read the model file alone
            models[pc] = with_unreserved(m)
    models = complete_models(con, models, window=7 * config.template_weeks)
    summary = _summary(source, models, skipped, unplanned, fields, weeks)
    summary.update(
        {
            "queue": {pc: dataclasses.asdict(m.queue) for pc, m in models.items()},
            "booking_calibration": {pc: list(m.booking.calibration) for pc, m in models.items()},
            "service_time": service_rows
            and [r for r in service_rows if r["polyclinic_id"] in models],
            "punctuality": [r for r in punct_rows if r["polyclinic_id"] in models],
            "no_show": ns_metrics,
            "demand": {"source": demand_source, "backtest": demand_rows},
            "template_source": "slot_template" if plan.given else "inferred",
        }
    )
    return EstimationResult(models, summary)


def _counted_by(known: dict[str, bool]) -> str:
    """Which time dates a polyclinic's requests (``meta["demand_counted_by"]``)."""
    for f in ("appointment_ts", "arrival_ts", "consult_start_ts"):
        if known.get(f):
            return f
    return "none"


def build_clinic_models(
    store: str | Path,
    *,
    config: EstimateConfig | dict | None = None,
    slot_minutes: int | None = None,
    **overrides: Any,
) -> dict[str, ClinicModel]:
    """One :class:`ClinicModel` per non-empty polyclinic of ``store``.

    Parameters
    ----------
    store : path
        Folder containing ``polyslot.duckdb`` (written by ``polyslot ingest``) or the file.
    config : EstimateConfig or dict, optional
        Estimation settings; a dict is validated (e.g. a ``[estimate]`` TOML section).
    slot_minutes : int, optional
        Slot length of the grid (overrides ``config``; default 1).
    **overrides
        Any other :class:`EstimateConfig` field.
    """
    if not isinstance(config, EstimateConfig):
        config = EstimateConfig.from_mapping(config, slot_minutes=slot_minutes, **overrides)
    elif slot_minutes is not None or overrides:
        config = EstimateConfig.from_mapping(
            {k: getattr(config, k) for k in config.__dataclass_fields__},
            slot_minutes=slot_minutes,
            **overrides,
        )
    return estimate_network(store, config).models
