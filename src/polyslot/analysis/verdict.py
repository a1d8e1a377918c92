"""A verdict per polyclinic (and weekday): ``recommend``, ``keep_current`` or ``skipped``.

``recommend`` only when the recommended template beats the current one on the configured
objective with the 95% confidence interval of the *paired* difference (common random numbers)
excluding zero, and patients served does not fall beyond its interval by more than the
materiality ``max_patient_loss`` (patients a week; the run sets it to a share of the week's
patients, 1% by default), unless the chosen point of the trade-off frontier deliberately trades
patients for overtime (``trade_allowed``). Under ``policy = "throughput"`` any significant loss
of patients that is not a chosen frontier trade blocks it. Every other KPI that gets worse beyond
its interval (overtime, utilisation, 90th-percentile wait, patients served within the
materiality) is stated in the reason and in ``traded`` with its size. Otherwise ``keep_current``
with the reason. A polyclinic that could not be planned is ``skipped`` with an actionable reason.
Confidence is ``low`` when the model does not reproduce the history within tolerance
(:mod:`polyslot.analysis.fidelity`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np
from scipy import stats

__all__ = [
    "VerdictKind",
    "VERDICTS",
    "POLICIES",
    "Interval",
    "Verdict",
    "paired_interval",
    "combine_intervals",
    "decide",
    "low_confidence",
    "skipped_verdict",
]

class VerdictKind(StrEnum):
    """What to do with a polyclinic's recommendation."""

    RECOMMEND = "recommend"
    KEEP_CURRENT = "keep_current"
    SKIPPED = "skipped"


VERDICTS = tuple(v.value for v in VerdictKind)
#: Which frontier point is recommended: the knee, the most patients, or finishing on time.
POLICIES = ("balanced", "throughput", "on_time")


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% confidence interval (``n`` paired observations)."""

    mean: float
    low: float
    high: float
    n: int = 0

    @property
    def below_zero(self) -> bool:
        """The whole interval is below zero (a significant decrease)."""
        return self.high < 0.0

    @property
    def above_zero(self) -> bool:
        """The whole interval is above zero (a significant increase)."""
        return self.low > 0.0

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready (rounded to 6 decimals)."""
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def paired_interval(current: Sequence[float], recommended: Sequence[float]) -> Interval:
    """Student-t 95% interval of ``recommended - current`` over paired replications.

    The two sequences are paired by position (replication ``i`` of both templates shares its
    random numbers); the shorter length is used. Fewer than two pairs give an infinite interval.
    """
    n = min(len(current), len(recommended))
    d = np.asarray(recommended[:n], float) - np.asarray(current[:n], float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n == 0:
        return Interval(math.nan, -math.inf, math.inf, 0)
    m = float(d.mean())
    if n < 2:
        return Interval(m, -math.inf, math.inf, n)
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n))
    return Interval(m, m - half, m + half, n)


def combine_intervals(
    parts: Sequence[Interval], weights: Sequence[float] | None = None
) -> Interval:
    """``sum_i w_i X_i`` of independent estimates (half-widths add in quadrature)."""
    if not parts:
        return Interval(0.0, 0.0, 0.0, 0)
    w = [1.0] * len(parts) if weights is None else [float(x) for x in weights]
    mean = sum(wi * p.mean for wi, p in zip(w, parts, strict=True))
    half = math.sqrt(
        sum((wi * (p.high - p.low) / 2.0) ** 2 for wi, p in zip(w, parts, strict=True))
    )
    return Interval(mean, mean - half, mean + half, min(p.n for p in parts))


