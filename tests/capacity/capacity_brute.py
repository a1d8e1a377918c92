"""Tiny capacity instances and the exhaustive enumeration the capacity tests compare with."""

from __future__ import annotations

import itertools
import math

import numpy as np

from polyslot.capacity.chance import bonferroni_levels
from polyslot.capacity.inputs import (
    CapacityInput,
    DemandDistribution,
    LeadTimeTargets,
    RevisitPolicy,
)


def _tiny(means=(2.0, 3.0, 1.0), eps=0.1, **kw) -> CapacityInput:
    args = {
        "demand": tuple(DemandDistribution("poisson", mean=m) for m in means),
        "targets": LeadTimeTargets(median=1, percentile=2, max=2, p=75.0),
        "revisit": RevisitPolicy(2, 2, 2.0),  # a = b: revisits are determined by the FV plan
        "alpha": 0.5,
        "beta": 0.6,
        "tau_fv": 20.0,
        "tau_rv": 10.0,
        "epsilon": eps,
        "mc_samples": 4000,
    }
    args.update(kw)
    return CapacityInput(**args)


def _brute_force(inp: CapacityInput, method: str) -> float:
    """Enumerate every integer booking z (reservations up to 2 above the minimum) and compute
    the revisit flows by hand (window a = b makes them unique); return the least peak."""
    S, T, w = inp.S, inp.T, inp.targets.max
    a = inp.revisit.min_lead
    if method == "bonferroni":
        lows = bonferroni_levels(inp.demand, inp.epsilon)
    else:
        lows = [d.quantile(1 - inp.epsilon) for d in inp.demand]
    best = math.inf
    per_i = []
    for i in range(S):
        opts = []
        cells = [j for j in range(i, min(i + w, T - 1) + 1)]
        for s in range(lows[i], lows[i] + 3):
            for split in itertools.product(range(s + 1), repeat=len(cells)):
                if sum(split) == s:
                    opts.append(dict(zip(cells, split, strict=True)))
        per_i.append(opts)
    for combo in itertools.product(*per_i):
        s = [sum(c.values()) for c in combo]
        if method == "joint":
            logp = sum(float(d.log_cdf(k)) for d, k in zip(inp.demand, s, strict=True))
            if logp < math.log1p(-inp.epsilon) - 1e-12:
                continue
        leads = [(j - i, n) for i, c in enumerate(combo) for j, n in c.items()]
        total = sum(n for _, n in leads)
        if sum(n for lead, n in leads if lead <= inp.targets.median) < 0.5 * total:
            continue
        if sum(n for lead, n in leads if lead <= inp.targets.percentile) < 0.75 * total:
            continue
        nf = np.zeros(T)
        for c in combo:
            for j, n in c.items():
                nf[j] += n
        nr = np.zeros(T)
        for j in range(T):
            if j + a < T:
                nr[j + a] += (1 - inp.alpha) * nf[j] + (1 - inp.beta) * nr[j]
        best = min(best, float(np.max(inp.tau_fv * nf + inp.tau_rv * nr)))
    return best
