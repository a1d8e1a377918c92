"""The exact evaluator against brute-force enumeration of every outcome (small instances)."""

from __future__ import annotations

import numpy as np
import pytest
from eval_bruteforce import enumerate_session, random_instance

from polyslot.evaluation import evaluate, evaluate_arrays, evaluate_batch, lindley
from polyslot.evaluation.prepare import horizon, new_state, prepare
from polyslot.schedule import ArrivalOffsets, PatientSpec, Schedule

KEYS = ("wait_mean", "wait_var", "idle_mean", "idle_var")


def _schedule(tau, service, p, L, ds, offsets):
    pats = []
    for k in range(len(tau)):
        punct = None
        if offsets is not None and offsets[k] is not None:
            punct = ArrivalOffsets(tuple(int(o) for o in offsets[k][0]), tuple(offsets[k][1]))
        pats.append(PatientSpec(int(tau[k]), tuple(service[k]), float(p[k]), punct))
    return Schedule(session_end=L, patients=tuple(pats), doctor_start=ds)


@pytest.mark.parametrize("unpunctual", [False, True])
def test_evaluate_matches_enumeration(unpunctual):
    rng = np.random.default_rng(11 + unpunctual)
    for _ in range(40):
        tau, service, p, L, ds, offs = random_instance(
            rng, max_k=3 if unpunctual else 4, unpunctual=unpunctual
        )
        bf = enumerate_session(tau, service, p, L, ds, offs)
        ev = evaluate(_schedule(tau, service, p, L, ds, offs), wait_pmfs=True, envelope=True)
        for key in KEYS:
            np.testing.assert_allclose(getattr(ev, key), bf[key], atol=1e-10)
        for key in ("overtime_mean", "overtime_var", "idle_end_mean", "idle_end_var"):
            assert getattr(ev, key) == pytest.approx(bf[key], abs=1e-10), key
        assert ev.completion_mean == pytest.approx(bf["completion_mean"], abs=1e-10)
        assert ev.total_wait_mean == pytest.approx(float(np.dot(1 - p, bf["wait_mean"])))
        for got, want in zip(ev.wait_pmfs, bf["wait_pmfs"], strict=True):
            n = max(len(got), len(want))
            np.testing.assert_allclose(np.pad(got, (0, n - len(got))),
                                       np.pad(want, (0, n - len(want))), atol=1e-12)  # fmt: skip
        env = ev.envelope
        np.testing.assert_allclose(env.remaining_work_mean, bf["remaining_work_mean"], atol=1e-10)
        np.testing.assert_allclose(env.remaining_work_var, bf["remaining_work_var"], atol=1e-9)
        np.testing.assert_allclose(env.running_idle_mean, bf["running_idle_mean"], atol=1e-10)


@pytest.mark.parametrize("unpunctual", [False, True])
def test_python_numpy_and_compiled_kernels_agree(unpunctual):
    rng = np.random.default_rng(5)
    for _ in range(40):
        tau, service, p, L, ds, offs = random_instance(rng, max_k=6, unpunctual=unpunctual)
        prep = prepare(service, p, offs)
        H = horizon(tau, prep, L)
        outs = []
        kernels = [lindley._core_py, lindley.core_numpy]
        if lindley.core is not None:
            kernels.append(lindley.core)
        for fn in kernels:
            st = new_state(len(tau), H, ds, prep.brev.shape[1])
            fn(0, tau, *prep.kernel_args(), H, L, *st)
            outs.append((st[-2].copy(), st[-1].copy()))
        for pat, sc in outs[1:]:
            np.testing.assert_allclose(pat, outs[0][0], atol=1e-10)
            np.testing.assert_allclose(sc[:6], outs[0][1][:6], atol=1e-10)


def test_array_and_batch_api_match_enumeration():
    rng = np.random.default_rng(3)
    tau, service, p, L, ds, _ = random_instance(rng, max_k=3)
    rows = np.array([tau, np.sort(rng.integers(0, 8, len(tau))), np.zeros(len(tau), int)])
    got = evaluate_batch(rows, service, p, L, ds)
    for n, row in enumerate(rows):
        bf = enumerate_session(row, service, p, L, ds)
        arr = evaluate_arrays(row, service, p, L, ds)
        tw = float(np.dot(1 - p, bf["wait_mean"]))
        ti = float(bf["idle_mean"].sum() + bf["idle_end_mean"])
        assert arr.total_wait_mean == pytest.approx(tw, abs=1e-10)
        assert arr.total_idle_mean == pytest.approx(ti, abs=1e-10)
        assert got["total_wait_mean"][n] == pytest.approx(tw, abs=1e-10)
        assert got["total_idle_mean"][n] == pytest.approx(ti, abs=1e-10)
        assert got["overtime_mean"][n] == pytest.approx(bf["overtime_mean"], abs=1e-10)
        assert got["idle_end_mean"][n] == pytest.approx(bf["idle_end_mean"], abs=1e-10)
        assert got["completion_mean"][n] == pytest.approx(bf["completion_mean"], abs=1e-10)
        np.testing.assert_allclose(arr.wait_var, bf["wait_var"], atol=1e-10)
