"""How the studio's pages print a KPI.

:func:`round_kpi` rounds every KPI number (value and standard error) to :data:`KPI_DECIMALS`
decimals for the pages' own JSON (``/api/pc/<id>/<day>/kpis``); the contract document of
``/api/kpis`` and ``polyslot kpis`` is :func:`polyslot.report.run_kpis.kpis_document`.
:func:`kpi_text` is the pages' shorter display form.
"""

from __future__ import annotations

import math
from typing import Any

from polyslot.studio.kpis import KPI_KEYS, KPI_LABELS, DayKPIs

__all__ = ["KPI_DECIMALS", "round_kpi", "kpi_record", "kpi_text", "fmt"]

#: Decimals of every KPI number in JSON output (values, standard errors, CI bounds).
KPI_DECIMALS = 3


def round_kpi(value: float | None) -> float | None:
    """``value`` rounded to :data:`KPI_DECIMALS` decimals (None for missing or not finite;
    never ``-0.0``)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), KPI_DECIMALS) + 0.0


def kpi_record(kpis: DayKPIs) -> dict[str, dict[str, Any]]:
    """``{kpi: {"value", "se", "ci_low", "ci_high", "unit"}}`` for every key of
    :data:`~polyslot.studio.kpis.KPI_KEYS`, rounded; the 95% CI is ``value +- 1.96 se``
    (None when the standard error is unknown). Utilisation is a fraction here."""
    out: dict[str, dict[str, Any]] = {}
    for key in KPI_KEYS:
        value = kpis.value(key)
        se = kpis.se.get(key)
        unit = "fraction" if key == "utilization" else KPI_LABELS[key][1].lstrip("/")
        out[key] = {
            "value": round_kpi(value),
            "se": round_kpi(se),
            "ci_low": round_kpi(None if se is None else value - 1.96 * se),
            "ci_high": round_kpi(None if se is None else value + 1.96 * se),
            "unit": "patients/day" if unit == "day" else unit,
        }
    return out


def fmt(value: Any, digits: int = 2) -> str:
    """A number for display (``-`` for missing)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def kpi_text(kpis: DayKPIs, key: str, digits: int = 2) -> str:
    """The pages' form of one KPI: utilisation in percent, ``+- se`` when the standard error
    is not 0."""
    scale = 100.0 if KPI_LABELS[key][1] == "%" else 1.0
    text = fmt(kpis.value(key) * scale, digits)
    se = kpis.se.get(key)
    if se:
        text += f" \u00b1 {fmt(se * scale, digits)}"
    return text
