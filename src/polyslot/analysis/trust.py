"""One polyclinic's trust block: fidelity, source agreement, verdict and frontier, JSON-ready.

Built by :func:`polyslot.pipeline.plan_polyclinic` from the clinic days of both templates through
the one model (paired replications), the observed history
(:class:`~polyslot.analysis.observed.ObservedHistory`), the KPI table and the frontier. The
deliverables read it as it is (``PolyclinicResult.trust``): summary keys ``verdict``,
``reason``, ``confidence``, ``traded``, ``*_observed``, ``fidelity``, ``frontier``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from polyslot.analysis.disagreement import source_facts
from polyslot.analysis.fidelity import fidelity_report, headline_source, source_agreement
from polyslot.analysis.observed import ObservedHistory
from polyslot.analysis.paired import paired_week
from polyslot.analysis.verdict import (
    Verdict,
    VerdictKind,
    decide,
    low_confidence,
    traded_text,
)
from polyslot.analysis.wording import change_words, count_change_words
from polyslot.clinic_model import ClinicModel
from polyslot.day.spec import ClinicDay
from polyslot.evaluation.clinic_day import DayMetrics
from polyslot.optimize.frontier import WeekdayFrontier, frontier_document
from polyslot.template import WEEKDAYS

__all__ = [
    "history_weekdays",
    "overloaded_weekdays",
    "model_weekdays",
    "model_block",
    "assess",
]


def history_weekdays(history: ObservedHistory | None) -> dict[int, dict[str, float]]:
    """The observed history per weekday (empty without a history)."""
    return {} if history is None else {d: dict(v) for d, v in history.weekdays.items()}


def overloaded_weekdays(history: ObservedHistory | None) -> set[int]:
    """Weekdays whose history shows chronic overtime or utilisation >= 100%."""
    return set() if history is None else history.overloaded


def model_weekdays(
    runs: Mapping[tuple[str, int], DayMetrics], days: Mapping[tuple[str, int], ClinicDay]
) -> dict[int, dict[str, float]]:
    """The model's current-template KPIs per weekday in the fidelity vocabulary (overtime: the
    last consultation's end after the last session's end, as the history measures it)."""
    out = {}
    for (scenario, d), m in sorted(runs.items()):
        if scenario != "current":
            continue
        over = m["clinic_overtime"].mean
        out[d] = {
            "wait_mean": m.value("wait_mean"),
            "wait_p90": m.value("wait_p90"),
            "utilization": m.value("utilization"),
            "patients_served": m.value("patients_served"),
            "overtime": over if math.isfinite(over) else m.value("overtime"),
            "duty": float(sum(s.end - s.start for s in days[(scenario, d)].sessions)),
        }
    return out


def model_block(
    model: ClinicModel, runs: Mapping[tuple[str, int], DayMetrics], discipline: str
) -> dict[str, Any]:
    """The ``model`` key of summary.json: the queue discipline and its evidence, the evaluator
    (``exact`` when every day was evaluated exactly, else ``simulation``) and the largest
    relative standard error of a weekday's mean wait."""
    exact = all(m.method == "exact" for m in runs.values())
    rel = [
        m["wait_mean"].se / m["wait_mean"].mean
        for m in runs.values()
        if m.method != "exact" and m["wait_mean"].mean > 0
    ]
    q = model.queue
    return {
        "discipline": discipline,
        "evidence": q.evidence if discipline == q.discipline else
        f"set in the configuration ({q.evidence} in the history)",
        "discipline_source": q.source if discipline == q.discipline else "config",
        "overtaken_share": q.overtaken_share,
        "evaluator": "exact" if exact else "simulation",
        "relative_se": 0.0 if exact else round(max(rel, default=0.0), 6),
        "replications": max((m.replications for m in runs.values()), default=0),
        "absence": {
            "rate": {str(k): v for k, v in model.absence.rate.items()},
            "lost": model.absence.lost,
            "evidence": model.absence.evidence,
        },
    }


def _current_week(kpis: pd.DataFrame) -> dict[str, dict[str, float]]:
    rows = kpis[(kpis["scenario"] == "current") & (kpis["weekday"] == -1)]
    out: dict[str, dict[str, float]] = {}
    for r in rows.itertuples(index=False):
        out.setdefault(str(r.source), {})[str(r.kpi)] = float(r.mean)
    return out


def _traded(
    frontier: Mapping[int, WeekdayFrontier], paired: Mapping[str, Any] | None = None
) -> tuple[bool, str]:
    """Did the chosen points trade patients for overtime, and what (vs today's template).

    The amounts are the paired differences of the week (``paired``, the same simulated days as
    the verdict and the summary's table) when given, so the trade reads the same number
    everywhere; otherwise the frontier points' own KPIs (overloaded weekdays only)."""
    days = [f for f in frontier.values() if f.overloaded and f.chosen_point.throughput_floor < 1]
    if not days:
        return False, ""
    if paired and paired.get("weekdays"):
        d_pat = float(paired["patients"].mean)
        d_ot = float(paired["overtime"].mean) / len(paired["weekdays"])
    else:
        d_pat = sum(f.chosen_point.patients_per_week - f.points[0].patients_per_week for f in days)
        d_ot = sum(f.chosen_point.overtime - f.points[0].overtime for f in days) / len(days)
    return True, (
        f"{count_change_words(d_pat, 'patients a week')}, "
        f"{count_change_words(d_ot, 'overtime minutes a day')}"
    )


