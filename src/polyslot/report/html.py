"""``report.html``: one self-contained page (plotly.js embedded once, no network access).

The network plan (doctor-sessions between polyclinics, when the run made one) first, the network
summary next, then one section per polyclinic (slot heatmaps, wait / queue /
utilisation by hour, KPI table with 95% CIs, sensitivity tornado and curves, booking envelope,
data quality, assumptions), then the implementation guide. Figure ``div`` ids are fixed, so the
same result renders to the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from polyslot.analysis.compare import NETWORK_ID, compare_network
from polyslot.atomic import write_text
from polyslot.kpi_records import SOURCE_PREFERENCE, WEEK
from polyslot.report import figures as F
from polyslot.report.capacity_section import capacity_context
from polyslot.report.frontier_figure import frontier_figure
from polyslot.report.guide import WEEKDAY_NAMES, build_guide
from polyslot.report.markdown import markdown_to_html
from polyslot.report.network_section import network_html
from polyslot.report.summary import build_summary
from polyslot.report.trust_text import clinic_trust, first_screen
from polyslot.results import NetworkResult, PolyclinicResult

__all__ = ["render_report", "write_report", "count_figures"]

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
_KPI_LABELS = {
    "wait_mean": "mean wait (min per patient seen)",
    "wait_p90": "90th-percentile wait (min)",
    "utilization": "utilisation (%)",
    "overtime": "overtime (doctor-min)",
    "idle": "idle time (doctor-min)",
    "patients_served": "patients served",
    "unmet_demand": "unmet demand (patients)",
}


@dataclass
class _FigureWriter:
    """Turns figures into HTML fragments; the first one carries plotly.js inline."""

    count: int = 0

    def __call__(self, fig: go.Figure | None, div_id: str) -> str | None:
        if fig is None:
            return None
        out = fig.to_html(
            full_html=False,
            include_plotlyjs=self.count == 0,
            div_id=re.sub(r"[^A-Za-z0-9_-]", "_", div_id),
            config=_PLOTLY_CONFIG,
        )
        self.count += 1
        return out


def _fmt(v: Any, scale: float = 1.0, digits: int = 1) -> str:
    try:
        f = float(v) * scale
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not math.isfinite(f) else f"{f:,.{digits}f}"


def _cell(row: pd.Series, kpi: str, scen: str, scale: float) -> str:
    mean = row.get(f"{kpi}_{scen}")
    lo, hi = row.get(f"{kpi}_{scen}_ci_low"), row.get(f"{kpi}_{scen}_ci_high")
    text = _fmt(mean, scale)
    if lo is not None and hi is not None and _fmt(lo, scale) != _fmt(hi, scale):
        text += f" [{_fmt(lo, scale)}, {_fmt(hi, scale)}]"
    return text


def _kpi_tables(comparison: pd.DataFrame, pid: str) -> list[dict[str, Any]]:
    """Whole-week KPI tables (one per source) with 95% CIs."""
    out = []
    sub = comparison[(comparison["polyclinic_id"] == pid) & (comparison["weekday"] == WEEK)]
    for src in SOURCE_PREFERENCE:
        hit = sub[sub["source"] == src]
        if hit.empty:
            continue
        row = hit.iloc[0]
        rows = []
        for kpi, label in _KPI_LABELS.items():
            scale = 100.0 if kpi == "utilization" else 1.0
            change = row.get(f"{kpi}_recommended", math.nan) - row.get(f"{kpi}_current", math.nan)
            rows.append(
                [
                    label,
                    _cell(row, kpi, "current", scale),
                    _cell(row, kpi, "recommended", scale),
                    _fmt(change, scale),
                ]
            )
        out.append({"source": src, "rows": rows})
    return out


def _weekday_table(comparison: pd.DataFrame, pid: str) -> list[list[str]]:
    sub = comparison[(comparison["polyclinic_id"] == pid) & (comparison["weekday"] != WEEK)]
    rows = []
    for day in sorted(sub["weekday"].unique()):
        day_rows = sub[sub["weekday"] == day]
        for src in SOURCE_PREFERENCE:
            hit = day_rows[day_rows["source"] == src]
            if hit.empty:
                continue
            r = hit.iloc[0]
            rows.append(
                [
                    WEEKDAY_NAMES[int(day)],
                    src,
                    _fmt(r["wait_reduction_min"]),
                    _fmt(r["wait_reduction_pct"]),
                    _fmt(r["wait_p90_change_min"]),
                    _fmt(r["utilization_change_pp"]),
                    _fmt(r["overtime_change"]),
                    _fmt(r["idle_change"]),
                    _fmt(r["patients_served_change"]),
                    _fmt(r["unmet_demand_change"]),
                ]
            )
            break
    return rows


def _assumption_rows(assumptions: dict[str, Any]) -> list[list[str]]:
    rows = []
    for k in sorted(assumptions):
        v = assumptions[k]
        rows.append(
            [str(k), v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)]
        )
    return rows


def _clinic_context(
    res: PolyclinicResult, comparison: pd.DataFrame, fig: _FigureWriter
) -> dict[str, Any]:
    pid = res.polyclinic_id
    figs = [
        fig(F.slots_heatmap(res.current, res.recommended), f"fig-{pid}-slots"),
        fig(F.hourly_figure(res.hourly), f"fig-{pid}-hourly"),
        fig(F.utilization_figure(res.hourly), f"fig-{pid}-utilization"),
    ]
    sens = [
        fig(F.tornado_figure(res.sensitivity, "fixed"), f"fig-{pid}-tornado"),
        fig(F.sensitivity_curves(res.sensitivity), f"fig-{pid}-curves"),
    ]
    return {
        "id": pid,
        "anchor": re.sub(r"[^A-Za-z0-9_-]", "_", pid),
        "figures": [f for f in figs if f],
        "kpi_tables": _kpi_tables(comparison, pid),
        "weekday_rows": _weekday_table(comparison, pid),
        "sensitivity": [f for f in sens if f],
        "break_even": sorted((k.replace("_", " "), f"{v:.3g}") for k, v in res.break_even.items()),
        "envelope": fig(F.envelope_figure(res.envelope, res.envelope_session), f"fig-{pid}-env"),
        "data_quality": sorted(res.data_quality.items()),
        "assumptions": _assumption_rows(dict(res.assumptions)),
        "trust_html": markdown_to_html("\n".join(clinic_trust(res.trust)), heading_offset=1),
        "frontier_figure": fig(frontier_figure(res.trust), f"fig-{pid}-frontier"),
    }


def render_report(result: NetworkResult) -> str:
    """The report of ``result`` as one HTML string."""
    comparison = compare_network(result)
    summary = build_summary(result)
    fig = _FigureWriter()
    # the network plan's section comes first on the page: its figure (if any) carries plotly.js
    network_plan = network_html(dict(result.network), fig)
    net_src = summary["network"].get("source") or SOURCE_PREFERENCE[0]
    network_fig = fig(F.network_figure(comparison, net_src), "fig-network")
    clinics = [_clinic_context(r, comparison, fig) for r in result.polyclinics]
    for ctx in clinics:
        ctx["capacity"] = capacity_context(result.capacity.get(ctx["id"]))
    env = Environment(
        loader=PackageLoader("polyslot.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    summary_rows = [
        [
            e["polyclinic_id"],
            _fmt(e["wait_mean_current"]),
            _fmt(e["wait_mean_recommended"]),
            _fmt(e["utilization_current"], 100),
            _fmt(e["utilization_recommended"], 100),
            _fmt(e["patients_served_current"], 1, 0),
            _fmt(e["patients_served_recommended"], 1, 0),
            str(e.get("source")),
        ]
        for e in [*summary["polyclinics"], summary["network"]]
        if e.get("verdict") != "skipped"
    ]
    return env.get_template("report.html.j2").render(
        title=result.title,
        network_plan=network_plan,
        has_network_plan=bool(result.network),
        network_id=NETWORK_ID,
        summary_rows=summary_rows,
        network_figure=network_fig,
        verdicts_html=markdown_to_html("\n".join(first_screen(summary)), heading_offset=0),
        network_weekday_rows=_weekday_table(comparison, NETWORK_ID),
        clinics=clinics,
        network_quality=sorted(result.data_quality.items()),
        skipped=[(e["polyclinic_id"], e["reason"]) for e in summary.get("skipped", [])],
        inferred_notes=inferred_notes(result),
        network_assumptions=_assumption_rows(dict(result.assumptions)),
        guide_html=markdown_to_html(build_guide(result), heading_offset=1),
        n_figures=fig.count,
    )


def inferred_notes(result: NetworkResult) -> list[str]:
    """One sentence per input polyslot inferred because the export lacked it."""
    notes = []
    roster = dict(result.assumptions.get("inferred", {}) or {}).get("roster")
    if roster:
        by: dict[str, list[str]] = {}
        for pid, how in sorted(roster.get("polyclinics", {}).items()):
            by.setdefault(how.replace("_", " "), []).append(pid)
        where = "; ".join(f"from {how}: {', '.join(p)}" for how, p in sorted(by.items()))
        notes.append(
            f"The roster was not supplied; doctors on duty were inferred from consultation "
            f"activity ({where}). Rule: {roster.get('rule', '')}."
        )
    tpl = [
        r.polyclinic_id
        for r in result.polyclinics
        if r.model.meta.get("template_source") == "inferred"
    ]
    if tpl:
        notes.append(
            "The current slot template was not supplied; it was inferred from the bookings of "
            f"recent weeks (appointment-time grid per weekday, capped by the doctors on duty) "
            f"for {', '.join(tpl)}."
        )
    return notes


def count_figures(html_text: str) -> int:
    """Number of Plotly figures in a rendered report (``Plotly.newPlot`` calls)."""
    return html_text.count("Plotly.newPlot(")


def write_report(result: NetworkResult, path: str | Path) -> Path:
    """Write ``report.html`` atomically."""
    return write_text(path, render_report(result))
