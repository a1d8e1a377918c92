"""Whole-week KPIs of a polyclinic (and of the network) from its weekdays' one-model KPIs, by
the report's aggregation rules (:func:`polyslot.kpi_records.aggregate_kpis`: patients, overtime,
idle and unmet demand summed; waits weighted by patients served; utilisation by rostered
doctor-minutes; 95% intervals combined as independent estimates)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from polyslot.kpi_records import KPI_COLUMNS, aggregate_kpis

__all__ = ["WEEK_KPIS", "kpi_frame", "week_kpis", "network_week"]

Z95 = 1.959963984540054
#: The KPIs of a before / after entry of the network plan.
WEEK_KPIS = ("wait_mean", "wait_p90", "overtime", "patients_served", "utilization",
             "unmet_demand", "idle")

Kpis = Mapping[str, tuple[float, float]]


def kpi_frame(days: Mapping[int, Kpis], scenario: str, polyclinic_id: str = "") -> pd.DataFrame:
    """KPI rows (:data:`KPI_COLUMNS` + ``polyclinic_id``) of one scenario's weekdays."""
    rows = []
    for d, kpis in sorted(days.items()):
        for k, (mean, se) in kpis.items():
            half = Z95 * se
            rows.append((scenario, "model", int(d), k, mean, mean - half, mean + half, 1))
    frame = pd.DataFrame(rows, columns=list(KPI_COLUMNS))
    return frame.assign(polyclinic_id=polyclinic_id)


def _entries(agg: pd.DataFrame) -> dict[str, dict[str, float]]:
    out = {}
    for r in agg.itertuples():
        if r.kpi in WEEK_KPIS:
            out[str(r.kpi)] = {
                "mean": round(float(r.mean), 6),
                "ci_low": round(float(r.ci_low), 6),
                "ci_high": round(float(r.ci_high), 6),
            }
    return {k: out[k] for k in WEEK_KPIS if k in out}


def week_kpis(days: Mapping[int, Kpis]) -> dict[str, dict[str, float]]:
    """``{kpi: {"mean", "ci_low", "ci_high"}}`` of the week made of ``days``."""
    if not days:
        return {}
    return _entries(aggregate_kpis(kpi_frame(days, "x"), by=["scenario"]))


def network_week(clinics: Mapping[str, Mapping[int, Kpis]]) -> dict[str, dict[str, float]]:
    """The network's week: every polyclinic's weekdays aggregated together."""
    frames = [kpi_frame(days, "x", pid) for pid, days in sorted(clinics.items()) if days]
    if not frames:
        return {}
    return _entries(aggregate_kpis(pd.concat(frames, ignore_index=True), by=["scenario"]))
