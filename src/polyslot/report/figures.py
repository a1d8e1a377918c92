"""Plotly figures of the report. Each builder is a pure function of result tables -> Figure
(or None when its table is empty), so the report can skip what a run did not produce."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from polyslot.analysis.compare import NETWORK_ID
from polyslot.kpi_records import WEEK
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = [
    "network_figure",
    "slots_heatmap",
    "hourly_figure",
    "utilization_figure",
    "tornado_figure",
    "sensitivity_curves",
    "envelope_figure",
]

_COLORS = {"current": "#9e9e9e", "recommended": "#1f77b4"}
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def network_figure(comparison: pd.DataFrame, source: str) -> go.Figure:
    """Mean wait and utilisation, current vs recommended, per polyclinic and network-wide."""
    week = comparison[(comparison["weekday"] == WEEK) & (comparison["source"] == source)]
    ids = [p for p in week["polyclinic_id"] if p != NETWORK_ID] + [NETWORK_ID]
    week = week.set_index("polyclinic_id").reindex(ids)
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Mean wait (min per patient seen)", "Utilisation (%)")
    )
    for scen in ("current", "recommended"):
        for col, kpi, scale in ((1, "wait_mean", 1.0), (2, "utilization", 100.0)):
            mean = week[f"{kpi}_{scen}"] * scale
            err_hi = (week[f"{kpi}_{scen}_ci_high"] * scale - mean).fillna(0)
            err_lo = (mean - week[f"{kpi}_{scen}_ci_low"] * scale).fillna(0)
            fig.add_trace(
                go.Bar(
                    x=ids,
                    y=mean,
                    name=scen,
                    marker_color=_COLORS[scen],
                    legendgroup=scen,
                    showlegend=col == 1,
                    error_y={"type": "data", "array": err_hi, "arrayminus": err_lo},
                ),
                row=1,
                col=col,
            )
    fig.update_layout(barmode="group", height=380, title=f"Whole week ({source})", **_LAYOUT)
    return fig


def slots_heatmap(current: SlotTemplate, recommended: SlotTemplate) -> go.Figure:
    """Slots per hour per visit type (rows weekday x visit type), current beside recommended."""
    frames = {"current": current.counts(), "recommended": recommended.counts()}
    both = pd.concat(frames.values(), ignore_index=True)
    hours = sorted({int(b) // 60 for b in both["bucket_start"]}) if not both.empty else []
    keys = sorted(
        {(int(d), str(v)) for d, v in zip(both["weekday"], both["visit_type"], strict=True)}
    )
    labels = [f"{WEEKDAYS[d]} {v}" for d, v in keys]
    zmax = float(both["slots"].max()) if not both.empty else 1.0
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=("Current", "Recommended"),
        horizontal_spacing=0.04,
    )
    for col, (scen, counts) in enumerate(frames.items(), start=1):
        z = np.zeros((len(keys), len(hours)))
        for r in counts.itertuples(index=False):
            z[
                keys.index((int(r.weekday), str(r.visit_type))),
                hours.index(int(r.bucket_start) // 60),
            ] += r.slots
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[f"{h:02d}:00" for h in hours],
                y=labels,
                zmin=0,
                zmax=zmax,
                colorscale="Blues",
                showscale=col == 2,
                name=scen,
                hovertemplate="%{y} %{x}: %{z} slots<extra>" + scen + "</extra>",
            ),
            row=1,
            col=col,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title="Slots per hour per visit type", height=max(320, 22 * len(keys) + 120), **_LAYOUT
    )
    return fig


def _hour_labels(hourly: pd.DataFrame) -> pd.DataFrame:
    out = hourly.sort_values(["weekday", "hour"], kind="mergesort").copy()
    out["day"] = [WEEKDAYS[int(d)] for d in out["weekday"]]
    out["hh"] = [f"{int(h):02d}" for h in out["hour"]]
    return out


def _x(sub: pd.DataFrame) -> list[list[str]]:
    """Two-level category axis: weekday above hour."""
    return [sub["day"].tolist(), sub["hh"].tolist()]


def hourly_figure(hourly: pd.DataFrame) -> go.Figure | None:
    """Expected wait and queue length by weekday x hour, current vs recommended."""
    if hourly.empty:
        return None
    data = _hour_labels(hourly)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("Mean wait (min)", "Mean queue length (patients)"),
    )
    for scen in ("current", "recommended"):
        sub = data[data["scenario"] == scen]
        for row, col in ((1, "wait_mean"), (2, "queue_length")):
            fig.add_trace(
                go.Scatter(
                    x=_x(sub),
                    y=sub[col],
                    name=scen,
                    mode="lines+markers",
                    line_color=_COLORS[scen],
                    legendgroup=scen,
                    showlegend=row == 1,
                ),
                row=row,
                col=1,
            )
    fig.update_layout(title="Waiting time and queue length by hour", height=520, **_LAYOUT)
    return fig


def utilization_figure(hourly: pd.DataFrame) -> go.Figure | None:
    """Doctor utilisation by weekday x hour, current vs recommended."""
    if hourly.empty:
        return None
    data = _hour_labels(hourly)
    fig = go.Figure()
    for scen in ("current", "recommended"):
        sub = data[data["scenario"] == scen]
        fig.add_trace(
            go.Scatter(
                x=_x(sub),
                y=100 * sub["utilization"],
                name=scen,
                mode="lines+markers",
                line_color=_COLORS[scen],
            )
        )
    fig.update_layout(
        title="Doctor utilisation by hour (%)", yaxis_title="%", height=360, **_LAYOUT
    )
    return fig


def tornado_figure(sensitivity: pd.DataFrame, policy: str = "fixed") -> go.Figure | None:
    """Change of mean wait and utilisation from the base case at each parameter's low and high
    end, for the template held fixed; parameters sorted by the swing in wait."""
    sub = sensitivity[sensitivity["policy"] == policy]
    if sub.empty:
        return None
    rows = []
    for param, grp in sub.groupby("parameter", sort=True):
        grp = grp.sort_values("multiplier")
        base = grp.iloc[(grp["multiplier"] - 1.0).abs().argsort().iloc[0]]
        lo, hi = grp.iloc[0], grp.iloc[-1]
        rows.append(
            {
                "parameter": param,
                "lo_label": f"x{lo['multiplier']:.2g}",
                "hi_label": f"x{hi['multiplier']:.2g}",
                "wait_lo": lo["wait_mean"] - base["wait_mean"],
                "wait_hi": hi["wait_mean"] - base["wait_mean"],
                "util_lo": 100 * (lo["utilization"] - base["utilization"]),
                "util_hi": 100 * (hi["utilization"] - base["utilization"]),
            }
        )
    t = pd.DataFrame(rows)
    t = t.assign(swing=(t["wait_hi"] - t["wait_lo"]).abs()).sort_values("swing")
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=("Change in mean wait (min)", "Change in utilisation (pp)"),
    )
    for col, key in ((1, "wait"), (2, "util")):
        for end, color in (("lo", "#2ca02c"), ("hi", "#d62728")):
            fig.add_trace(
                go.Bar(
                    y=t["parameter"],
                    x=t[f"{key}_{end}"],
                    orientation="h",
                    name="low end" if end == "lo" else "high end",
                    marker_color=color,
                    text=t[f"{end}_label"],
                    legendgroup=end,
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    fig.update_layout(
        barmode="overlay", title=f"Sensitivity (tornado, template {policy})", height=360, **_LAYOUT
    )
    return fig


def sensitivity_curves(sensitivity: pd.DataFrame) -> go.Figure | None:
    """Mean wait against each parameter's multiplier, one line per policy."""
    if sensitivity.empty:
        return None
    params = sorted(sensitivity["parameter"].unique())
    fig = make_subplots(rows=1, cols=len(params), subplot_titles=params, shared_yaxes=True)
    dash = {"fixed": "solid", "reoptimised": "dash"}
    for i, param in enumerate(params, start=1):
        sub = sensitivity[sensitivity["parameter"] == param]
        for policy, grp in sub.groupby("policy", sort=True):
            grp = grp.sort_values("multiplier")
            fig.add_trace(
                go.Scatter(
                    x=grp["multiplier"],
                    y=grp["wait_mean"],
                    mode="lines+markers",
                    name=f"template {policy}",
                    legendgroup=str(policy),
                    showlegend=i == 1,
                    line={"dash": dash.get(str(policy), "dot"), "color": "#1f77b4"},
                ),
                row=1,
                col=i,
            )
    fig.update_yaxes(title_text="mean wait (min)", row=1, col=1)
    fig.update_xaxes(title_text="multiplier")
    fig.update_layout(title="Sensitivity curves", height=340, **_LAYOUT)
    return fig


def envelope_figure(envelope: pd.DataFrame, title: str = "") -> go.Figure | None:
    """Booking envelope of a typical session: one line per series against minutes."""
    if envelope.empty:
        return None
    fig = go.Figure()
    for series, grp in envelope.groupby("series", sort=True):
        grp = grp.sort_values("minute")
        fig.add_trace(go.Scatter(x=grp["minute"], y=grp["value"], name=str(series), mode="lines"))
    fig.update_layout(
        title=f"Booking envelope{': ' + title if title else ''}",
        xaxis_title="minutes after session start",
        yaxis_title="minutes",
        height=340,
        **_LAYOUT,
    )
    return fig
