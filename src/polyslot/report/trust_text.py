"""Markdown partials of the trust story, shared by ``guide.md`` and ``report.html``.

* :func:`first_screen` — verdict per polyclinic, the skipped ones (with what to fix) and the
  low-confidence ones, before anything else;
* :func:`clinic_trust` — a polyclinic's "model vs your history" table first, then its verdict,
  the clinic model (queue and precision), whether the planning model, the simulator and the
  replay agree, and the trade-off frontier (overloaded weekdays).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyslot.analysis.wording import change_words

__all__ = ["first_screen", "clinic_trust", "rollout_ids"]

_NAMES = {
    "wait_mean": ("mean wait (min)", 1.0, 1),
    "wait_p90": ("90th-percentile wait (min)", 1.0, 1),
    "utilization": ("utilisation (%)", 100.0, 1),
    "patients_served": ("patients seen per week", 1.0, 0),
    "overtime": ("overtime (min per day)", 1.0, 1),
}


def _n(v: Any, scale: float = 1.0, digits: int = 1) -> str:
    return "n/a" if v is None else f"{float(v) * scale:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def rollout_ids(summary: Mapping[str, Any]) -> list[str]:
    """Polyclinics eligible for the roll-out waves: verdict ``recommend`` only."""
    return [e["polyclinic_id"] for e in summary["polyclinics"] if e.get("verdict") == "recommend"]


def first_screen(summary: Mapping[str, Any]) -> list[str]:
    """Verdicts, skipped and low-confidence polyclinics (Markdown lines)."""
    rows = []
    for e in summary["polyclinics"]:
        wait = change_words(e.get("wait_mean_current"), e.get("wait_mean_recommended"))
        rows.append(
            [
                str(e["polyclinic_id"]),
                str(e.get("verdict")),
                str(e.get("confidence")),
                f"waiting {wait}" if e.get("verdict") != "skipped" else "-",
                str(e.get("reason") or "").replace("|", "/"),
            ]
        )
    lines = ["## Verdicts", ""]
    lines += _table(["polyclinic", "verdict", "confidence", "change", "reason"], rows)
    skipped = summary.get("skipped") or []
    low = [
        e
        for e in summary["polyclinics"]
        if e.get("confidence") == "low" and e.get("verdict") != "skipped"
    ]
    lines += ["", "**Skipped (not planned; fix and re-run):** " + ("none." if not skipped else "")]
    lines += [f"- {s['polyclinic_id']}: {s['reason']}" for s in skipped]
    lines += [
        "",
        "**Low confidence (the model does not reproduce the history; check first):** "
        + ("none." if not low else ""),
    ]
    lines += [f"- {e['polyclinic_id']}: {e.get('reason')}" for e in low]
    sparse = [
        f"- {e['polyclinic_id']} {day}: {why}"
        for e in summary["polyclinics"]
        for day, why in (e.get("unplanned_weekdays") or {}).items()
    ]
    if sparse:
        lines += ["", "**Weekdays not planned as regular weekdays (too few in the history):**"]
        lines += sparse
    src = summary.get("network", {}).get("source")
    lines += [
        "",
        f"Headline figures come from the {src or 'n/a'} (per polyclinic: the `source` "
        "column of summary.json; a source that disagrees with the others is never used).",
    ]
    return [*lines, ""]


def clinic_trust(trust: Mapping[str, Any]) -> list[str]:
    """One polyclinic's trust section (Markdown lines; empty without a trust block)."""
    if not trust:
        return []
    fid = trust.get("fidelity") or {}
    week = fid.get("week") or {}
    lines = ["### Model vs your history", ""]
    if week:
        rows = []
        for k, (name, scale, digits) in _NAMES.items():
            g = week.get(k)
            if not g:
                continue
            ok = g.get("within_tolerance")
            rows.append(
                [
                    name,
                    _n(g["model"], scale, digits),
                    _n(g["observed"], scale, digits),
                    _n(g["gap"], scale, digits),
                    "-"
                    if g.get("tolerance") is None
                    else f"+/-{_n(g['tolerance'], scale, digits)}",
                    "yes" if ok else ("no" if ok is False else "-"),
                ]
            )
        lines += _table(
            ["KPI (current template)", "model", "history", "gap", "allowed", "within"], rows
        )
        lines += [
            "",
            "Wait = consultation start - arrival of the patients seen; utilisation = "
            "consultation minutes / rostered doctor-minutes; overtime = minutes the last "
            "consultation ends after the last rostered end.",
            "",
        ]
    else:
        lines += ["No comparable history (no roster or no consultations recorded).", ""]
    if fid.get("note"):
        lines += [f"Note: {fid['note']}.", ""]
    model = trust.get("model") or {}
    if model:
        precision = (
            "exact (standard errors 0)"
            if model.get("evaluator") == "exact"
            else f"simulated with common random numbers, up to {model.get('replications')} "
            f"days, the mean wait to {100 * float(model.get('relative_se') or 0):.1f}% "
            "(largest relative standard error)"
        )
        absence = model.get("absence") or {}
        away = (
            f" Doctor absences: {absence.get('evidence')}."
            if absence.get("rate") else ""
        )
        lines += [
            f"**The clinic model:** queue `{model.get('discipline')}` "
            f"({model.get('evidence')}); every KPI {precision}.{away}",
            "",
        ]
    lines += [
        f"**Verdict: {trust.get('verdict')}** ({trust.get('confidence')} confidence). "
        f"{trust.get('reason', '')}",
        "",
    ]
    if trust.get("traded"):
        lines += [
            f"Trade-off chosen: {trust['traded']} (policy `{trust['frontier']['policy']}`).",
            "",
        ]
    agree = trust.get("agreement") or {}
    if agree.get("differs"):
        lines += [
            "Sources disagree on today's state: " + agree.get("explanation", "") + ". "
            f"Headline: {trust.get('headline_reason', '')}.",
            "",
        ]
    elif agree:
        lines += [
            "The planning model, the SimPy simulator (the same clinic days) and the replay "
            "agree on today's state within the fidelity tolerances.",
            "",
        ]
    for day, f in (trust.get("frontier") or {}).get("weekdays", {}).items():
        if not f.get("overloaded"):
            continue
        lines += [f"**Trade-off frontier, {day}** (chosen point marked *)", ""]
        rows = [
            [
                ("* " if i == f["chosen"] else "") + p["label"],
                _n(p["throughput_floor"], 100, 0) + " %",
                _n(p["overtime_weight"], 1, 1),
                _n(p["wait_mean"]),
                _n(p["patients_per_week"], 1, 0),
                _n(p["overtime"]),
                _n(p["utilization"], 100, 1),
            ]
            for i, p in enumerate(f["points"])
        ]
        lines += _table(
            [
                "point",
                "throughput floor",
                "overtime weight",
                "mean wait (min)",
                "patients per week",
                "overtime (min/day)",
                "utilisation (%)",
            ],
            rows,
        )
        if f.get("note"):  # fewer templates than asked for: why
            lines += ["", f"Fewer templates than asked for: {f['note']}."]
        if f.get("wall_clock_limited_points"):
            lines += [
                "",
                f"{f['wall_clock_limited_points']} point(s) stopped at the solver's wall-clock "
                "limit: their templates may differ on a less loaded machine.",
            ]
        lines.append("")
    return lines
