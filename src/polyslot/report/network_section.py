"""The network plan in the report and the guide (issue 23), from the ``network/plan.json``
document (:attr:`polyslot.results.NetworkResult.network`).

* **Report, first screen**: a map-free table (per polyclinic: role, patients served a week and
  overtime today / with its own recommended plan / with the network plan, 95% intervals) and a
  Plotly figure of the same, the moves, the hiring answer and the goals.
* **Guide**: which doctor-sessions move, on which weekdays, in what order, and the hiring answer.

Both are framed by comment markers (:data:`MARKERS`), so ``polyslot network OUT`` can replace
them in a finished run's ``report.html`` and ``guide.md`` (:func:`splice_report`,
:func:`splice_guide`) without rebuilding the rest.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from plotly.subplots import make_subplots

from polyslot.report.markdown import markdown_to_html

__all__ = [
    "MARKERS",
    "network_figure",
    "network_html",
    "network_guide_lines",
    "splice_report",
    "splice_guide",
]

#: ``{part: (start, end)}`` comment markers around the network parts.
MARKERS = {
    "section": ("<!-- polyslot:network-plan -->", "<!-- /polyslot:network-plan -->"),
    "guide": ("<!-- polyslot:network-guide -->", "<!-- /polyslot:network-guide -->"),
}
_SCENARIOS = (("today", "today", "#9e9e9e"), ("recommended", "own plan", "#1f77b4"),
              ("network", "network plan", "#2ca02c"))
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
FIGURE_ID = "fig-network-plan"


def _fmt(v: Any, digits: int = 1) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not math.isfinite(f) else f"{f:,.{digits}f}"


def _cell(entry: Mapping[str, Any] | None, kpi: str, digits: int = 0) -> str:
    e = (entry or {}).get(kpi)
    if not e:
        return "n/a"
    text = _fmt(e.get("mean"), digits)
    lo, hi = _fmt(e.get("ci_low"), digits), _fmt(e.get("ci_high"), digits)
    return text if lo == hi else f"{text} [{lo}, {hi}]"


def _entries(doc: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    out = [(str(e["polyclinic_id"]), str(e.get("role", "")), e) for e in doc.get("polyclinics", [])]
    if doc.get("network"):
        out.append(("NETWORK", "", doc["network"]))
    return out


def network_figure(doc: Mapping[str, Any]) -> go.Figure | None:
    """Patients served a week and overtime (doctor-minutes a week) per polyclinic and for the
    network: today, the polyclinic's own recommended plan and the network plan (95% intervals);
    None when the plan has no polyclinics."""
    rows = _entries(doc)
    if not rows:
        return None
    ids = [pid for pid, _, _ in rows]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Patients served a week",
                                                        "Overtime (doctor-minutes a week)"))
    for key, label, color in _SCENARIOS:
        for col, kpi in ((1, "patients_served"), (2, "overtime")):
            mean, lo, hi = [], [], []
            for _, _, e in rows:
                v = (e.get(key) or {}).get(kpi) or {}
                m = v.get("mean")
                mean.append(m)
                lo.append(0.0 if m is None else m - v.get("ci_low", m))
                hi.append(0.0 if m is None else v.get("ci_high", m) - m)
            fig.add_trace(
                go.Bar(x=ids, y=mean, name=label, marker_color=color, legendgroup=key,
                       showlegend=col == 1,
                       error_y={"type": "data", "array": hi, "arrayminus": lo}),
                row=1, col=col,
            )  # fmt: skip
    fig.update_layout(barmode="group", height=400, template="plotly_white",
                      margin={"l": 60, "r": 20, "t": 90, "b": 50},
                      title="Network plan: today, each polyclinic's own plan, the network plan")
    return fig


def _table(doc: Mapping[str, Any]) -> list[list[str]]:
    out = []
    for pid, role, e in _entries(doc):
        row = [pid, role or "-"]
        for kpi, digits in (("patients_served", 0), ("overtime", 0), ("wait_mean", 1)):
            row += [_cell(e.get(k), kpi, digits) for k, _, _ in _SCENARIOS]
        out.append(row)
    return out


def _move_rows(doc: Mapping[str, Any]) -> list[list[str]]:
    return [
        [str(m["order"]), m["weekday"], m["session"], f"{m['start_time']}-{m['end_time']}",
         m["from"], m["doctor_session"], m["to"]]
        for m in doc.get("moves", [])
    ]


def _hire_rows(doc: Mapping[str, Any], key: str = "added_sessions") -> list[list[str]]:
    rows = doc.get(key) if key == "added_sessions" else (doc.get("goals") or {}).get(key)
    return [
        [h["polyclinic_id"], h["weekday"], str(h["AM"]), str(h["PM"]),
         str(h["added"]) if h["reachable"] else f"more than {h['added']}",
         _fmt(h["wait_mean"]), _fmt(h["overtime"], 0), _fmt(h["patients_served"], 1)]
        for h in rows or []
    ]


def _goal_lines(doc: Mapping[str, Any]) -> list[str]:
    g = doc.get("goals") or {}
    lines = []
    for pid, v in sorted((g.get("overloaded") or {}).items()):
        kept = "kept" if v["patients_at_least_today"] else "fewer"
        lines.append(
            f"{pid}: patients a week {_fmt(v['patients_served_today'], 0)} today -> "
            f"{_fmt(v['patients_served_network'], 0)} ({kept}); "
            f"overtime {_fmt(v['overtime_today'], 0)} -> {_fmt(v['overtime_network'], 0)} "
            f"({'lower' if v['overtime_below_today'] else 'not lower'}); mean wait "
            f"{_fmt(v['wait_network'])} min against {_fmt(v['wait_recommended'])} in its own plan "
            f"({'within' if v['wait_within_margin'] else 'beyond'} 2 min)"
        )
    if g:
        lines.append(
            f"lenders within tolerance: {'yes' if g.get('lenders_within_tolerance') else 'no'}; "
            f"network patients at least today's: "
            f"{'yes' if g.get('network_patients_at_least_today') else 'no'}; all goals met: "
            f"{'yes' if g.get('met') else 'no'}"
        )
    return lines


def network_html(doc: Mapping[str, Any], figure: Callable[[Any, str], str | None]) -> str:
    """The report's network section (between its markers); ``figure(fig, div_id)`` turns the
    Plotly figure into HTML (the report's figure writer). Empty markers without a plan."""
    start, end = MARKERS["section"]
    if not doc:
        return f"{start}\n{end}\n"
    env = Environment(
        loader=PackageLoader("polyslot.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    fig = network_figure(doc) if doc.get("polyclinics") else None
    body = env.get_template("network.html.j2").render(
        doc=doc,
        table=_table(doc),
        moves=_move_rows(doc),
        hires=_hire_rows(doc),
        goal_hires=_hire_rows(doc, "added_sessions_for_goals"),
        goals=_goal_lines(doc),
        figure=figure(fig, FIGURE_ID) if fig is not None else None,
    )
    return f"{start}\n{body}{end}\n"


def network_guide_lines(doc: Mapping[str, Any]) -> list[str]:
    """The guide's network part (Markdown lines between the markers)."""
    start, end = MARKERS["guide"]
    if not doc:
        return [start, end, ""]
    lines = [start, "## Network plan: doctor-sessions between polyclinics", "",
             str(doc.get("message", "")) + ".", ""]
    moves = _move_rows(doc)
    if moves:
        lines += [
            "Move these doctor-sessions, in this order (the borrower's largest gain per "
            "session first); a moved doctor works the borrowing polyclinic's hours of that "
            "half-day and its template for that weekday (network/templates/):",
            "",
            "| order | weekday | session | hours | from | doctor session | to |",
            "|---|---|---|---|---|---|---|",
            *["| " + " | ".join(r) + " |" for r in moves],
            "",
        ]
    hires = _hire_rows(doc)
    if hires:
        lines += [
            f"Hiring answer: the fewest added doctor-sessions that let an overloaded polyclinic "
            f"serve today's patients with overtime no higher than today's and a mean wait at most "
            f"{_fmt(doc.get('target_wait_minutes'))} min:",
            "",
            "| polyclinic | weekday | AM | PM | added | mean wait | overtime | patients |",
            "|---|---|---|---|---|---|---|---|",
            *["| " + " | ".join(r) + " |" for r in hires],
            "",
        ]
    goals = _goal_lines(doc)
    if goals:
        lines += ["Goals:", "", *[f"- {g}" for g in goals], ""]
    return [*lines, end, ""]


def _splice(text: str, part: str, new: str) -> str:
    start, end = MARKERS[part]
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if not pattern.search(text):
        raise ValueError(f"no {part} markers")
    return pattern.sub(lambda _: new, text, count=1)


def splice_report(html_text: str, doc: Mapping[str, Any]) -> str:
    """``report.html`` with its network section and the guide's network part replaced.

    The section's figure carries plotly.js when no figure comes before it."""
    start = MARKERS["section"][0]
    before = html_text.split(start, 1)[0]
    first = "Plotly.newPlot(" not in before

    def figure(fig: go.Figure, div_id: str) -> str:
        return fig.to_html(full_html=False, include_plotlyjs=first, div_id=div_id,
                           config=_PLOTLY_CONFIG)

    out = _splice(html_text, "section", network_html(doc, figure))
    guide_html = markdown_to_html("\n".join(network_guide_lines(doc)), heading_offset=1)
    out = _splice(out, "guide", guide_html + "\n")
    n = out.count("Plotly.newPlot(")
    return re.sub(r'<meta name="polyslot-figures" content="\d+">',
                  f'<meta name="polyslot-figures" content="{n}">', out, count=1)


def splice_guide(md_text: str, doc: Mapping[str, Any]) -> str:
    """``guide.md`` with its network part replaced."""
    return _splice(md_text, "guide", "\n".join(network_guide_lines(doc)))