def _week_kpi(kpis: pd.DataFrame, scenario: str, source: str, kpi: str) -> float | None:
    hit = kpis[
        (kpis["scenario"] == scenario)
        & (kpis["source"] == source)
        & (kpis["kpi"] == kpi)
        & (kpis["weekday"] == -1)
    ]
    return None if hit.empty else float(hit["mean"].iloc[0])


def _replay_contradicts(kpis: pd.DataFrame, headline: str | None) -> str:
    """Text when the replay of held-back weeks sees longer waits where the headline sees
    shorter ones (beyond 5% of today's wait), else empty."""
    if headline in (None, "replay"):
        return ""
    vals = [
        _week_kpi(kpis, sc, src, "wait_mean")
        for sc, src in (
            ("current", headline),
            ("recommended", headline),
            ("current", "replay"),
            ("recommended", "replay"),
        )
    ]
    if any(v is None for v in vals):
        return ""
    h_cur, h_rec, r_cur, r_rec = (float(v) for v in vals if v is not None)
    if h_rec < h_cur and r_rec > r_cur * 1.05:
        return (
            f"the replay of the held-back weeks shows waiting {change_words(r_cur, r_rec)} "
            f"({r_cur:.1f} -> {r_rec:.1f} min) where the {headline} shows "
            f"{change_words(h_cur, h_rec)}"
        )
    return ""


def _r(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else None
    return v


def assess(
    model: ClinicModel,
    history: ObservedHistory | None,
    *,
    policy: str,
    weights: Mapping[str, float],
    fidelity_tol: Any,
    runs: Mapping[tuple[str, int], DayMetrics],
    days: Mapping[tuple[str, int], ClinicDay],
    kpis: pd.DataFrame,
    frontier: Mapping[int, WeekdayFrontier],
    discipline: str = "pooled",
    replay_days: int = 0,
    max_patient_loss: float = 0.01,
) -> dict[str, Any]:
    """The trust block of one polyclinic (see the module docstring); ``discipline`` (the
    model's queue) and ``replay_days`` (held-back days replayed) go into the reasons why a
    source differs from the history; ``max_patient_loss`` is the materiality of a loss of
    patients (share of the week's patients)."""
    observed = history_weekdays(history)
    fid = fidelity_report(model_weekdays(runs, days), observed, fidelity_tol)
    paired = paired_week(runs, weights)
    trade, _ = _traded(frontier, paired)
    week_patients = sum(m.value("patients_served") for (sc, _d), m in runs.items()
                        if sc == "current")
    loss = max_patient_loss * week_patients
    others = {k: paired[k] for k in ("overtime", "utilization", "wait_p90")}
    verdict = decide(
        paired["objective"], paired["patients"], policy=policy, trade_allowed=trade,
        max_patient_loss=loss, others=others,
    )  # fmt: skip
    traded = traded_text(verdict.traded) if verdict.verdict == VerdictKind.RECOMMEND else ""
    if fid["within_tolerance"] is False:
        verdict = low_confidence(verdict, fid["gap"])
    elif fid["within_tolerance"] is None:
        verdict = Verdict(
            verdict.verdict, verdict.reason + "; no history to check the model", "low",
            verdict.traded,
        )  # fmt: skip
    per_day = {}
    for d, iv in paired["weekdays"].items():
        f = frontier.get(d)
        t = bool(f and f.overloaded and f.chosen_point.throughput_floor < 1)
        day_loss = max_patient_loss * runs[("current", d)].value("patients_served")
        v = decide(
            iv["objective"], iv["patients"], policy=policy, trade_allowed=t,
            max_patient_loss=day_loss,
            others={k: iv[k] for k in ("overtime", "utilization", "wait_p90")},
        )  # fmt: skip
        per_day[WEEKDAYS[d]] = {
            **v.to_dict(),
            "overloaded": bool(f.overloaded) if f else False,
            "objective_difference": iv["objective"].to_dict(),
            "patients_difference": iv["patients"].to_dict(),
        }
    current_week = _current_week(kpis)
    week_obs = fid["week"]
    obs_week = {k: v["observed"] for k, v in week_obs.items()} if week_obs else None
    facts = source_facts(model, discipline=discipline, replay_days=replay_days)
    agreement = source_agreement(current_week, fidelity_tol, obs_week, facts)
    source, why = headline_source(current_week, agreement, obs_week)
    contra = _replay_contradicts(kpis, source)
    if contra and verdict.verdict == VerdictKind.RECOMMEND:
        verdict = Verdict(
            verdict.verdict, f"{verdict.reason}; low confidence: {contra}", "low", verdict.traded
        )
    obs = {
        k: (week_obs.get(k) or {}).get("observed")
        for k in ("wait_mean", "wait_p90", "utilization", "patients_served")
    }
    return {
        **verdict.to_dict(),
        "model": model_block(model, runs, discipline),
        "wait_mean_observed": obs["wait_mean"],
        "wait_p90_observed": obs["wait_p90"],
        "utilization_observed": obs["utilization"],
        "patients_served_observed": obs["patients_served"],
        "fidelity": fid,
        "agreement": agreement,
        "headline_source": source,
        "headline_reason": why,
        "paired_difference": {
            k: paired[k].to_dict()
            for k in ("objective", "patients", "wait_total", "overtime", "idle", "utilization",
                      "wait_p90")
        },
        "weekdays": per_day,
        "overloaded": any(f.overloaded for f in frontier.values()),
        "traded": traded,
        "traded_kpis": [dict(t) for t in verdict.traded],
        "frontier": {
            "policy": policy,
            "weekdays": {
                WEEKDAYS[d]: f.to_dict(with_slots=False) for d, f in sorted(frontier.items())
            },
        },
        "frontier_document": frontier_document(model.polyclinic_id, policy, frontier),
    }
