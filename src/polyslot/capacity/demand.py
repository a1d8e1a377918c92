"""The first-visit demand of one arrival period: its distribution family, CDF and quantiles.

Part of the capacity model's inputs (:mod:`polyslot.capacity.inputs`); the chance constraints
and the breach risk read the CDF (docs/capacity.md).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from polyslot.errors import InputError

__all__ = ["DemandDistribution", "FAMILIES"]

FAMILIES = ("normal", "poisson", "empirical")
_CONCAVE_TOL = 1e-9


@dataclass(frozen=True)
class DemandDistribution:
    """Distribution of one arrival period's first-visit requests ``f_i``.

    Parameters
    ----------
    family : {"normal", "poisson", "empirical"}
        ``normal`` uses ``mean`` and ``sd`` (continuous, as in the paper); ``poisson`` uses
        ``mean``; ``empirical`` uses the observed request counts ``values`` (each equally likely).
    mean, sd : float
    values : tuple of float
    """

    family: str
    mean: float = 0.0
    sd: float = 0.0
    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise InputError(f"must be one of {FAMILIES}", field="family", value=self.family)
        object.__setattr__(self, "values", tuple(float(v) for v in self.values))
        if self.family == "empirical":
            if not self.values or any((not math.isfinite(v)) or v < 0 for v in self.values):
                raise InputError(
                    "empirical demand needs a non-empty list of finite counts >= 0",
                    field="values",
                    value=list(self.values)[:5],
                )
            object.__setattr__(self, "values", tuple(sorted(self.values)))
            object.__setattr__(self, "mean", float(np.mean(self.values)))
            object.__setattr__(self, "sd", float(np.std(self.values)))
            return
        if not math.isfinite(self.mean) or self.mean < 0:
            raise InputError("must be a finite number >= 0", field="mean", value=self.mean)
        if self.family == "normal" and (not math.isfinite(self.sd) or self.sd <= 0):
            raise InputError("normal demand needs sd > 0", field="sd", value=self.sd)
        if self.family == "poisson":
            object.__setattr__(self, "sd", math.sqrt(self.mean))

    # -- distribution functions ---------------------------------------------------------------
    def cdf(self, s: float | np.ndarray) -> np.ndarray:
        """``F(s) = P(f <= s)``."""
        s = np.asarray(s, dtype=float)
        if self.family == "normal":
            return stats.norm.cdf(s, loc=self.mean, scale=self.sd)
        if self.family == "poisson":
            return stats.poisson.cdf(np.floor(s), self.mean)
        vals = np.asarray(self.values)
        return np.searchsorted(vals, s, side="right") / vals.size

    def log_cdf(self, s: float | np.ndarray) -> np.ndarray:
        """``log F(s)`` (``-inf`` where ``F(s) = 0``), accurate in the upper tail."""
        s = np.asarray(s, dtype=float)
        if self.family == "normal":
            return stats.norm.logcdf(s, loc=self.mean, scale=self.sd)
        if self.family == "poisson":
            return stats.poisson.logcdf(np.floor(s), self.mean)
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(s))

    def quantile(self, p: float) -> int:
        """Smallest integer ``s >= 0`` with ``F(s) >= p`` (the integer inverse CDF)."""
        if not 0.0 < p < 1.0:
            raise InputError("probability must be in (0, 1)", field="p", value=p)
        return _quantile(self, float(p))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws (float array)."""
        if self.family == "normal":
            return rng.normal(self.mean, self.sd, size)
        if self.family == "poisson":
            return rng.poisson(self.mean, size).astype(float)
        return rng.choice(np.asarray(self.values), size=size, replace=True)

    def support_points(self, lo: int, hi: int) -> np.ndarray:
        """Integers ``lo..hi`` where ``F`` can change (all of them, or the empirical jumps)."""
        if self.family == "empirical":
            pts = np.unique(np.ceil(np.asarray(self.values)))
            pts = pts[(pts >= lo) & (pts <= hi)]
            return np.unique(np.concatenate([[lo], pts])).astype(int)
        return np.arange(lo, hi + 1)

    def log_cdf_is_concave(self, lo: int, hi: int) -> bool:
        """Whether ``k -> log F(k)`` is concave on the integers ``lo..hi`` (log-concavity)."""
        if self.family in ("normal", "poisson"):
            return True  # normal and Poisson CDFs are log-concave
        h = self.log_cdf(np.arange(lo, hi + 1))
        if np.any(~np.isfinite(h)):
            return False
        return bool(np.all(np.diff(h, 2) <= _CONCAVE_TOL))

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as accepted by :func:`parse_capacity_input`."""
        if self.family == "empirical":
            return {"dist": "empirical", "values": list(self.values)}
        if self.family == "poisson":
            return {"dist": "poisson", "mean": self.mean}
        return {"dist": "normal", "mean": self.mean, "sd": self.sd}


@functools.lru_cache(maxsize=4096)
def _quantile(dist: DemandDistribution, p: float) -> int:
    """:meth:`DemandDistribution.quantile` (cached: horizons repeat the same few distributions)."""
    if dist.family == "normal":
        guess = math.ceil(stats.norm.ppf(p, loc=dist.mean, scale=dist.sd))
    elif dist.family == "poisson":
        guess = int(stats.poisson.ppf(p, dist.mean))
    else:
        n = len(dist.values)
        guess = math.ceil(dist.values[max(0, math.ceil(p * n - 1e-9) - 1)])
    lo = max(0, guess - 2)
    ks = np.arange(lo, guess + 3)
    hit = np.flatnonzero(dist.cdf(ks) >= p)  # guard against floating-point ppf round-off
    if hit.size and (hit[0] > 0 or lo == 0):
        return int(ks[hit[0]])
    s = max(0, guess - 1)
    while float(dist.cdf(s)) < p:
        s += 1
    while s > 0 and float(dist.cdf(s - 1)) >= p:
        s -= 1
    return s
