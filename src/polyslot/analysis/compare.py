"""Current vs recommended: comparison tables from tidy KPI records.

Input rows have the columns of :data:`polyslot.results.KPI_COLUMNS` (optionally with a leading
``polyclinic_id``). Two operations:

* :func:`aggregate_kpis` combines rows across one dimension (weekdays into a week, polyclinics
  into the network). Additive KPIs (patients served, unmet demand, overtime, idle, capacity) are
  summed; waits are weighted by patients served (a network mean wait is minutes per patient seen
  network-wide); utilisation is weighted by available doctor-minutes (``capacity_minutes``), so the
  network utilisation is total busy minutes / total available minutes. CI half-widths are
  combined as for independent estimates: ``sqrt(sum(w_i^2 h_i^2)) / sum(w_i)`` for weighted means,
  ``sqrt(sum(h_i^2))`` for sums. The weighted mean of 90th percentiles is an approximation (a
  percentile of a mixture is not the mixture of percentiles); it is labelled as such in the docs.
* :func:`compare_kpis` pivots current and recommended side by side and adds the differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from polyslot.errors import InputError

if TYPE_CHECKING:
    from polyslot.results import NetworkResult, PolyclinicResult

__all__ = [
    "ADDITIVE_KPIS",
    "WEIGHTED_KPIS",
    "COMPARED_KPIS",
    "NETWORK_ID",
    "aggregate_kpis",
    "compare_kpis",
    "compare_polyclinic",
    "compare_network",
]

#: KPIs that add up across weekdays and polyclinics.
ADDITIVE_KPIS = ("patients_served", "unmet_demand", "overtime", "idle", "capacity_minutes")
#: KPIs averaged with a weight taken from another KPI of the same entity.
WEIGHTED_KPIS = {
    "wait_mean": "patients_served",
    "wait_p90": "patients_served",
    "utilization": "capacity_minutes",
}
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

_ID_COLUMNS = ("polyclinic_id", "scenario", "source", "weekday")
_VALUE_COLUMNS = ("mean", "ci_low", "ci_high", "n")


def aggregate_kpis(kpis: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Combine KPI rows over every identifying column not in ``by``.

    Parameters
    ----------
    kpis : DataFrame
        Columns ``kpi``, ``mean``, ``ci_low``, ``ci_high``, ``n`` and identifying columns among
        ``polyclinic_id``, ``scenario``, ``source``, ``weekday``.
    by : sequence of str
        Identifying columns to keep (e.g. ``["scenario", "source", "weekday"]`` to aggregate
        polyclinics into the network).

    Returns
    -------
    DataFrame
        Columns ``*by, kpi, mean, ci_low, ci_high, n``; one row per group and aggregatable KPI
        (KPIs that are neither additive nor weighted are dropped).
    """
    missing = [c for c in (*by, "kpi", *_VALUE_COLUMNS) if c not in kpis.columns]
    if missing:
        raise InputError(f"missing columns {missing}", field="kpis", value=list(kpis.columns))
    by = list(by)
    ids = [c for c in _ID_COLUMNS if c in kpis.columns]
    out_cols = [*by, "kpi", *_VALUE_COLUMNS]
    if kpis.empty:
        return pd.DataFrame(columns=out_cols)
    wide = kpis.pivot_table(index=ids, columns="kpi", values="mean", aggfunc="first")
    rows: list[dict[str, object]] = []
    groups = kpis.groupby([*by, "kpi"], sort=True) if by else kpis.groupby("kpi", sort=True)
    for key, grp in groups:
        key = key if isinstance(key, tuple) else (key,)
        kpi = key[-1]
        mean = grp["mean"].to_numpy(float)
        lo_hw = mean - grp["ci_low"].to_numpy(float)
        hi_hw = grp["ci_high"].to_numpy(float) - mean
        if kpi in ADDITIVE_KPIS:
            total = float(mean.sum())
            lo = total - float(np.sqrt((lo_hw**2).sum()))
            hi = total + float(np.sqrt((hi_hw**2).sum()))
        elif kpi in WEIGHTED_KPIS:
            w = _weights(grp, ids, wide, WEIGHTED_KPIS[kpi])
            total = float((w * mean).sum())
            lo = total - float(np.sqrt(((w * lo_hw) ** 2).sum()))
            hi = total + float(np.sqrt(((w * hi_hw) ** 2).sum()))
        else:
            continue
        rows.append(
            {
                **dict(zip([*by, "kpi"], key, strict=True)),
                "mean": total,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(grp["n"].min()),
            }
        )
    return pd.DataFrame(rows, columns=out_cols)


def _weights(grp: pd.DataFrame, ids: list[str], wide: pd.DataFrame, weight_kpi: str) -> np.ndarray:
    """Normalised weights of ``grp``'s rows from ``weight_kpi`` of the same entity (equal if
    any is missing or all are zero)."""
    if weight_kpi in wide.columns:
        index = pd.MultiIndex.from_frame(grp[ids]) if len(ids) > 1 else pd.Index(grp[ids[0]])
        w = wide[weight_kpi].reindex(index).to_numpy(float)
    else:
        w = np.full(len(grp), np.nan)
    if np.isnan(w).any() or w.sum() <= 0:
        w = np.ones(len(grp))
    return w / w.sum()


def compare_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """Current beside recommended, with the changes.

    Parameters
    ----------
    kpis : DataFrame
        KPI rows (:data:`~polyslot.results.KPI_COLUMNS`, optionally ``polyclinic_id``).

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
