"""Assemble one :class:`~polyslot.clinic_model.ClinicModel` per polyclinic from the store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.data.store import has_table, open_store, store_path, table_columns
from polyslot.estimate.aggregates import BookingScope
from polyslot.estimate.aggregates_store import compute_aggregates, load_aggregates
from polyslot.estimate.complete import complete_models
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.demand import estimate_demand, supplied_demand
from polyslot.estimate.durations import estimate_service_times
from polyslot.estimate.noshow_rates import estimate_no_show
from polyslot.estimate.profiles import preference_shares, walk_in_rates
from polyslot.estimate.punctuality import estimate_punctuality
from polyslot.estimate.staffing import (
    inferred_staffing,
    roster_sessions,
    roster_staffing,
    sessions_from_staffing,
)
from polyslot.estimate.templates import given_templates, inferred_templates
from polyslot.evaluation.sessions import slot_span
from polyslot.template import SlotTemplate

__all__ = ["EstimationResult", "estimate_network", "build_clinic_models"]

#: Why a polyclinic with attendances still gets no model.
NO_CONSULTATIONS = (
    "no consultation records (attended visits with consultation start and end times, "
    "needed to estimate consultation durations)"
)


@dataclass(frozen=True)
class EstimationResult:
    """The models of every non-empty polyclinic and the fit-quality summary."""

    models: dict[str, ClinicModel]
    summary: dict[str, Any] = field(default_factory=dict)


def _template_sessions(t: SlotTemplate) -> list[DoctorSession]:
    out = []
    for sid, slots in t.sessions().items():
        start, end = slot_span(slots)
        out.append(DoctorSession(slots[0].weekday, sid, start, end))
    return sorted(out, key=lambda s: (s.weekday, s.session_id))


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


def _estimate(con, config: EstimateConfig, scope: BookingScope, source: str) -> EstimationResult:
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
    service, service_rows = estimate_service_times(con, config)
    punct, punct_rows = estimate_punctuality(con, config)
    no_show, ns_metrics = estimate_no_show(con, config, scope)
    given = given_templates(con)
    templates = given or inferred_templates(con, config.template_min_share, config.template_weeks)
    template_source = "slot_template" if given else "inferred"
    # the built-in forecaster always runs so the summary has its backtest; the supplied
    # forecast, when supplied, is what the models use
    demand, demand_rows = estimate_demand(con, templates, config)
    demand_source = "model"
    if has_table(con, "demand_forecast"):
        demand, demand_source = supplied_demand(con, config.interval_level), "supplied_forecast"
    has_roster = has_table(con, "roster")
    roster_source = "roster"
    if has_roster and "inferred_from" in table_columns(con, "roster"):
        roster_source = "roster_inferred"  # built by ingest from consultation activity
    staffing = roster_staffing(con) if has_roster else inferred_staffing(con)
    r_sessions = roster_sessions(con) if has_roster else {}
    preference = preference_shares(con)
    walk_ins = walk_in_rates(con)
    models: dict[str, ClinicModel] = {}
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
        template = templates.get(pc, SlotTemplate(pc, (), 60, "current"))
        vts = tuple(sorted((seen | {s.visit_type for s in template.slots}) & set(service[pc])))
        if not vts:
            skipped.append({"polyclinic_id": pc, "reason": NO_CONSULTATIONS})
            continue
        if (
            template_source == "slot_template"
            and any(s.doctor_session for s in template.slots)
            and template.slots
        ):
            sessions, session_source = _template_sessions(template), "slot_template"
        elif r_sessions.get(pc):
            sessions, session_source = r_sessions[pc], roster_source
        else:
            sessions, session_source = sessions_from_staffing(staffing.get(pc, [])), "staffing"
        opening: dict[int, tuple[int, int]] = {}
        for s in sessions:
            lo, hi = opening.get(s.weekday, (s.start_minute, s.end_minute))
            opening[s.weekday] = (min(lo, s.start_minute), max(hi, s.end_minute))
        pooled = sorted(v for v in vts if service[pc][v].pooled)
        sparse_demand = sorted(
            r["visit_type"] for r in demand_rows if r["polyclinic_id"] == pc and r.get("sparse")
        )
        models[pc] = ClinicModel(
            polyclinic_id=pc,
            slot_minutes=config.slot_minutes,
            visit_types=vts,
            service=tuple(service[pc][v] for v in vts),
            punctuality=tuple(punct[pc][v] for v in vts if v in punct.get(pc, {})),
            no_show=tuple(r for r in no_show.get(pc, []) if r.visit_type in vts),
            demand=tuple(d for d in demand.get(pc, []) if d.visit_type in vts),
            preference=tuple(p for p in preference.get(pc, []) if p.visit_type in vts),
            walk_ins=tuple(walk_ins.get(pc, [])),
            staffing=tuple(staffing.get(pc, [])),
            sessions=tuple(sessions),
            current_template=template,
            opening=opening,
            meta={
                "source": source,
                "no_show_source": ns_metrics.get("source", "model"),
                "demand_source": demand_source,
                "template_source": template_source if pc in templates else "none",
                "staffing_source": roster_source if has_roster else "consultations",
                "session_source": session_source,
                "date_range": list(ranges.get(pc, ("", ""))),
                "attendance_rows": int(counts.get(pc, 0)),
                "pooled_visit_types": pooled,
                "sparse_demand_visit_types": sparse_demand,
                "estimate_config": {k: getattr(config, k) for k in config.__dataclass_fields__},
            },
        )
    models = complete_models(con, models, window=7 * config.template_weeks)
    summary = {
        "store": source,
        "polyclinics": sorted(models),
        "queue": {pc: dataclasses.asdict(m.queue) for pc, m in models.items()},
        "booking_calibration": {pc: list(m.booking.calibration) for pc, m in models.items()},
        "skipped": skipped,
        "service_time": service_rows and [r for r in service_rows if r["polyclinic_id"] in models],
        "punctuality": [r for r in punct_rows if r["polyclinic_id"] in models],
        "no_show": ns_metrics,
        "demand": {"source": demand_source, "backtest": demand_rows},
        "template_source": template_source,
    }
    return EstimationResult(models, summary)


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
