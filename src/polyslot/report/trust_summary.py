"""The trust keys of ``summary.json`` (verdict, reason, confidence, observed history, fidelity,
frontier) per polyclinic and network-wide, and the top-level ``skipped`` list.

A polyclinic that could not be planned is listed in ``skipped`` as ``{"polyclinic_id",
"reason"}`` (the reason says what to fix) and gets an entry with verdict ``skipped``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from polyslot.analysis.wording import change_words
from polyslot.results import NetworkResult

__all__ = ["TRUST_KEYS", "trust_keys", "skipped_list", "network_trust", "write_all_skipped"]

#: Keys every summary entry gains (contract of issue 15; extend, never rename).
TRUST_KEYS = (
    "verdict",
    "reason",
    "confidence",
    "wait_mean_observed",
    "wait_p90_observed",
    "utilization_observed",
    "patients_served_observed",
    "fidelity",
    "frontier",
)


def _clean(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float | int):
        f = float(v)
        return round(f, 6) if math.isfinite(f) else None
    if isinstance(v, Mapping):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    return v


def trust_keys(trust: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The trust keys of one polyclinic entry (``entry`` holds its current/recommended KPIs)."""
    verdict = trust.get("verdict") or "keep_current"
    reason = trust.get("reason") or (
        "" if verdict == "recommend" else "no paired comparison of the templates was made"
    )
    out: dict[str, Any] = {
        "verdict": verdict,
        "reason": reason,
        "confidence": trust.get("confidence") or ("low" if not trust else "high"),
        "wait_mean_observed": trust.get("wait_mean_observed"),
        "wait_p90_observed": trust.get("wait_p90_observed"),
        "utilization_observed": trust.get("utilization_observed"),
        "patients_served_observed": trust.get("patients_served_observed"),
        "fidelity": trust.get("fidelity") or {"within_tolerance": None},
        "frontier": trust.get("frontier") or {"policy": None, "weekdays": {}},
        "wait_change": change_words(
            entry.get("wait_mean_current"), entry.get("wait_mean_recommended")
        ),
    }
    for k in (
        "traded",
        "traded_kpis",
        "model",
        "headline_reason",
        "agreement",
        "paired_difference",
        "weekdays",
    ):
        if k in trust:
            out[k if k != "weekdays" else "weekday_verdicts"] = trust[k]
    return _clean(out)


def skipped_list(result: NetworkResult) -> list[dict[str, str]]:
    """``[{"polyclinic_id", "reason"}]`` of the polyclinics that could not be planned."""
    skipped = result.assumptions.get("skipped_polyclinics") or {}
    return [{"polyclinic_id": str(p), "reason": str(r)} for p, r in sorted(skipped.items())]


def network_trust(result: NetworkResult) -> dict[str, Any]:
    """Network-wide observed values (waits weighted by patients, patients summed), verdict
    counts and the low-confidence polyclinics."""
    ts = [r.trust for r in result.polyclinics if r.trust]
    served: list[Any] = [t.get("patients_served_observed") for t in ts]
    ok = [i for i, s in enumerate(served) if s is not None]
    tot = sum(served[i] for i in ok) or 0.0

    def wavg(key: str) -> float | None:
        vals = [(served[i], ts[i].get(key)) for i in ok if ts[i].get(key) is not None]
        w = sum(s for s, _ in vals)
        return sum(s * v for s, v in vals) / w if w > 0 else None

    counts = {"recommend": 0, "keep_current": 0, "skipped": len(skipped_list(result))}
    for r in result.polyclinics:
        v = r.trust.get("verdict") or "keep_current"
        counts[v] = counts.get(v, 0) + 1
    fid = [t.get("fidelity", {}).get("within_tolerance") for t in ts]
    return _clean(
        {
            "wait_mean_observed": wavg("wait_mean_observed"),
            "wait_p90_observed": wavg("wait_p90_observed"),
            "utilization_observed": wavg("utilization_observed"),
            "patients_served_observed": tot if ok else None,
            "verdicts": counts,
            "low_confidence": sorted(
                r.polyclinic_id for r in result.polyclinics if r.trust.get("confidence") == "low"
            ),
            "fidelity": {"within_tolerance": all(f is True for f in fid) if fid else None},
        }
    )


def write_all_skipped(skipped: Mapping[str, str], out: Path) -> dict[str, Path]:
    """``summary.json`` and ``guide.md`` of a run in which no polyclinic could be planned."""
    from polyslot.atomic import write_json, write_text
    from polyslot.report.trust_text import first_screen

    items = [{"polyclinic_id": str(p), "reason": str(r)} for p, r in sorted(skipped.items())]
    entries = [
        {
            "polyclinic_id": i["polyclinic_id"],
            "source": None,
            **trust_keys({"verdict": "skipped", "reason": i["reason"], "confidence": "low"}, {}),
        }
        for i in items
    ]
    summary = {
        "polyclinics": entries,
        "network": {
            "polyclinic_id": "NETWORK",
            "n_polyclinics": 0,
            "verdicts": {"recommend": 0, "keep_current": 0, "skipped": len(items)},
        },
        "skipped": items,
    }
    guide = [
        "# Implementation guide",
        "",
        *first_screen(summary),
        "No polyclinic could be planned: fix the reasons above and run polyslot again.",
        "",
    ]
    return {
        "summary.json": write_json(out / "summary.json", summary),
        "guide.md": write_text(out / "guide.md", "\n".join(guide)),
    }
