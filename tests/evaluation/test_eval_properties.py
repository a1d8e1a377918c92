"""Hypothesis properties of the exact evaluator, plus batch / incremental consistency."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.evaluation import Evaluator, evaluate_arrays, evaluate_batch


@st.composite
def sessions(draw, max_k=7, unpunctual=True):
    K = draw(st.integers(1, max_k))
    S = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    service = rng.random((K, S)) ** 3
    service /= service.sum(axis=1, keepdims=True)
    p = rng.random(K) * draw(st.sampled_from([0.0, 0.3, 1.0]))
    tau = np.sort(rng.integers(0, 60, K))
    L = draw(st.integers(0, 90))
    ds = draw(st.integers(0, 20))
    offs = None
    if unpunctual and draw(st.booleans()):
        offs = [(np.array([-5, -1, 0, 4]), rng.dirichlet(np.ones(4))) for _ in range(K)]
    return tau, service, p, L, ds, offs


@given(sessions())
@settings(max_examples=60, deadline=None)
def test_time_balance(case):
    # D_K = doctor_start + sum_k I_k + sum_k B_k, and L + overtime = D_K + end idle, so
    # L + E[OT] = doctor_start + sum (1 - p_k) E[B_k | comes] + sum E[I_k] + E[end idle].
    tau, service, p, L, ds, offs = case
    r = evaluate_arrays(tau, service, p, L, ds, offsets=offs)
    busy = float(((1 - p) * (service @ np.arange(service.shape[1]))).sum())
    assert r.completion_mean == pytest.approx(ds + busy + r.idle_before_mean, abs=1e-8)
    lhs = L + r.overtime_mean
    assert lhs == pytest.approx(ds + busy + r.idle_before_mean + r.idle_end_mean, abs=1e-8)


@given(sessions(), st.integers(1, 30))
@settings(max_examples=50, deadline=None)
def test_delaying_last_appointment(case, delay):
    tau, service, p, L, ds, offs = case
    r0 = evaluate_arrays(tau, service, p, L, ds, offsets=offs)
    later = tau.copy()
    later[-1] += delay
    r1 = evaluate_arrays(later, service, p, L, ds, offsets=offs)
    np.testing.assert_allclose(r1.wait_mean[:-1], r0.wait_mean[:-1], atol=1e-10)
    assert r1.wait_mean[-1] <= r0.wait_mean[-1] + 1e-10


@given(st.integers(1, 8), st.integers(0, 15), st.integers(0, 12), st.integers(0, 100))
@settings(max_examples=60, deadline=None)
def test_zero_variance_in_zero_variance_out(K, b, gap, late):
    service = np.zeros((K, b + 1))
    service[:, b] = 1.0
    tau = gap * np.arange(K)
    r = evaluate_arrays(tau, service, np.zeros(K), 50, late)
    for v in (r.wait_var, r.idle_var, [r.overtime_var, r.idle_end_var]):
        np.testing.assert_allclose(v, 0.0, atol=1e-8)


@given(sessions(), st.data())
@settings(max_examples=50, deadline=None)
def test_incremental_and_batch_equal_full(case, data):
    tau, service, p, L, ds, offs = case
    ev = Evaluator(service, p, L, ds, offsets=offs)
    ev.evaluate(tau)
    k = data.draw(st.integers(0, len(tau) - 1))
    new = tau.copy()
    new[k:] += data.draw(st.integers(0, 9))
    inc = ev.evaluate_from(k, new)
    full = evaluate_arrays(new, service, p, L, ds, offsets=offs)
    for a, b in zip(inc, full, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    back = ev.update(tau)
    ref = evaluate_arrays(tau, service, p, L, ds, offsets=offs)
    assert back.total_wait_mean == pytest.approx(ref.total_wait_mean, abs=1e-9)
    batch = evaluate_batch(np.vstack([tau, new]), service, p, L, ds, offsets=offs)
    assert batch["total_wait_mean"][1] == pytest.approx(full.total_wait_mean, abs=1e-9)
    assert batch["overtime_mean"][0] == pytest.approx(ref.overtime_mean, abs=1e-9)
    assert batch["total_idle_mean"][1] == pytest.approx(full.total_idle_mean, abs=1e-9)
