"""Current vs recommended: comparison tables from tidy KPI records.

Input rows have the columns of :data:`polyslot.kpi_records.KPI_COLUMNS` (optionally with a leading
``polyclinic_id``). Two operations:

* :func:`compare_kpis` pivots current and recommended side by side and adds the differences;
* :func:`compare_polyclinic` / :func:`compare_network` apply it to one polyclinic's rows, and to
  every polyclinic's plus the network-wide rows (aggregated by
  :func:`polyslot.kpi_records.aggregate_kpis`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from polyslot.results import NetworkResult, PolyclinicResult

__all__ = [
    "COMPARED_KPIS",
    "NETWORK_ID",
    "compare_kpis",
    "compare_polyclinic",
    "compare_network",
]

#: KPIs shown side by side by :func:`compare_kpis`.
COMPARED_KPIS = (
    "wait_mean",
    "wait_p90",
    "utilization",
    "overtime",
    "idle",
    "patients_served",
    "unmet_demand",
)
#: ``polyclinic_id`` of network-wide rows.
NETWORK_ID = "NETWORK"


def compare_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """Current beside recommended, with the changes.

    Parameters
    ----------
    kpis : DataFrame
        KPI rows (:data:`~polyslot.kpi_records.KPI_COLUMNS`, optionally ``polyclinic_id``).

    Returns
    -------
    DataFrame
        One row per (polyclinic_id,) source x weekday with ``<kpi>_current``,
        ``<kpi>_recommended`` (and their ``_ci_low``/``_ci_high``) for each of
        :data:`COMPARED_KPIS` present, plus ``wait_reduction_min``, ``wait_reduction_pct``
        (positive = shorter waits), ``wait_p90_change_min``, ``utilization_change_pp``
        (percentage points), ``overtime_change``, ``idle_change``, ``patients_served_change``,
        ``unmet_demand_change`` (recommended minus current).
    """
    keys = [c for c in ("polyclinic_id", "source", "weekday") if c in kpis.columns]
    sub = kpis[kpis["kpi"].isin(COMPARED_KPIS)]
    if sub.empty:
        return pd.DataFrame(columns=keys)
    wide = sub.pivot_table(
        index=keys,
        columns=["kpi", "scenario"],
        values=["mean", "ci_low", "ci_high"],
        aggfunc="first",
    )
    out = pd.DataFrame(index=wide.index)
    for kpi in COMPARED_KPIS:
        for scen in ("current", "recommended"):
            for stat, suffix in (("mean", ""), ("ci_low", "_ci_low"), ("ci_high", "_ci_high")):
                col = (stat, kpi, scen)
                out[f"{kpi}_{scen}{suffix}"] = wide[col] if col in wide.columns else np.nan
    cur, rec = out["wait_mean_current"], out["wait_mean_recommended"]
    out["wait_reduction_min"] = cur - rec
    out["wait_reduction_pct"] = np.where(cur > 0, 100.0 * (cur - rec) / cur.where(cur > 0), np.nan)
    out["wait_p90_change_min"] = out["wait_p90_recommended"] - out["wait_p90_current"]
    out["utilization_change_pp"] = 100.0 * (
        out["utilization_recommended"] - out["utilization_current"]
    )
    for kpi in ("overtime", "idle", "patients_served", "unmet_demand"):
        out[f"{kpi}_change"] = out[f"{kpi}_recommended"] - out[f"{kpi}_current"]
    return out.reset_index().sort_values(keys, kind="mergesort").reset_index(drop=True)


def compare_polyclinic(result: PolyclinicResult) -> pd.DataFrame:
    """:func:`compare_kpis` of one polyclinic (per weekday, ``weekday=-1`` = week)."""
    return compare_kpis(result.kpis.assign(polyclinic_id=result.polyclinic_id))


def compare_network(result: NetworkResult) -> pd.DataFrame:
    """Every polyclinic's comparison rows followed by network-wide rows (``NETWORK``)."""
    per_clinic = compare_kpis(result.all_kpis())
    network = compare_kpis(result.network_kpis().assign(polyclinic_id=NETWORK_ID))
    return pd.concat([per_clinic, network], ignore_index=True)
