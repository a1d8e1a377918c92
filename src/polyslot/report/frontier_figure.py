"""The trade-off frontier figure of an overloaded polyclinic (report partial).

One scatter per overloaded weekday: patients per week (x) against mean wait (y), overtime
minutes per day as the marker colour and in the hover text; today's template is a separate
diamond marker and the chosen point is circled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

__all__ = ["frontier_figure"]


def frontier_figure(trust: Mapping[str, Any]) -> go.Figure | None:
    """The figure, or None when no weekday is overloaded."""
    days = {
        d: f
        for d, f in ((trust.get("frontier") or {}).get("weekdays") or {}).items()
        if f.get("overloaded")
    }
    if not days:
        return None
    fig = go.Figure()
    for day, f in days.items():
        pts = f["points"]
        text = [
            f"{p['label']}<br>overtime {p['overtime']:.0f} min/day<br>"
            f"utilisation {100 * p['utilization']:.0f}%"
            for p in pts
        ]
        fig.add_trace(
            go.Scatter(
                x=[p["patients_per_week"] for p in pts[1:]],
                y=[p["wait_mean"] for p in pts[1:]],
                mode="lines+markers",
                name=f"{day}: frontier",
                text=text[1:],
                hovertemplate="%{text}<br>%{x:.0f} patients, wait %{y:.1f} min<extra></extra>",
                marker={
                    "size": 11,
                    "color": [p["overtime"] for p in pts[1:]],
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": "overtime (min/day)"},
                },
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[pts[0]["patients_per_week"]],
                y=[pts[0]["wait_mean"]],
                mode="markers",
                name=f"{day}: today",
                text=text[:1],
                hovertemplate="%{text}<extra></extra>",
                marker={"symbol": "diamond", "size": 13, "color": "black"},
            )
        )
        c = pts[f["chosen"]]
        fig.add_trace(
            go.Scatter(
                x=[c["patients_per_week"]],
                y=[c["wait_mean"]],
                mode="markers",
                name=f"{day}: chosen",
                marker={"symbol": "circle-open", "size": 20, "color": "red"},
                hoverinfo="skip",
            )
        )
    fig.update_layout(
        title="Trade-off: patients per week vs mean wait (colour: overtime minutes a day)",
        xaxis_title="patients per week (that weekday)",
        yaxis_title="mean wait (min)",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return fig
