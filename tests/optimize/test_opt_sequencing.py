"""Sequencing: the local search reaches the exhaustive optimum and beats the baselines."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.examples import example_clinic_model
from polyslot.optimize._exact import batch_metrics
from polyslot.optimize.sequencing import (
    bailey_welch,
    equal_spacing,
    grid_size,
    local_search,
    objective_of,
    pad_services,
)


def exhaustive(service, no_show, session_end, interval, weights):
    """Minimum over every patient order and every non-decreasing grid assignment."""
    k = service.shape[0]
    grid = grid_size(session_end, interval)
    combos = np.array(list(itertools.combinations_with_replacement(range(grid), k))) * interval
    best = np.inf
    for order in itertools.permutations(range(k)):
        o = list(order)
        m = batch_metrics(combos, service[o], no_show[o], session_end)
        obj = (
            weights["wait"] * m["wait_mean"]
            + weights["idle"] * m["total_idle_mean"]
            + weights["overtime"] * m["overtime_mean"]
        )
        best = min(best, float(obj.min()))
    return best


W1 = {"wait": 0.5, "idle": 0.0, "overtime": 0.5}
W2 = {"wait": 1.0, "idle": 0.3, "overtime": 1.5}


@pytest.mark.parametrize("weights", [W1, W2])
@pytest.mark.parametrize("k", [3, 4])
def test_identical_patients_reach_exhaustive_optimum(k, weights):
    pmf = np.array([0, 0.1, 0.3, 0.3, 0.2, 0.1])
    service = np.tile(pmf, (k, 1))
    no_show = np.full(k, 0.15)
    res = local_search(service, no_show, 10, 2, weights)
    assert res.objective == pytest.approx(exhaustive(service, no_show, 10, 2, weights), abs=1e-9)


@pytest.mark.parametrize("weights", [W1, W2])
def test_mixed_patients_reach_exhaustive_optimum(weights):
    service = pad_services([[0, 0.5, 0.5], [0, 0, 0.2, 0.3, 0.5], [0, 0, 0, 0, 0.5, 0.5], [0, 1.0]])
    no_show = np.array([0.1, 0.2, 0.0, 0.3])
    res = local_search(service, no_show, 10, 2, weights)
    assert res.objective == pytest.approx(exhaustive(service, no_show, 10, 2, weights), abs=1e-9)


def test_reported_objective_is_the_schedules_objective():
    service = pad_services([[0, 0.5, 0.5], [0, 0, 0.2, 0.3, 0.5], [0, 0, 0, 0, 0.5, 0.5]])
    no_show = np.array([0.1, 0.2, 0.0])
    res = local_search(service, no_show, 12, 1, W2)
    o = list(res.order)
    assert sorted(o) == [0, 1, 2]
    assert list(res.appointments) == sorted(res.appointments)
    assert res.objective == pytest.approx(
        objective_of(res.appointments, service[o], no_show[o], 12, W2), abs=1e-12
    )


def test_twenty_patient_session_beats_equal_spacing_and_bailey_welch():
    model = example_clinic_model()
    pmfs = pad_services([s.pmf for s in model.service])
    k = 20
    types = np.arange(k) % 3
    service, no_show = pmfs[types], np.array([0.08, 0.15, 0.25])[types]
    grid = grid_size(240, 10)
    res = local_search(service, no_show, 240, 10, W1)
    for base in (equal_spacing(k, grid), bailey_welch(k, grid)):
        assert res.objective <= objective_of(base * 10, service, no_show, 240, W1) + 1e-12
    assert max(res.appointments) < 240
    assert all(a % 10 == 0 for a in res.appointments)


def test_bounds_are_respected():
    service = np.tile([0, 0.2, 0.3, 0.5], (4, 1))
    res = local_search(
        service,
        np.zeros(4),
        12,
        1,
        W1,
        lower=[0, 0, 6, 6],
        upper=[5, 5, 11, 11],
        starts=[[0, 3, 6, 9]],
    )
    a = res.appointments
    assert a[0] <= 5 and a[1] <= 5 and a[2] >= 6 and a[3] >= 6


def test_baselines():
    assert equal_spacing(4, 8).tolist() == [0, 2, 4, 6]
    assert bailey_welch(4, 9).tolist() == [0, 0, 3, 6]
    assert grid_size(30, 5) == 6 and grid_size(31, 5) == 7


@settings(max_examples=20, deadline=None)
@given(
    k=st.integers(2, 4),
    seed=st.integers(0, 10_000),
    identical=st.booleans(),
    session_end=st.integers(4, 10),
    interval=st.integers(1, 2),
    weights=st.fixed_dictionaries(
        {
            "wait": st.floats(0, 1),
            "idle": st.floats(0, 1),
            "overtime": st.floats(0, 2),
        }
    ),
)
def test_random_small_instances_reach_exhaustive_optimum(
    k, seed, identical, session_end, interval, weights
):
    rng = np.random.default_rng(seed)
    service = rng.dirichlet(np.ones(int(rng.integers(3, 6))), size=k)
    if identical:
        service = np.tile(service[0], (k, 1))
    no_show = rng.choice([0.0, 0.1, 0.3], size=k)
    res = local_search(service, no_show, session_end, interval, weights)
    best = exhaustive(service, no_show, session_end, interval, weights)
    assert res.objective == pytest.approx(best, abs=1e-9)
