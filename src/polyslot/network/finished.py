"""``polyslot network OUT``: redo the network plan of a finished run.

Read from ``OUT``: the run's configuration (``run_config.json``), every planned polyclinic's
model (``model/<id>.json``) and recommended template (``templates/<id>.json``), what the plan
read of the run's results (``network/inputs.json``; without it, the ``model`` rows of
``comparison.csv`` and the overloaded weekdays of ``frontier/<id>.json``) and the staffing
responses (``network/responses/``; without them they are computed here, for the roles the
history of ``store/`` gives). Then plan, write ``network/`` and replace the network parts of
``report.html`` and ``guide.md`` (between their markers).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from polyslot.atomic import write_json, write_text
from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.errors import InputError
from polyslot.network.document import plan_document
from polyslot.network.outputs import (
    NETWORK_DIR,
    read_responses,
    write_network_files,
    write_responses,
)
from polyslot.network.plan import ClinicInputs, plan_network
from polyslot.network.respond import staffing_response
from polyslot.network.roles import NetworkRole, network_roles
from polyslot.network.step import INPUTS_FILE, days_from_document, inputs_document
from polyslot.report.export import read_template
from polyslot.report.fhir import week_start_after
from polyslot.report.network_section import splice_guide, splice_report
from polyslot.report.run_kpis import run_config
from polyslot.staffing import RESPONSE_KPIS, StaffingResponse
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS
from polyslot.unreserved import with_unreserved

__all__ = ["redo_network", "load_clinics"]

Z95 = 1.959963984540054
Progress = Callable[[str, int, int], None]


def _model(out: Path, pid: str) -> ClinicModel:
    model = ClinicModel.from_json(out / "model" / f"{pid}.json")
    if any(s.visit_type == ANY_VISIT_TYPE for s in model.current_template.slots):
        model = with_unreserved(model)  # as plan_polyclinic does
    return model


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _from_comparison(out: Path, pid: str, model: ClinicModel, scenario: str) -> dict:
    """``{weekday: kpis}`` from the ``model`` rows of comparison.csv (runs without inputs.json)."""
    path = out / "comparison.csv"
    if not path.is_file():
        return {}
    table = pd.read_csv(path)
    sub = table[(table["polyclinic_id"] == pid) & (table["source"] == "model")
                & (table["weekday"] >= 0)]  # fmt: skip
    cap: dict[int, float] = {}
    for s in model.sessions:
        cap[s.weekday] = cap.get(s.weekday, 0.0) + s.end_minute - s.start_minute
    out_days = {}
    for r in sub.to_dict("records"):
        d = int(r["weekday"])
        kp = {
            k: (float(r[f"{k}_{scenario}"]),
                max(0.0, float(r[f"{k}_{scenario}_ci_high"]) - float(r[f"{k}_{scenario}"])) / Z95)
            for k in RESPONSE_KPIS[:-1]
        }  # fmt: skip
        kp["capacity_minutes"] = (cap.get(d, 0.0), 0.0)
        out_days[d] = kp
    return out_days


def _overloaded(out: Path, pid: str) -> tuple[int, ...]:
    path = out / "frontier" / f"{pid}.json"
    if not path.is_file():
        return ()
    days = json.loads(path.read_text(encoding="utf-8")).get("weekdays", {})
    return tuple(sorted(WEEKDAYS.index(d) for d, v in days.items()
                        if d in WEEKDAYS and v.get("overloaded")))  # fmt: skip


def load_clinics(out: Path) -> list[ClinicInputs]:
    """Every planned polyclinic of the finished run in ``out`` (without staffing responses)."""
    inputs_file = out / NETWORK_DIR / INPUTS_FILE
    saved = (
        json.loads(inputs_file.read_text(encoding="utf-8")).get("polyclinics", {})
        if inputs_file.is_file()
        else {}
    )
    ids = sorted(p.stem for p in (out / "templates").glob("*.json") if (out / "model" /
                                                                       p.name).is_file())
    clinics = []
    for pid in ids:
        model = _model(out, pid)
        rec = read_template(out / "templates" / f"{pid}.json")
        if pid in saved:
            s = saved[pid]
            today, planned = days_from_document(s["today"]), days_from_document(s["recommended"])
            heavy = tuple(WEEKDAYS.index(d) for d in s.get("overloaded", []))
        else:
            today = _from_comparison(out, pid, model, "current")
            planned = _from_comparison(out, pid, model, "recommended")
            heavy = _overloaded(out, pid)
        clinics.append(ClinicInputs(pid, model, rec, today, planned, heavy))
    if not clinics:
        raise InputError("no planned polyclinic (templates/<id>.json with model/<id>.json)",
                         source=str(out))
    return clinics


def _roles(out: Path, clinics: list[ClinicInputs], config: RunConfig) -> dict[str, NetworkRole]:
    from polyslot.analysis.observed import observed_history
    from polyslot.data.store import last_date

    store = out / "store"
    cutoff = None
    if config.holdout_days > 0:
        cutoff = last_date(store) - dt.timedelta(days=config.holdout_days - 1)
    histories = observed_history(store, cutoff)
    models = {c.polyclinic_id: c.model for c in clinics}
    return network_roles(models, {p: histories.get(p) for p in models}, config.network)


def _respond(args: tuple[ClinicInputs, RunConfig, NetworkRole]) -> StaffingResponse:
    c, config, role = args
    return staffing_response(c.model, c.recommended, c.today, c.planned, config, role)


def _responses(
    out: Path, clinics: list[ClinicInputs], config: RunConfig, progress: Progress | None
) -> dict[str, StaffingResponse]:
    if (out / NETWORK_DIR / "responses").is_dir():
        return read_responses(out)
    roles = _roles(out, clinics, config)
    tasks = [(c, config, roles[c.polyclinic_id]) for c in clinics if c.polyclinic_id in roles]
    if progress:
        progress("staffing responses", 0, len(tasks))
    if config.workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=config.workers) as pool:
            got = list(pool.map(_respond, tasks))
    else:
        got = [_respond(t) for t in tasks]
    return {r.polyclinic_id: r.canonical() for r in got}


def _week_start(out: Path, config: RunConfig) -> dt.date:
    if config.fhir_week_start:
        return dt.date.fromisoformat(config.fhir_week_start)
    from polyslot.data.store import last_date

    return week_start_after(last_date(out / "store"))


def redo_network(out_dir: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Redo the network plan of the finished run in ``out_dir`` (see the module docstring);
    returns the plan document.

    Raises
    ------
    InputError
        ``out_dir`` is not a finished run.
    """
    out = Path(out_dir)
    config = run_config(out)
    if not config.network.enabled:
        raise InputError(
            "the run has [network] enabled = false; enable it in polyslot.toml and run again",
            source=str(out / "run_config.json"),
            field="network.enabled",
            value=False,
        )
    clinics = load_clinics(out)
    responses = _responses(out, clinics, config, progress)
    write_responses(responses, out)
    clinics = [
        ClinicInputs(c.polyclinic_id, c.model, c.recommended, c.today, c.planned, c.overloaded,
                     responses.get(c.polyclinic_id))
        for c in clinics
    ]  # fmt: skip
    if progress:
        progress("network plan", 0, 1)
    plan = plan_network(clinics, config)
    doc = plan_document(plan)
    write_json(out / NETWORK_DIR / INPUTS_FILE, inputs_document(clinics))
    write_responses(plan.staffing, out)
    write_network_files(plan, doc, out, _week_start(out, config))
    for name, splice in (("report.html", splice_report), ("guide.md", splice_guide)):
        path = out / name
        if path.is_file():
            try:
                write_text(path, splice(path.read_text(encoding="utf-8"), doc))
            except ValueError:
                pass  # a report of an older run without the network markers: left as it is
    return doc
