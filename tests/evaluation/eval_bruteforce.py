"""Brute-force enumeration of every outcome of a small session (test oracle)."""

from __future__ import annotations

import itertools

import numpy as np


def outcomes(tau, service, no_show, doctor_start=0, offsets=None):
    """Yield (probability, waits, idles, departures) for every combination of outcomes.

    ``departures[0]`` is the doctor's arrival, ``departures[j]`` the j-th patient's departure.
    """
    K = len(tau)
    choices = []
    for k in range(K):
        bs = [(b, (1 - no_show[k]) * q) for b, q in enumerate(service[k]) if q > 0]
        if no_show[k] > 0:
            bs.append((0, no_show[k]))
        offs = [(0, 1.0)]
        if offsets is not None and offsets[k] is not None:
            offs = [(int(o), float(q)) for o, q in zip(*offsets[k], strict=True) if q > 0]
        choices.append([(b, o, qb * qo) for b, qb in bs for o, qo in offs])
    for combo in itertools.product(*choices):
        prob = 1.0
        d = doctor_start
        waits, idles, deps = [], [], [d]
        for k, (b, o, q) in enumerate(combo):
            prob *= q
            a = tau[k] + o
            waits.append(max(d - a, 0))
            idles.append(max(a - d, 0))
            d = max(a, d) + b
            deps.append(d)
        yield prob, waits, idles, deps


def _mv(acc):
    return acc[0], acc[1] - acc[0] ** 2


def enumerate_session(tau, service, no_show, session_end, doctor_start=0, offsets=None):
    """Exact moments (and wait PMFs, envelopes) by enumerating all outcomes."""
    K = len(tau)
    L = session_end
    W = np.zeros((K, 2))
    Id = np.zeros((K, 2))
    ot = np.zeros(2)
    ie = np.zeros(2)
    comp = 0.0
    wait_pmfs = [dict() for _ in range(K)]
    ts = np.arange(L + 1)
    booked = np.searchsorted(np.asarray(tau), ts, side="right")
    env = np.zeros((3, L + 1))
    for prob, waits, idles, deps in outcomes(tau, service, no_show, doctor_start, offsets):
        w = np.array(waits, dtype=float)
        i = np.array(idles, dtype=float)
        W[:, 0] += prob * w
        W[:, 1] += prob * w * w
        Id[:, 0] += prob * i
        Id[:, 1] += prob * i * i
        d = deps[-1]
        o_, e_ = max(d - L, 0), max(L - d, 0)
        ot += prob * np.array([o_, o_ * o_])
        ie += prob * np.array([e_, e_ * e_])
        comp += prob * d
        for k in range(K):
            wait_pmfs[k][waits[k]] = wait_pmfs[k].get(waits[k], 0.0) + prob
        dj = np.array(deps)[booked]
        rw = np.maximum(dj - ts, 0)
        env[0] += prob * rw
        env[1] += prob * rw * rw
        env[2] += prob * np.maximum(ts - dj, 0)
    pmfs = []
    for k in range(K):
        arr = np.zeros(max(wait_pmfs[k]) + 1)
        for v, q in wait_pmfs[k].items():
            arr[v] = q
        pmfs.append(arr)
    wm, wv = _mv(W.T)
    im, iv = _mv(Id.T)
    om, ov = _mv(ot)
    em, ev = _mv(ie)
    return {
        "wait_mean": wm,
        "wait_var": wv,
        "idle_mean": im,
        "idle_var": iv,
        "overtime_mean": om,
        "overtime_var": ov,
        "idle_end_mean": em,
        "idle_end_var": ev,
        "completion_mean": comp,
        "wait_pmfs": pmfs,
        "remaining_work_mean": env[0],
        "remaining_work_var": env[1] - env[0] ** 2,
        "running_idle_mean": env[2],
    }


def random_instance(rng, max_k=4, max_s=5, max_tau=8, unpunctual=False):
    """A small random instance: (tau, service, no_show, L, doctor_start, offsets)."""
    K = int(rng.integers(1, max_k + 1))
    S = int(rng.integers(1, max_s + 1))
    service = rng.random((K, S)) * (rng.random((K, S)) < 0.7)
    service[np.arange(K), rng.integers(0, S, K)] += 0.1
    service /= service.sum(axis=1, keepdims=True)
    p = rng.random(K) * (rng.random(K) < 0.6)
    tau = np.sort(rng.integers(0, max_tau, K)).astype(np.int64)
    L = int(rng.integers(0, 15))
    ds = int(rng.integers(0, 5))
    offsets = None
    if unpunctual:
        offsets = [
            (np.array([-2, 0, 1, 3]), rng.dirichlet(np.ones(4))) if rng.random() < 0.7 else None
            for _ in range(K)
        ]
    return tau, service, p, L, ds, offsets
