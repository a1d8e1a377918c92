"""Discretising continuous consultation-time distributions onto the slot grid.

Rule (documented in docs/model.md): a continuous time X (minutes) is rounded to the nearest
whole slot, so ``P(B = i) = F((i + 1/2) s) - F((i - 1/2) s)`` for ``i >= 1`` and
``P(B = 0) = F(s / 2)``, with ``s = slot_minutes``. The support is truncated at the first ``n``
with ``1 - F((n + 1/2) s) <= tail``; that tail mass is added to the last bin so the PMF sums to 1.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats

from polyslot.errors import InputError

__all__ = ["discretize", "lognormal", "gamma", "pmf_mean", "pmf_var", "FAMILIES", "expected_unmet"]

DEFAULT_TAIL = 1e-6
MAX_SLOTS = 100_000


def lognormal(mean: float, cv: float) -> stats.rv_continuous:
    """Frozen scipy lognormal with the given mean and coefficient of variation."""
    _check_mean_cv(mean, cv)
    sigma2 = math.log1p(cv * cv)
    mu = math.log(mean) - sigma2 / 2
    return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(mu))


def gamma(mean: float, cv: float) -> stats.rv_continuous:
    """Frozen scipy gamma with the given mean and coefficient of variation."""
    _check_mean_cv(mean, cv)
    shape = 1.0 / (cv * cv)
    return stats.gamma(a=shape, scale=mean / shape)


FAMILIES = {"lognormal": lognormal, "gamma": gamma}


def _check_mean_cv(mean: float, cv: float) -> None:
    if not (math.isfinite(mean) and mean > 0):
        raise InputError("must be a finite number > 0", field="mean", value=mean)
    if not (math.isfinite(cv) and cv > 0):
        raise InputError("must be a finite number > 0", field="cv", value=cv)


def discretize(
    dist: stats.rv_continuous, slot_minutes: float = 1.0, tail: float = DEFAULT_TAIL
) -> np.ndarray:
    """PMF over whole slots of a frozen continuous distribution (see module docstring).

    Parameters
    ----------
    dist : frozen scipy distribution on [0, inf)
    slot_minutes : float
        Slot length in minutes.
    tail : float
        Truncation mass; the support ends where the remaining mass is at most ``tail``.

    Returns
    -------
    numpy.ndarray
        ``pmf[i]`` = P(B = i slots); sums to 1.
    """
    if slot_minutes <= 0:
        raise InputError("must be > 0", field="slot_minutes", value=slot_minutes)
    if not 0 < tail < 1:
        raise InputError("must be in (0, 1)", field="tail", value=tail)
    upper = float(dist.isf(tail))
    n = int(math.ceil(upper / slot_minutes - 0.5))
    n = max(n, 1)
    if n > MAX_SLOTS:
        raise InputError(
            f"distribution needs {n} slots (> {MAX_SLOTS}); use a longer slot", field="service"
        )
    edges = (np.arange(n + 1) + 0.5) * slot_minutes
    cdf = dist.cdf(edges)
    pmf = np.diff(np.concatenate(([0.0], cdf)))
    pmf[-1] += 1.0 - cdf[-1]
    pmf = np.clip(pmf, 0.0, None)
    return pmf / pmf.sum()


def pmf_mean(pmf: np.ndarray) -> float:
    """Mean of a PMF over 0..n-1."""
    pmf = np.asarray(pmf, dtype=float)
    return float(np.dot(np.arange(pmf.size), pmf))


def pmf_var(pmf: np.ndarray) -> float:
    """Variance of a PMF over 0..n-1."""
    pmf = np.asarray(pmf, dtype=float)
    k = np.arange(pmf.size)
    m = float(np.dot(k, pmf))
    return float(np.dot((k - m) ** 2, pmf))


@functools.lru_cache(maxsize=1 << 16)
def expected_unmet(mean: float, var: float, slots: float) -> float:
    """E[(D - S)^+] for normal demand D (0 variance -> deterministic).

    Cached: the allocation MIP asks for the same points at every build of a weekday."""
    sd = math.sqrt(max(var, 0.0))
    if sd == 0:
        return max(mean - slots, 0.0)
    z = (mean - slots) / sd
    return sd * stats.norm.pdf(z) + (mean - slots) * stats.norm.cdf(z)
