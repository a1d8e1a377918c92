"""The exact evaluator against closed forms derived by hand."""

from __future__ import annotations

import numpy as np
import pytest

from polyslot.evaluation import evaluate, evaluate_arrays
from polyslot.schedule import PatientSpec, Schedule


def _det(b: int) -> tuple[float, ...]:
    return tuple([0.0] * b + [1.0])


@pytest.mark.parametrize(("b", "d"), [(12, 10), (8, 10), (10, 10), (15, 5)])
def test_deterministic_service_equally_spaced(b, d):
    K, L = 9, 80
    s = Schedule(L, tuple(PatientSpec(d * k, _det(b)) for k in range(K)))
    ev = evaluate(s)
    k = np.arange(K)
    np.testing.assert_allclose(ev.wait_mean, np.maximum(b - d, 0) * k, atol=1e-12)
    idle = np.where(k == 0, 0.0, max(d - b, 0))
    np.testing.assert_allclose(ev.idle_mean, idle, atol=1e-12)
    done = d * (K - 1) + max(b - d, 0) * (K - 1) + b
    assert ev.completion_mean == pytest.approx(done)
    assert ev.overtime_mean == pytest.approx(max(done - L, 0))
    assert ev.idle_end_mean == pytest.approx(max(L - done, 0))
    for v in (ev.wait_var, ev.idle_var, [ev.overtime_var, ev.idle_end_var]):
        np.testing.assert_allclose(v, 0.0, atol=1e-9)


def test_late_doctor_block_booking():
    b, late, K = 7, 13, 5
    s = Schedule(60, tuple(PatientSpec(0, _det(b)) for _ in range(K)), doctor_start=late)
    ev = evaluate(s)
    np.testing.assert_allclose(ev.wait_mean, late + b * np.arange(K), atol=1e-12)
    np.testing.assert_allclose(ev.idle_mean, 0.0, atol=1e-12)


def test_first_idle_when_doctor_is_early():
    s = Schedule(60, (PatientSpec(9, _det(5)),), doctor_start=2)
    ev = evaluate(s)
    assert ev.idle_mean[0] == pytest.approx(7.0)
    assert ev.idle_end_mean == pytest.approx(60 - 14)
    assert ev.utilization == pytest.approx(5 / 58)


def test_no_show_bernoulli_closed_form():
    # Patient 1 needs b slots w.p. 1-p; patient 2 is booked d < b later.
    b, d, p = 10, 4, 0.3
    s = Schedule(40, (PatientSpec(0, _det(b), p), PatientSpec(d, _det(6), 0.0)))
    ev = evaluate(s)
    assert ev.wait_mean[1] == pytest.approx((1 - p) * (b - d))
    assert ev.wait_var[1] == pytest.approx(p * (1 - p) * (b - d) ** 2)
    assert ev.idle_mean[1] == pytest.approx(p * d)
    assert ev.idle_var[1] == pytest.approx(p * (1 - p) * d * d)
    assert ev.total_wait_mean == pytest.approx((1 - p) * (b - d))


@pytest.mark.parametrize(("r", "d"), [(0.8, 3), (0.6, 0), (0.9, 7)])
def test_geometric_service_memoryless(r, d):
    # B ~ Geometric on {0, 1, ...}: P(B = n) = (1 - r) r^n, so
    # P(W_2 = 0) = 1 - r^(d+1), P(W_2 = j) = (1 - r) r^(d+j), E[W_2] = r^(d+1) / (1 - r),
    # E[W_2^2] = r^(d+1) (1 + r) / (1 - r)^2.
    n = np.arange(600)
    pmf = (1 - r) * r**n
    pmf[-1] += 1 - pmf.sum()
    res = evaluate_arrays(np.array([0, d]), np.vstack([pmf, pmf]), None, 10_000)
    mean = r ** (d + 1) / (1 - r)
    second = r ** (d + 1) * (1 + r) / (1 - r) ** 2
    assert res.wait_mean[1] == pytest.approx(mean, rel=1e-10)
    assert res.wait_var[1] == pytest.approx(second - mean**2, rel=1e-9)
    s = Schedule(10_000, (PatientSpec(0, tuple(pmf)), PatientSpec(d, tuple(pmf))))
    w = evaluate(s, wait_pmfs=True).wait_pmfs[1]
    assert w[0] == pytest.approx(1 - r ** (d + 1), rel=1e-12)
    j = np.arange(1, 40)
    np.testing.assert_allclose(w[1:40], (1 - r) * r ** (d + j), rtol=1e-9)
