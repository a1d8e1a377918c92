"""Model fidelity: does the estimated model reproduce the history before we optimise?

For every weekday the current template is simulated with the estimated model and compared with
what the history shows for the same weekday (:mod:`polyslot.analysis.observed`). Definitions:
wait = consultation start - arrival (patients seen, walk-ins included), its 90th percentile per
day, utilisation = consultation minutes / rostered doctor-minutes, patients seen per average
week, overtime = minutes the last consultation ends after the last rostered end (per day).

Tolerances (``[fidelity]`` in ``polyslot.toml``, :class:`polyslot.config.FidelitySettings`):
waits within ``wait_rel`` x observed + ``wait_abs`` minutes (25% + 1 min), utilisation within
``utilization_pp`` percentage points (5), patients within ``patients_rel`` (5%). Overtime is
reported, not judged. The polyclinic is within tolerance when its whole-week values are; weekday
values are reported alongside (a weekday has a quarter of the history's days, so more noise).

:func:`source_agreement` is the "one story" check: the evaluator, the simulator and the replay
must agree on the current state; the one that differs, by how much, is named, and
:func:`headline_source` picks the source of the headline deliberately (never an outlier).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from polyslot.analysis.disagreement import reason
from polyslot.template import WEEKDAYS

__all__ = ["CHECKED", "week_values", "fidelity_report", "source_agreement", "headline_source"]

#: KPIs judged against a tolerance (overtime is reported only).
CHECKED = ("wait_mean", "wait_p90", "utilization", "patients_served")
_KPIS = (*CHECKED, "overtime")


def _tol(kpi: str, observed: float, tol: Any) -> float:
    if kpi in ("wait_mean", "wait_p90"):
        return tol.wait_rel * abs(observed) + tol.wait_abs
    if kpi == "utilization":
        return tol.utilization_pp / 100.0
    if kpi == "patients_served":
        return tol.patients_rel * abs(observed)
    return math.inf


def week_values(by_weekday: Mapping[int, Mapping[str, float]]) -> dict[str, float]:
    """Whole-week values from weekday values (``wait_*`` weighted by patients, utilisation by
    ``duty`` when given else equally, patients summed, overtime averaged per day)."""
    if not by_weekday:
        return {}
    vals = list(by_weekday.values())
    served = [float(v.get("patients_served", 0.0)) for v in vals]
    tot = sum(served) or 1.0
    duty = [float(v.get("duty", 1.0)) for v in vals]
    return {
        "wait_mean": sum(s * float(v["wait_mean"]) for s, v in zip(served, vals, strict=True))
        / tot,
        "wait_p90": sum(s * float(v["wait_p90"]) for s, v in zip(served, vals, strict=True)) / tot,
        "utilization": sum(d * float(v["utilization"]) for d, v in zip(duty, vals, strict=True))
        / (sum(duty) or 1.0),
        "patients_served": sum(served),
        "overtime": sum(float(v.get("overtime", 0.0)) for v in vals) / len(vals),
    }


def _compare(model: Mapping[str, float], observed: Mapping[str, float], tol: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ok = True
    for k in _KPIS:
        m, o = model.get(k), observed.get(k)
        if m is None or o is None or not (math.isfinite(m) and math.isfinite(o)):
            continue
        gap = float(m) - float(o)
        lim = _tol(k, float(o), tol)
        within = abs(gap) <= lim + 1e-9
        if k in CHECKED:
            ok = ok and within
        out[k] = {
            "model": round(float(m), 6),
            "observed": round(float(o), 6),
            "gap": round(gap, 6),
            "tolerance": round(lim, 6) if math.isfinite(lim) else None,
            "within_tolerance": bool(within) if k in CHECKED else None,
        }
    out["within_tolerance"] = ok
    return out


def fidelity_report(
    model_days: Mapping[int, Mapping[str, float]],
    observed_days: Mapping[int, Mapping[str, float]],
    tol: Any,
) -> dict[str, Any]:
    """Model-vs-history gaps per weekday and for the whole week.

    Parameters
    ----------
    model_days, observed_days : mapping weekday -> {kpi: value}
        KPIs ``wait_mean``, ``wait_p90``, ``utilization``, ``patients_served`` (per day),
        ``overtime`` (per day) and optionally ``duty`` (doctor-minutes, the utilisation weight).
    tol : FidelitySettings

    Returns
    -------
    dict
        ``{"within_tolerance", "gap" (text, empty when within), "tolerance", "week": {kpi:
        {"model", "observed", "gap", "tolerance", "within_tolerance"}}, "weekdays": {"Mon":
        ...}}``; ``within_tolerance`` is None when the history has no comparable day.
    """
    days = sorted(set(model_days) & set(observed_days))
    tolerance = {
        "wait_rel": tol.wait_rel,
        "wait_abs_minutes": tol.wait_abs,
        "utilization_pp": tol.utilization_pp,
        "patients_rel": tol.patients_rel,
    }
    if not days:
        return {
            "within_tolerance": None,
            "gap": "no comparable history",
            "tolerance": tolerance,
            "week": {},
            "weekdays": {},
        }
    obs = {
        d: {**observed_days[d], "patients_served": observed_days[d]["patients_per_day"]}
        for d in days
    }
    week = _compare(week_values({d: model_days[d] for d in days}), week_values(obs), tol)
    untimed = all(not math.isfinite(float(obs[d].get("wait_mean", math.nan))) for d in days)
    out = {
        "within_tolerance": week["within_tolerance"],
        "gap": gap_text(week),
        "tolerance": tolerance,
        "week": {k: v for k, v in week.items() if k != "within_tolerance"},
        "weekdays": {WEEKDAYS[d]: _compare(model_days[d], obs[d], tol) for d in days},
    }
    if untimed:  # checked what can be checked: patients, utilisation, overtime
        out["not_compared"] = ["wait_mean", "wait_p90"]
        out["note"] = (
            "waits cannot be compared: the history has no arrival times (patients per day, "
            "utilisation and overtime are)"
        )
    return out


_LABEL = {
    "wait_mean": ("mean wait", "min"),
    "wait_p90": ("90th-percentile wait", "min"),
    "utilization": ("utilisation", "pp"),
    "patients_served": ("patients a week", ""),
}


def gap_text(week: Mapping[str, Any]) -> str:
    """The measured gaps outside tolerance, as text (empty when within)."""
    parts = []
    for k in CHECKED:
        g = week.get(k)
        if not isinstance(g, Mapping) or g.get("within_tolerance", True):
            continue
        name, unit = _LABEL[k]
        scale = 100.0 if k == "utilization" else 1.0
        parts.append(
            f"{name} model {g['model'] * scale:.1f} vs history {g['observed'] * scale:.1f}"
            f"{' ' + unit if unit else ''} (allowed +/-{g['tolerance'] * scale:.1f})"
        )
    return "; ".join(parts)


def source_agreement(
    current_week: Mapping[str, Mapping[str, float]],
    tol: Any,
    observed_week: Mapping[str, float] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Do evaluator, simulator and replay agree on the current state?

    ``current_week`` is ``{source: {kpi: whole-week value}}``. Each source is compared with the
    history (``observed_week``) when known, else with the median of the sources, within the
    fidelity tolerances; returns ``{"agree": bool, "reference": "history" | "median of the
    sources", "differs": [{"source", "kpi", "value", "median", "gap", "why"}...],
    "explanation": text, "facts": facts}`` (``median`` holds the reference value; ``why`` the
    concrete reason, :func:`polyslot.analysis.disagreement.reason`, with this polyclinic's
    numbers from ``facts`` (:func:`~polyslot.analysis.disagreement.source_facts`)).
    """
    differs: list[dict[str, Any]] = []
    for k in ("wait_mean", "utilization", "patients_served"):
        vals = {
            s: float(v[k]) for s, v in current_week.items() if k in v and math.isfinite(float(v[k]))
        }
        ref = (observed_week or {}).get(k)
        if ref is not None and math.isfinite(float(ref)):
            med = float(ref)
        elif len(vals) < 2:
            continue
        else:
            xs = sorted(vals.values())
            mid = len(xs) // 2
            med = xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2
        for s, v in sorted(vals.items()):
            if abs(v - med) > _tol(k, med, tol):
                differs.append(
                    {
                        "source": s,
                        "kpi": k,
                        "value": round(v, 6),
                        "median": round(med, 6),
                        "gap": round(v - med, 6),
                    }
                )
    known = dict(_NO_FACTS, **(facts or {}))
    for d in differs:
        d["why"] = reason(d["source"], d["kpi"], d["value"], d["median"], known)
    text = "; ".join(
        f"{d['source']} {d['kpi']} {d['value']:.2f} vs {d['median']:.2f} in the "
        f"{'history' if observed_week else 'other sources'} ({d['why']})"
        for d in differs
    )
    reference = "history" if observed_week else "median of the sources"
    return {
        "agree": not differs,
        "reference": reference,
        "differs": differs,
        "explanation": text,
        "facts": dict(facts or {}),
    }