@dataclass(frozen=True)
class Verdict:
    """``verdict`` (:class:`VerdictKind`), ``reason``, ``confidence`` (high/low) and
    ``traded``: the KPIs that get worse, each ``{"kpi", "change", "unit", "low", "high"}``."""

    verdict: VerdictKind
    reason: str
    confidence: str = "high"
    traded: tuple[dict[str, object], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", VerdictKind(self.verdict))
        if self.confidence not in ("high", "low"):
            raise ValueError(f"confidence must be 'high' or 'low', got {self.confidence!r}")

    def to_dict(self) -> dict[str, str]:
        """JSON-ready: ``verdict``, ``reason``, ``confidence`` (``traded`` is reported apart)."""
        return {"verdict": self.verdict.value, "reason": self.reason,
                "confidence": self.confidence}


def _ci(iv: Interval, unit: str) -> str:
    """The 95% interval of the paired difference, signed as recommended minus current."""
    return f"95% CI of recommended minus current {iv.low:+.1f} to {iv.high:+.1f} {unit}"


#: KPIs that are worse when they go up (+1) or down (-1), their unit and scale for the text.
WORSE = {
    "patients": (-1, "patients a week", 1.0),
    "overtime": (+1, "overtime doctor-minutes a week", 1.0),
    "utilization": (-1, "percentage points of utilisation", 100.0),
    "wait_p90": (+1, "minutes of 90th-percentile wait", 1.0),
}


def worse_kpis(changes: Mapping[str, Interval]) -> list[dict[str, object]]:
    """Each KPI of :data:`WORSE` whose change is worse beyond its 95% interval, with its size."""
    out: list[dict[str, object]] = []
    for kpi, (sign, unit, scale) in WORSE.items():
        iv = changes.get(kpi)
        if iv is None or not math.isfinite(iv.mean):
            continue
        if (sign > 0 and iv.above_zero) or (sign < 0 and iv.below_zero):
            out.append(
                {
                    "kpi": kpi,
                    "change": round(iv.mean * scale, 3),
                    "low": round(iv.low * scale, 3),
                    "high": round(iv.high * scale, 3),
                    "unit": unit,
                }
            )
    return out


def traded_text(traded: Sequence[Mapping[str, object]]) -> str:
    """``"12 fewer patients a week, 40 more overtime doctor-minutes a week"``."""
    parts = []
    for t in traded:
        change = float(t["change"])  # type: ignore[arg-type]
        unit = str(t["unit"])
        if t["kpi"] == "patients":
            parts.append(f"{abs(change):.0f} fewer {unit}")
        elif t["kpi"] == "utilization":
            parts.append(f"{abs(change):.1f} {unit} less")
        else:
            parts.append(f"{abs(change):.0f} more {unit}" if abs(change) >= 1 else
                         f"{abs(change):.1f} more {unit}")
    return ", ".join(parts)


def decide(
    objective: Interval,
    patients: Interval,
    *,
    policy: str = "balanced",
    trade_allowed: bool = False,
    objective_unit: str = "min a week",
    max_patient_loss: float = 0.0,
    others: Mapping[str, Interval] | None = None,
) -> Verdict:
    """The verdict from the paired differences (recommended - current).

    Parameters
    ----------
    objective : Interval
        Difference of the configured objective (weighted minutes; lower is better).
    patients : Interval
        Difference of patients served per average week.
    policy : str
        ``balanced``, ``throughput`` or ``on_time`` (see :data:`POLICIES`).
    trade_allowed : bool
        The chosen frontier point deliberately serves fewer patients to finish on time (an
        overloaded clinic); ignored under ``throughput``.
    max_patient_loss : float
        Patients a week a recommendation may lose (beyond its interval) under ``balanced`` and
        ``on_time`` when its objective gain is significant (the materiality).
    others : mapping, optional
        Differences of ``overtime``, ``utilization`` and ``wait_p90``: each one that gets
        worse beyond its interval is stated in the reason and in ``traded``.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    fewer = patients.below_zero
    material = fewer and -patients.mean > max_patient_loss
    if fewer and not trade_allowed and (policy == "throughput" or material):
        limit = (
            " and the policy is 'throughput'"
            if policy == "throughput"
            else f", more than the {max_patient_loss:.0f} a week allowed (max_patient_loss)"
        )
        return Verdict(
            VerdictKind.KEEP_CURRENT,
            f"the recommended template would serve {abs(patients.mean):.0f} fewer patients a "
            f"week ({_ci(patients, 'patients')}){limit}",
        )
    if objective.above_zero:
        return Verdict(
            VerdictKind.KEEP_CURRENT,
            f"the recommended template is worse on the objective by {objective.mean:.0f} "
            f"{objective_unit} ({_ci(objective, objective_unit)})",
        )
    if not objective.below_zero:
        return Verdict(
            VerdictKind.KEEP_CURRENT,
            "no significant difference on the objective "
            f"({_ci(objective, objective_unit)} includes zero)",
        )
    traded = worse_kpis({"patients": patients, **(others or {})})
    text = traded_text(traded)
    if fewer and trade_allowed:
        why = "; trades " + text + " for finishing on time"
    elif traded:
        why = "; at the cost of " + text
    else:
        why = ""
    return Verdict(
        VerdictKind.RECOMMEND,
        f"better on the objective by {abs(objective.mean):.0f} {objective_unit} "
        f"({_ci(objective, objective_unit)}){why}",
        traded=tuple(traded),
    )


def low_confidence(verdict: Verdict, gap: str) -> Verdict:
    """``verdict`` marked low-confidence because the model misses the history by ``gap``."""
    sep = "; " if verdict.reason else ""
    return Verdict(
        verdict.verdict,
        f"{verdict.reason}{sep}low confidence: the model does not reproduce your history ({gap})",
        "low",
        verdict.traded,
    )


def skipped_verdict(reason: str) -> Verdict:
    """A polyclinic that could not be planned (``reason`` says what to fix)."""
    return Verdict(VerdictKind.SKIPPED, reason or "could not be planned", "low")
