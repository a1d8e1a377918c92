"""Consultation-time distributions per polyclinic x visit type.

Exact sufficient statistics and a 0.1-minute histogram come from the aggregates
(:mod:`polyslot.estimate.aggregates`; empirical quantiles are read off the histogram); the two
candidate families (lognormal, gamma) are fitted by maximum likelihood from the sufficient
statistics and the one with the smaller AIC is chosen. A polyclinic x visit type with fewer
than ``min_obs`` observations is shrunk toward the network distribution of the visit type:
every moment used by the fit is the weighted mean ``(n * own + n0 * network) / (n + n0)``
with ``n0 = prior_obs`` (a mixture of the two empirical distributions), and flagged pooled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from polyslot.clinic_model import ServiceTime
from polyslot.data.store import Connection
from polyslot.distributions import FAMILIES, discretize
from polyslot.estimate.aggregates import DURATION_GRID as _GRID
from polyslot.estimate.config import EstimateConfig

__all__ = ["Moments", "fit_family", "estimate_service_times", "QUANTILES"]

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


@dataclass(frozen=True)
class Moments:
    """Mean of x, x^2, log x, (log x)^2 over ``n`` observations (n may be fractional)."""

    n: float
    m1: float
    m2: float
    g1: float
    g2: float

    def blend(self, other: Moments, weight: float) -> Moments:
        """Mixture ``(n * self + weight * other) / (n + weight)`` (``n`` of self kept)."""
        tot = self.n + weight
        a, b = self.n / tot, weight / tot
        return Moments(
            self.n,
            a * self.m1 + b * other.m1,
            a * self.m2 + b * other.m2,
            a * self.g1 + b * other.g1,
            a * self.g2 + b * other.g2,
        )


def fit_family(mom: Moments) -> dict[str, dict[str, float]]:
    """Maximum-likelihood lognormal and gamma fits from moments.

    Returns ``{family: {"mean", "cv", "loglik", "aic"}}`` (AIC with 2 parameters).
    """
    n = max(mom.n, 1.0)
    out: dict[str, dict[str, float]] = {}
    s2 = max(mom.g2 - mom.g1 * mom.g1, 1e-8)
    ll = -n * (mom.g1 + 0.5 * math.log(2 * math.pi * s2) + 0.5)
    out["lognormal"] = {
        "mean": math.exp(mom.g1 + s2 / 2),
        "cv": math.sqrt(math.expm1(s2)),
        "loglik": ll,
        "aic": 4 - 2 * ll,
    }
    s = max(math.log(mom.m1) - mom.g1, 1e-8)
    k = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(20):  # Newton on log k - digamma(k) = s
        f = math.log(k) - special.digamma(k) - s
        df = 1 / k - special.polygamma(1, k)
        step = f / df
        k = max(k - step, k / 10)
        if abs(step) < 1e-10 * k:
            break
    theta = mom.m1 / k
    ll = n * ((k - 1) * mom.g1 - k - k * math.log(theta) - special.gammaln(k))
    out["gamma"] = {"mean": mom.m1, "cv": 1 / math.sqrt(k), "loglik": ll, "aic": 4 - 2 * ll}
    return out


def _hist_quantiles(hist: dict[int, float]) -> list[float]:
    """Quantiles of the (0.1-minute) histogram with linear interpolation between order
    statistics (the definition of numpy's default and DuckDB's ``quantile_cont``)."""
    ks = np.array(sorted(hist), dtype=float)
    cum = np.cumsum([hist[int(k)] for k in ks])
    n = cum[-1]
    out = []
    for p in QUANTILES:
        h = (n - 1) * p
        lo = ks[np.searchsorted(cum, math.floor(h), side="right")]
        hi = ks[np.searchsorted(cum, math.ceil(h), side="right")]
        out.append(float(lo + (h - math.floor(h)) * (hi - lo)) / _GRID)
    return out


def _ks(hist: dict[int, float], dist) -> float:
    ks = np.array(sorted(hist), dtype=float)
    counts = np.array([hist[int(k)] for k in ks], dtype=float)
    emp = np.cumsum(counts) / counts.sum()
    fit = dist.cdf((ks + 0.5) / _GRID)
    emp_before = np.concatenate(([0.0], emp[:-1]))
    fit_before = dist.cdf((ks - 0.5) / _GRID)
    return float(max(np.max(np.abs(emp - fit)), np.max(np.abs(emp_before - fit_before))))


def _empirical_pmf(hist: dict[int, float], slot_minutes: int) -> np.ndarray:
    idx = {k: int(math.floor(k / _GRID / slot_minutes + 0.5)) for k in hist}
    pmf = np.zeros(max(idx.values()) + 1)
    for k, c in hist.items():
        pmf[idx[k]] += c
    return pmf / pmf.sum()


def _mix_hist(a: dict[int, float], b: dict[int, float], wb: float) -> dict[int, float]:
    """Mixture of two histograms with weights ``n_a`` and ``wb`` (as probabilities)."""
    na, nb = sum(a.values()), sum(b.values())
    wa, wn = na / (na + wb), wb / (na + wb)
    out = {k: wa * v / na for k, v in a.items()}
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + wn * v / nb
    return out


def estimate_service_times(
    con: Connection, config: EstimateConfig
) -> tuple[dict[str, dict[str, ServiceTime]], list[dict]]:
    """Service-time distribution of every polyclinic x visit type seen with consultations.

    Returns ``({polyclinic: {visit_type: ServiceTime}}, summary_rows)``; every visit type of the
    network gets a distribution at every polyclinic (pure network distribution when the
    polyclinic never saw it, with ``n_obs = 0`` and ``pooled = True``).
    """
    hist: dict[tuple[str, str], dict[int, float]] = {}
    for pc, vt, k, c in con.execute("SELECT * FROM agg_duration_hist").fetchall():
        hist.setdefault((pc, vt), {})[int(k)] = float(c)
    own: dict[tuple[str, str], tuple[Moments, list[float]]] = {}
    for pc, vt, n, s1, s2, l1, l2 in con.execute(
        "SELECT polyclinic_id, visit_type, n, s1, s2, l1, l2 FROM agg_duration_moments"
    ).fetchall():
        m = (float(v) / n for v in (s1, s2, l1, l2))  # exact decimal sums -> means
        own[(pc, vt)] = (Moments(float(n), *m), _hist_quantiles(hist[(pc, vt)]))
    net: dict[str, Moments] = {}
    net_hist: dict[str, dict[int, float]] = {}
    for (pc, vt), (mom, _) in own.items():
        acc = net.get(vt)
        if acc is None:
            net[vt] = mom
        else:
            t = acc.n + mom.n
            net[vt] = Moments(
                t,
                *(
                    (getattr(acc, f) * acc.n + getattr(mom, f) * mom.n) / t
                    for f in ("m1", "m2", "g1", "g2")
                ),
            )
        h = net_hist.setdefault(vt, {})
        for k, c in hist.get((pc, vt), {}).items():
            h[k] = h.get(k, 0.0) + c
    polyclinics = sorted(
        {pc for pc, _ in own}
        | {r[0] for r in con.execute("SELECT DISTINCT polyclinic_id FROM agg_counts").fetchall()}
    )
    out: dict[str, dict[str, ServiceTime]] = {}
    summary: list[dict] = []
    for pc in polyclinics:
        out[pc] = {}
        for vt in sorted(net):
            mom, q = own.get((pc, vt), (Moments(0.0, 0, 0, 0, 0), [math.nan] * len(QUANTILES)))
            pooled = mom.n < config.min_obs
            h = hist.get((pc, vt), {})
            if pooled:
                w = config.prior_obs if mom.n > 0 else 1.0
                use = mom.blend(net[vt], w) if mom.n > 0 else net[vt]
                h = _mix_hist(h, net_hist[vt], w) if mom.n > 0 else net_hist[vt]
            else:
                use = mom
            fits = fit_family(use)
            family = min(fits, key=lambda f: fits[f]["aic"])
            par = fits[family]
            dist = FAMILIES[family](par["mean"], par["cv"])
            ks = _ks(h, dist)
            if config.service_pmf == "fitted":
                pmf = discretize(dist, config.slot_minutes)
            else:
                pmf = _empirical_pmf(h, config.slot_minutes)
            out[pc][vt] = ServiceTime(
                visit_type=vt,
                pmf=tuple(pmf),
                mean_minutes=float(par["mean"]),
                cv=float(par["cv"]),
                family=family if config.service_pmf == "fitted" else "empirical",
                params={"mean": float(par["mean"]), "cv": float(par["cv"])},
                n_obs=int(mom.n),
                pooled=bool(pooled),
                ks_distance=ks,
            )
            summary.append(
                {
                    "polyclinic_id": pc,
                    "visit_type": vt,
                    "n_obs": int(mom.n),
                    "pooled": bool(pooled),
                    "family": family,
                    "criterion": "AIC",
                    "aic": {f: round(v["aic"], 3) for f, v in fits.items()},
                    "mean_minutes": round(float(par["mean"]), 4),
                    "cv": round(float(par["cv"]), 4),
                    "ks_distance": round(ks, 5),
                    "quantiles": [
                        {
                            "p": p,
                            "empirical": None if math.isnan(e) else round(float(e), 3),
                            "fitted": round(float(dist.ppf(p)), 3),
                        }
                        for p, e in zip(QUANTILES, q, strict=True)
                    ],
                }
            )
    return out, summary
