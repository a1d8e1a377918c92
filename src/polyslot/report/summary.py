"""``summary.json``: the headline numbers per polyclinic and network-wide.

Shape (more keys are added after the required ones)::

    {"polyclinics": [{"polyclinic_id", "wait_mean_current", "wait_mean_recommended",
                      "utilization_current", "utilization_recommended",
                      "patients_served_current", "patients_served_recommended", ...}, ...],
     "network": {the same keys, network-wide}}

Values are whole-week (``weekday = -1``) KPIs from the simulator when it reported them, else from
the evaluator, else from replay (the chosen source is in ``"source"``). Waits are minutes per
patient seen; utilisation a fraction; patients served per average week. Network values: waits
weighted by patients served, utilisation by available doctor-minutes, patients summed (see
:func:`polyslot.kpi_records.aggregate_kpis`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from polyslot.analysis.compare import NETWORK_ID, compare_network
from polyslot.atomic import write_json
from polyslot.kpi_records import SOURCE_PREFERENCE, WEEK
from polyslot.report.trust_summary import network_trust, skipped_list, trust_keys
from polyslot.results import NetworkResult

__all__ = ["SUMMARY_KEYS", "build_summary", "write_summary"]

#: Required keys of every entry, in order.
SUMMARY_KEYS = (
    "polyclinic_id",
    "wait_mean_current",
    "wait_mean_recommended",
    "utilization_current",
    "utilization_recommended",
    "patients_served_current",
    "patients_served_recommended",
)
_EXTRA = (
    "wait_reduction_min",
    "wait_reduction_pct",
    "wait_p90_current",
    "wait_p90_recommended",
    "utilization_change_pp",
    "overtime_current",
    "overtime_recommended",
    "idle_current",
    "idle_recommended",
    "unmet_demand_current",
    "unmet_demand_recommended",
)


def _clean(v: Any) -> Any:
    if isinstance(v, float | int) and not isinstance(v, bool):
        f = float(v)
        return None if not math.isfinite(f) else round(f, 6)
    return v


def _entry(rows: pd.DataFrame, first: str | None = None) -> dict[str, Any]:
    """The first row of ``rows`` by source preference (``first`` before it), as an entry."""
    order = ((first,) if first else ()) + tuple(x for x in SOURCE_PREFERENCE if x != first)
    for src in order:
        hit = rows[rows["source"] == src]
        if not hit.empty:
            r = hit.iloc[0]
            out = {k: _clean(r[k]) if k != "polyclinic_id" else str(r[k]) for k in SUMMARY_KEYS}
            out.update({k: _clean(r[k]) for k in _EXTRA if k in r.index})
            out["source"] = src
            return out
    pid = str(rows["polyclinic_id"].iloc[0]) if not rows.empty else ""
    return {"polyclinic_id": pid, **{k: None for k in SUMMARY_KEYS[1:]}, "source": None}


def build_summary(result: NetworkResult) -> dict[str, Any]:
    """The ``summary.json`` document of ``result`` (deterministic, JSON-ready)."""
    table = compare_network(result)
    week = table[table["weekday"] == WEEK]
    clinics = []
    for r in result.polyclinics:
        entry = _entry(
            week[week["polyclinic_id"] == r.polyclinic_id], r.trust.get("headline_source")
        )
        entry.update(trust_keys(r.trust, entry))
        # weekdays too sparse in the history to plan as regular weekdays, with the reason
        entry["unplanned_weekdays"] = dict(r.model.meta.get("unplanned_weekdays") or {})
        clinics.append(entry)
    skipped = skipped_list(result)
    for item in skipped:
        clinics.append(
            {
                "polyclinic_id": item["polyclinic_id"],
                **{k: None for k in SUMMARY_KEYS[1:]},
                "source": None,
                **trust_keys({"verdict": "skipped", "reason": item["reason"]}, {}),
            }
        )
    clinics.sort(key=lambda e: e["polyclinic_id"])
    network = _entry(week[week["polyclinic_id"] == NETWORK_ID])
    network["polyclinic_id"] = NETWORK_ID
    network["n_polyclinics"] = len(result.polyclinics)
    network["aggregation"] = {
        "wait": "weighted by patients served",
        "utilization": "weighted by available doctor-minutes",
        "patients_served": "sum",
    }
    network.update(network_trust(result))
    return {"polyclinics": clinics, "network": network, "skipped": skipped}


def write_summary(result: NetworkResult, path: str | Path) -> Path:
    """Write ``summary.json`` atomically."""
    return write_json(path, build_summary(result))
