"""The network step of a run, on both engines:

* in the worker, after :func:`polyslot.pipeline.plan_polyclinic`: :func:`with_staffing` adds the
  polyclinic's staffing response for its :class:`~polyslot.network.roles.NetworkRole` (local
  processes, or Spark's ``applyInPandas`` step);
* on the driver, before the deliverables: :func:`network_step` plans the network, writes
  ``out/network/`` and returns the plan document the report and the guide show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from polyslot.atomic import write_json
from polyslot.config import RunConfig
from polyslot.network.document import finite, plan_document
from polyslot.network.outputs import NETWORK_DIR, write_network_files, write_responses
from polyslot.network.plan import ClinicInputs, plan_network
from polyslot.network.respond import result_response
from polyslot.network.roles import NetworkRole
from polyslot.results import PolyclinicResult
from polyslot.template import WEEKDAYS

__all__ = [
    "with_staffing",
    "network_step",
    "inputs_document",
    "days_from_document",
    "canonical_inputs",
    "INPUTS_FILE",
]

#: What the plan read of every polyclinic's run results (read back by ``polyslot network``).
INPUTS_FILE = "inputs.json"


def with_staffing(
    result: PolyclinicResult, config: RunConfig, role: NetworkRole | None
) -> PolyclinicResult:
    """``result`` with its staffing response (unchanged without a role or with
    ``[network] enabled = false``)."""
    if role is None or role.empty or not config.network.enabled:
        return result
    return dataclasses.replace(result, staffing=result_response(result, config, role))


def _kpis_dict(days: Mapping[int, Mapping[str, tuple[float, float]]]) -> dict[str, Any]:
    return {WEEKDAYS[d]: {k: [v[0], v[1]] for k, v in kp.items()} for d, kp in sorted(days.items())}


def inputs_document(clinics: Sequence[ClinicInputs]) -> dict[str, Any]:
    """``network/inputs.json``: per polyclinic its overloaded weekdays and the one model's KPIs
    of today's and the recommended template per weekday (mean, standard error)."""
    return finite({
        "format_version": 1,
        "polyclinics": {
            c.polyclinic_id: {
                "overloaded": [WEEKDAYS[d] for d in c.overloaded],
                "today": _kpis_dict(c.today),
                "recommended": _kpis_dict(c.planned),
            }
            for c in sorted(clinics, key=lambda c: c.polyclinic_id)
        },
    }, 12)


def days_from_document(raw: Mapping[str, Any]) -> dict[int, dict[str, tuple[float, float]]]:
    """``{weekday: {kpi: (mean, se)}}`` of an ``inputs.json`` entry."""
    return {
        WEEKDAYS.index(d): {k: (_f(v[0]), _f(v[1])) for k, v in kp.items()}
        for d, kp in raw.items()
    }


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


def canonical_inputs(clinics: Sequence[ClinicInputs]) -> list[ClinicInputs]:
    """``clinics`` with their numbers as ``network/inputs.json`` and ``network/responses/``
    hold them (rounded as written), so the plan of a run is the plan ``polyslot network OUT``
    makes from its files, to the last digit."""
    doc = inputs_document(clinics)["polyclinics"]
    return [
        dataclasses.replace(
            c,
            today=days_from_document(doc[c.polyclinic_id]["today"]),
            planned=days_from_document(doc[c.polyclinic_id]["recommended"]),
            staffing=c.staffing.canonical() if c.staffing else None,
        )
        for c in clinics
    ]


def network_step(
    results: Sequence[PolyclinicResult], config: RunConfig, out: Path, week_start: dt.date
) -> dict[str, Any]:
    """Plan the network of ``results`` and write ``out/network/``; the plan document (empty when
    ``[network] enabled = false``)."""
    if not config.network.enabled:
        return {}
    clinics = canonical_inputs([ClinicInputs.from_result(r) for r in results])
    plan = plan_network(clinics, config)
    doc = plan_document(plan)
    write_json(out / NETWORK_DIR / INPUTS_FILE, inputs_document(clinics))
    write_responses(plan.staffing, out)
    write_network_files(plan, doc, out, week_start)
    return doc
