"""The exact evaluator against an independent vectorised Monte Carlo of the same discipline."""

from __future__ import annotations

import numpy as np

from polyslot.distributions import discretize, gamma, lognormal
from polyslot.evaluation import evaluate
from polyslot.schedule import ArrivalOffsets, PatientSpec, Schedule


def _simulate(s: Schedule, n: int, seed: int):
    rng = np.random.default_rng(seed)
    d = np.full(n, float(s.doctor_start))
    waits, idles = [], []
    for p in s.patients:
        pmf = np.asarray(p.service)
        b = rng.choice(pmf.size, size=n, p=pmf / pmf.sum())
        b = np.where(rng.random(n) < p.no_show, 0, b)
        a = np.full(n, float(p.appointment))
        if p.punctuality is not None:
            pu = np.asarray(p.punctuality.pmf)
            a += rng.choice(np.asarray(p.punctuality.offsets), size=n, p=pu / pu.sum())
        waits.append(np.maximum(d - a, 0))
        idles.append(np.maximum(a - d, 0))
        d = np.maximum(a, d) + b
    return np.array(waits), np.array(idles), np.maximum(d - s.session_end, 0)


def _check(mean_exact, var_exact, sample):
    n = sample.shape[-1]
    se = np.sqrt(np.maximum(var_exact, 1e-12) / n)
    z = np.abs(sample.mean(axis=-1) - mean_exact) / se
    assert np.all(z < 4.5), z  # 4.5 sigma over ~20 comparisons


def test_unpunctual_late_doctor_against_monte_carlo():
    rng = np.random.default_rng(4)
    offs = ArrivalOffsets((-6, -2, 0, 3, 9), (0.1, 0.3, 0.35, 0.15, 0.1))
    pats = []
    for k in range(10):
        fam = lognormal if k % 2 else gamma
        pmf = tuple(discretize(fam(float(rng.uniform(6, 14)), 0.6), 1.0))
        pats.append(PatientSpec(10 * k, pmf, 0.12, offs if k % 3 else None))
    s = Schedule(100, tuple(pats), doctor_start=5)
    ev = evaluate(s)
    w, i, ot = _simulate(s, 40_000, seed=1)
    _check(ev.wait_mean, ev.wait_var, w)
    _check(ev.idle_mean, ev.idle_var, i)
    _check(np.array([ev.overtime_mean]), np.array([ev.overtime_var]), ot[None, :])
    # variances: relative agreement of the sample variance
    np.testing.assert_allclose(w.var(axis=1), ev.wait_var, rtol=0.08, atol=0.05)
    assert abs(ot.var() - ev.overtime_var) < 0.08 * ev.overtime_var + 0.05