#: Facts used when the caller has none (unit tests, a model without walk-ins or roster).
_NO_FACTS: dict[str, Any] = {
    "walk_ins_per_week": 0.0,
    "walk_in_minutes_per_week": 0.0,
    "rostered_minutes_per_week": 0.0,
    "doctors_at_once": 1,
    "discipline": "pooled_fcfs",
    "replay_days": 0,
}


def headline_source(
    current_week: Mapping[str, Mapping[str, float]],
    agreement: Mapping[str, Any],
    observed_week: Mapping[str, float] | None = None,
) -> tuple[str | None, str]:
    """The source of the headline and why: the planning model (the one clinic-day model the
    recommendation was optimised and judged with) unless it is an outlier; then the non-outlier
    source closest to the history."""
    order = ("model", "simulator", "evaluator", "replay")
    outliers = {d["source"] for d in agreement.get("differs", ())}
    ok = [s for s in order if s in current_week and s not in outliers]
    if "model" in ok:
        return (
            "model",
            "the planning model (the clinic day the recommendation was optimised with, every "
            "KPI with its standard error); sources agree"
            if not outliers
            else "the planning model; " + ", ".join(sorted(outliers)) + " differ(s)",
        )
    if not ok:
        ok = [s for s in order if s in current_week]
        if not ok:
            return None, "no source"
    if observed_week and "wait_mean" in observed_week:
        best = min(
            ok,
            key=lambda s: abs(
                current_week[s].get("wait_mean", math.inf) - observed_week["wait_mean"]
            ),
        )
    else:
        best = ok[0]
    differ = ", ".join(sorted(outliers)) or "no source"
    return best, f"{best}: the source closest to the history; {differ} differ(s) from it"
