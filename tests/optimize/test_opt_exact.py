"""The optimizer's exact kernel against brute-force enumeration (and the evaluator when present)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.optimize._exact import batch_metrics
from polyslot.optimize.sequencing import _Incremental, _neighbours, objective_of


def brute(appts, service, no_show, session_end, doctor_start=0):
    """Enumerate every show pattern and service time: waits, overtime, idle incl. end."""
    k_count, s_len = service.shape
    waits = np.zeros(k_count)
    ot = idle = 0.0
    for shows in itertools.product([0, 1], repeat=k_count):
        ps = np.prod([no_show[k] if s == 0 else 1 - no_show[k] for k, s in enumerate(shows)])
        if ps == 0:
            continue
        for bs in itertools.product(range(s_len), repeat=k_count):
            pb = np.prod([service[k][b] for k, b in enumerate(bs)])
            if pb == 0:
                continue
            pr = ps * pb
            t, work = doctor_start, 0
            for k in range(k_count):
                start = max(t, appts[k])
                waits[k] += pr * (start - appts[k])
                dur = bs[k] * shows[k]
                work += dur
                t = start + dur
            ot += pr * max(t - session_end, 0)
            idle += pr * (max(t, session_end) - doctor_start - work)
    return waits, ot, idle


@st.composite
def instances(draw):
    k = draw(st.integers(1, 4))
    s_len = draw(st.integers(2, 4))
    raw = np.array(
        draw(
            st.lists(
                st.lists(st.integers(0, 5), min_size=s_len, max_size=s_len), min_size=k, max_size=k
            )
        ),
        dtype=float,
    )
    raw[:, -1] += 1
    service = raw / raw.sum(axis=1, keepdims=True)
    no_show = np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 0.5]), min_size=k, max_size=k)))
    appts = np.sort(np.array(draw(st.lists(st.integers(0, 6), min_size=k, max_size=k))))
    t = draw(st.integers(1, 8))
    d = draw(st.integers(0, 2))
    return appts, service, no_show, t, d


@settings(max_examples=40, deadline=None)
@given(instances())
def test_kernel_matches_brute_force(inst):
    appts, service, no_show, t, d = inst
    waits, ot, idle = brute(appts, service, no_show, t, d)
    m = batch_metrics(appts[None, :], service, no_show, t, d)
    assert np.allclose(m["wait"][0], waits, atol=1e-10)
    assert m["overtime_mean"][0] == pytest.approx(ot, abs=1e-10)
    assert m["total_idle_mean"][0] == pytest.approx(idle, abs=1e-10)


def test_batch_rows_equal_single_rows_long_pmfs():
    rng = np.random.default_rng(3)
    service = rng.dirichlet(np.ones(80), size=6)  # long PMFs
    no_show = rng.uniform(0, 0.3, 6)
    appts = np.sort(rng.integers(0, 200, size=(5, 6)), axis=1)
    batch = batch_metrics(appts, service, no_show, 240)
    for i in range(5):
        one = batch_metrics(appts[i][None, :], service, no_show, 240)
        assert np.allclose(one["wait"][0], batch["wait"][i], atol=1e-9)
        assert one["overtime_mean"][0] == pytest.approx(batch["overtime_mean"][i], abs=1e-9)


def test_incremental_neighbours_equal_full_objective():
    """Every neighbour (block shifts and swaps) scored from the cached prefix = a full run."""
    rng = np.random.default_rng(4)
    service = rng.dirichlet(np.ones(10), size=5)
    no_show = np.array([0.0, 0.1, 0.2, 0.1, 0.3])
    w = {"wait": 0.4, "idle": 0.3, "overtime": 0.3}
    inc = _Incremental(service, no_show, 20, 2, 1, w)
    order, g = np.array([2, 0, 1, 4, 3]), np.array([0, 1, 1, 4, 7])
    cur = inc.set_current(order, g)
    assert cur == pytest.approx(objective_of(g * 2, service[order], no_show[order], 20, w, 1))
    lo, hi = np.zeros(5, np.int64), np.full(5, 9, np.int64)
    orders, grids = _neighbours(order, g, lo, hi, np.ones((5, 5), bool), True)
    assert len(np.unique([o.tobytes() for o in orders])) > 1
    objs = inc.evaluate(orders, grids)
    for o, gg, val in zip(orders, grids, objs, strict=True):
        full = objective_of(gg * 2, service[o], no_show[o], 20, w, 1)
        assert val == pytest.approx(full, abs=1e-10)


def test_agrees_with_package_evaluator_when_present():
    evaluation = pytest.importorskip("polyslot.evaluation")
    if not hasattr(evaluation, "evaluate_arrays"):
        pytest.skip("evaluator API not available yet")
    from polyslot.schedule import PatientSpec, Schedule

    rng = np.random.default_rng(5)
    service = rng.dirichlet(np.ones(6), size=4)
    no_show = np.array([0.0, 0.2, 0.1, 0.3])
    appts = np.array([0, 2, 5, 7])
    sched = Schedule(
        10,
        tuple(
            PatientSpec(int(a), tuple(service[k]), float(no_show[k])) for k, a in enumerate(appts)
        ),
    )
    ev = evaluation.evaluate(sched)
    m = batch_metrics(appts[None, :], service, no_show, 10)
    assert np.allclose(np.asarray(ev.wait_mean), m["wait"][0], atol=1e-9)
    assert ev.overtime_mean == pytest.approx(m["overtime_mean"][0], abs=1e-9)
