"""A verdict per polyclinic (and weekday): ``recommend``, ``keep_current`` or ``skipped``.

``recommend`` only when the recommended template beats the current one on the configured
objective with the 95% confidence interval of the *paired* difference (common random numbers)
excluding zero, and patients served is not lower beyond its interval, unless the chosen point
of the trade-off frontier deliberately trades patients for overtime (``trade_allowed``; never
under ``policy = "throughput"``). Otherwise ``keep_current`` with the reason. A polyclinic that
could not be planned is ``skipped`` with an actionable reason. Confidence is ``low`` when the
model does not reproduce the history within tolerance (:mod:`polyslot.analysis.fidelity`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

__all__ = [
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

VERDICTS = ("recommend", "keep_current", "skipped")
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
    """``verdict`` (one of :data:`VERDICTS`), ``reason`` and ``confidence`` (high/low)."""

    verdict: str
    reason: str
    confidence: str = "high"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return asdict(self)


def _ci(iv: Interval, unit: str) -> str:
    """The 95% interval of the paired difference, signed as recommended minus current."""
    return f"95% CI of recommended minus current {iv.low:+.1f} to {iv.high:+.1f} {unit}"


def decide(
    objective: Interval,
    patients: Interval,
    *,
    policy: str = "balanced",
    trade_allowed: bool = False,
    objective_unit: str = "min a week",
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
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    fewer = patients.below_zero
    if fewer and (policy == "throughput" or not trade_allowed):
        return Verdict(
            "keep_current",
            f"the recommended template would serve {abs(patients.mean):.0f} fewer patients a "
            f"week ({_ci(patients, 'patients')})"
            + (" and the policy is 'throughput'" if policy == "throughput" else ""),
        )
    if objective.above_zero:
        return Verdict(
            "keep_current",
            f"the recommended template is worse on the objective by {objective.mean:.0f} "
            f"{objective_unit} ({_ci(objective, objective_unit)})",
        )
    if not objective.below_zero:
        return Verdict(
            "keep_current",
            "no significant difference on the objective "
            f"({_ci(objective, objective_unit)} includes zero)",
        )
    traded = (
        f"; trades {abs(patients.mean):.0f} fewer patients a week for finishing on time"
        if fewer
        else ""
    )
    return Verdict(
        "recommend",
        f"better on the objective by {abs(objective.mean):.0f} {objective_unit} "
        f"({_ci(objective, objective_unit)}){traded}",
    )


def low_confidence(verdict: Verdict, gap: str) -> Verdict:
    """``verdict`` marked low-confidence because the model misses the history by ``gap``."""
    sep = "; " if verdict.reason else ""
    return Verdict(
        verdict.verdict,
        f"{verdict.reason}{sep}low confidence: the model does not reproduce your history ({gap})",
        "low",
    )


def skipped_verdict(reason: str) -> Verdict:
    """A polyclinic that could not be planned (``reason`` says what to fix)."""
    return Verdict("skipped", reason or "could not be planned", "low")
