"""The wait-by-hour chart as a small SVG drawn by the server (no chart library on the editor's
hot path: it shows with the page and comes back with every edit's KPI panel, ~2 kB)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["line_chart", "nice_ceiling", "COLORS"]

#: Series colours (the frontier's Plotly chart uses the same).
COLORS = {"current": "#8c8c8c", "recommended": "#1f77b4", "working": "#d62728"}


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= ``value`` (1 for nothing positive)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power  # pragma: no cover


def line_chart(
    series: dict[str, dict[int, float]],
    *,
    width: int = 520,
    height: int = 210,
    unit: str = "min",
) -> dict[str, Any]:
    """Coordinates of a line chart of ``{name: {hour: value}}`` (hours evenly spaced on x,
    0..a nice ceiling on y with 5 ticks) for the ``chart`` macro."""
    left, right, top, bottom = 38, 8, 8, 40
    hours = sorted({h for values in series.values() for h in values})
    ymax = nice_ceiling(max((v for vs in series.values() for v in vs.values()), default=0.0))
    w, h = width - left - right, height - top - bottom
    step = w / max(len(hours) - 1, 1)

    def x(hour: int) -> float:
        return round(left + (hours.index(hour) * step if len(hours) > 1 else w / 2), 1)

    def y(value: float) -> float:
        return round(top + (1 - min(max(value, 0.0), ymax) / ymax) * h, 1)

    lines = []
    for name, values in series.items():
        pts = [(x(hr), y(v), hr, v) for hr, v in sorted(values.items())]
        lines.append(
            {
                "name": name,
                "color": COLORS.get(name, "#333"),
                "points": " ".join(f"{a},{b}" for a, b, _, _ in pts),
                "title": f"{name}, mean wait ({unit}): "
                + ", ".join(f"{hr:02d}:00 {v:.2f}" for _, _, hr, v in pts),
                "dots": [{"x": a, "y": b} for a, b, _, _ in pts],
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + h,
        "xticks": [{"x": x(hr), "label": f"{hr:02d}"} for hr in hours],
        "yticks": [{"y": y(ymax * i / 5), "label": f"{ymax * i / 5:g}"} for i in range(6)],
        "lines": lines,
        "legend_y": height - 6,
    }
