"""Array, batch and incremental APIs: growth of the horizon, validation, numpy fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from polyslot.errors import InputError
from polyslot.evaluation import Evaluator, evaluate, evaluate_arrays, evaluate_batch
from polyslot.schedule import parse_schedule


def _case(K=6, S=12, seed=0):
    rng = np.random.default_rng(seed)
    service = rng.random((K, S)) ** 2
    service /= service.sum(axis=1, keepdims=True)
    return service, rng.random(K) * 0.3


def test_evaluator_grows_horizon_for_late_appointments():
    service, p = _case()
    ev = Evaluator(service, p, 30)
    small = np.arange(6, dtype=np.int64) * 4
    late = np.array([0, 10, 25, 40, 55, 70], dtype=np.int64)  # beyond the session end
    r1 = ev.evaluate(small)
    r2 = ev.update(late)
    r3 = ev.evaluate_from(3, small)
    for got, arr in ((r1, small), (r2, late), (r3, small)):
        ref = evaluate_arrays(arr, service, p, 30)
        np.testing.assert_allclose(got.wait_mean, ref.wait_mean, atol=1e-12)
        assert got.overtime_mean == pytest.approx(ref.overtime_mean, abs=1e-12)
    assert r2.idle_end_mean == 0.0 and r2.overtime_mean > 0


def test_batch_handles_rows_with_different_horizons():
    service, p = _case()
    rows = np.array([[0, 0, 5, 9, 12, 20], [0, 10, 25, 40, 55, 70], [3, 3, 3, 3, 3, 3]])
    got = evaluate_batch(rows, service, p, 30, 2)
    for n, row in enumerate(rows):
        ref = evaluate_arrays(row, service, p, 30, 2)
        assert got["total_wait_mean"][n] == pytest.approx(ref.total_wait_mean, abs=1e-12)
        assert got["overtime_var"][n] == pytest.approx(ref.overtime_var, abs=1e-10)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, p: evaluate_arrays([0, -1, 2, 3, 4, 5], s, p, 30), "appointments"),
        (lambda s, p: evaluate_arrays([0, 1.5, 2, 3, 4, 5], s, p, 30), "appointments"),
        (lambda s, p: evaluate_arrays(np.arange(5), s, p, 30), "service"),
        (lambda s, p: evaluate_arrays(np.arange(6), s * 2, p, 30), "service"),
        (lambda s, p: evaluate_arrays(np.arange(6), s, p + 1, 30), "no_show"),
        (lambda s, p: evaluate_arrays(np.arange(6), s, p, -3), "session_end"),
        (lambda s, p: evaluate_batch(np.zeros((2, 4), int), s, p, 30), "appointments"),
        (lambda s, p: Evaluator(s, p, 30).evaluate(np.arange(4)), "appointments"),
    ],
)
def test_bad_arrays_raise_input_error(call, field):
    service, p = _case()
    with pytest.raises(InputError, match=field):
        call(service, p)


def test_numpy_fallback_end_to_end():
    data = {
        "session_end": 40,
        "doctor_start": 4,
        "patients": [
            {"appointment": 0, "service": {"pmf": [0.1, 0.2, 0.3, 0.4]}, "no_show": 0.2},
            {"appointment": 2, "service": {"gamma": {"mean": 6.0, "cv": 0.7}},
             "punctuality": {"offsets": [-3, 0, 2], "pmf": [0.3, 0.5, 0.2]}},
            {"appointment": 9, "service": {"deterministic": 5}, "no_show": 0.5},
        ],
    }  # fmt: skip
    code = (
        "import json, sys\n"
        "from polyslot.evaluation import evaluate, lindley\n"
        "from polyslot.schedule import parse_schedule\n"
        "assert not lindley.USE_NUMBA\n"
        "d = json.loads(sys.argv[1])\n"
        "print(json.dumps(evaluate(parse_schedule(d), envelope=True).to_dict()))\n"
    )
    env = {**os.environ, "POLYSLOT_NO_NUMBA": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(data)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    fallback = json.loads(out.stdout)
    fast = evaluate(parse_schedule(data), envelope=True).to_dict()
    for a, b in zip(fallback["patients"], fast["patients"], strict=True):
        for key in a:
            assert a[key] == pytest.approx(b[key], abs=1e-10)
    for key in ("overtime_mean", "total_wait_mean", "total_idle_mean", "utilization"):
        assert fallback[key] == pytest.approx(fast[key], abs=1e-10)
    np.testing.assert_allclose(
        fallback["envelope"]["remaining_work_var"], fast["envelope"]["remaining_work_var"],
        atol=1e-10,
    )  # fmt: skip


def test_evaluator_from_schedule_matches_evaluate():
    data = {
        "session_end": 50,
        "doctor_start": 6,
        "patients": [
            {"appointment": 0, "service": {"lognormal": {"mean": 8.0, "cv": 0.6}}, "no_show": 0.1},
            {"appointment": 5, "service": {"gamma": {"mean": 9.0, "cv": 0.4}},
             "punctuality": {"offsets": [-4, 0, 6], "pmf": [0.25, 0.5, 0.25]}},
            {"appointment": 5, "service": {"pmf": [0.2, 0.3, 0.5]}, "no_show": 0.3},
            {"appointment": 30, "service": {"deterministic": 12}},
        ],
    }  # fmt: skip
    sched = parse_schedule(data)
    ref = evaluate(sched)
    ev = Evaluator.from_schedule(sched)
    got = ev.evaluate(sched.appointments)
    np.testing.assert_allclose(got.wait_mean, ref.wait_mean, atol=1e-12)
    np.testing.assert_allclose(got.idle_var, ref.idle_var, atol=1e-12)
    assert got.total_wait_mean == pytest.approx(ref.total_wait_mean, abs=1e-12)
    assert got.idle_before_mean == pytest.approx(ref.total_idle_mean, abs=1e-12)
    assert got.total_idle_mean == pytest.approx(ref.session_idle_mean, abs=1e-12)
    assert ref.to_dict()["total_idle_mean"] == pytest.approx(ref.total_idle_mean)


def test_batch_threads_give_identical_results():
    service, p = _case()
    rng = np.random.default_rng(9)
    rows = np.sort(rng.integers(0, 40, (37, 6)), axis=1)
    one = evaluate_batch(rows, service, p, 30, per_patient=True)
    two = evaluate_batch(rows, service, p, 30, workers=3, per_patient=True)
    for key, value in one.items():
        np.testing.assert_array_equal(value, two[key])
    ref = evaluate_arrays(rows[5], service, p, 30)
    np.testing.assert_allclose(one["wait_mean"][5], ref.wait_mean, atol=1e-12)
    np.testing.assert_allclose(one["idle_var"][5], ref.idle_var, atol=1e-12)


def test_patients_frame_and_horizon_guard():
    sched = parse_schedule(
        {"session_end": 20, "patients": [{"appointment": 0, "service": {"pmf": [0.5, 0.5]}}]}
    )
    frame = evaluate(sched).patients_frame()
    assert list(frame["appointment"]) == [0] and frame["wait_mean"].iloc[0] == 0.0
    service, p = _case()
    with pytest.raises(InputError, match="horizon"):
        evaluate_arrays(np.array([0, 1, 2, 3, 4, 10**9]), service, p, 30)


@pytest.mark.parametrize("k", [0, 2, 5, 6])
def test_evaluate_suffixes_equals_batch(k):
    service, p = _case()
    rng = np.random.default_rng(k)
    base = np.sort(rng.integers(0, 30, 6))
    tails = np.sort(rng.integers(base[k - 1] if k else 0, 45, (9, 6 - k)), axis=1)
    ev = Evaluator(service, p, 30, 1)
    ev.evaluate(np.arange(6, dtype=np.int64))  # a different prefix: must restart correctly
    got = ev.evaluate_suffixes(k, base, tails, per_patient=True)
    full = np.hstack([np.tile(base[:k], (9, 1)), tails])
    ref = evaluate_batch(full, service, p, 30, 1, per_patient=True)
    for key, value in ref.items():
        np.testing.assert_allclose(got[key], value, atol=1e-12)
    last = ev.evaluate_from(k, full[-1])
    assert last.total_wait_mean == pytest.approx(ref["total_wait_mean"][-1], abs=1e-12)
