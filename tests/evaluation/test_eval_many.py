"""evaluate_many / evaluate_day and the cached preparation: same numbers as evaluate()."""

from __future__ import annotations

import numpy as np
import pytest

from polyslot.errors import InputError
from polyslot.evaluation import (
    evaluate,
    evaluate_day,
    evaluate_many,
    pooled_wait_quantile,
    prepcache,
)
from polyslot.schedule import ArrivalOffsets, PatientSpec, Schedule


def _sessions(seed: int = 0, n: int = 4) -> list[Schedule]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        K = int(rng.integers(4, 12))
        pmfs = [tuple(rng.dirichlet(np.ones(int(rng.integers(5, 25))))) for _ in range(3)]
        late = ArrivalOffsets((-6, -2, 0, 3, 9), tuple(rng.dirichlet(np.ones(5))))
        pats = tuple(
            PatientSpec(
                int(t),
                pmfs[k % 3],
                float(rng.uniform(0, 0.3)),
                late if k % 2 else None,
            )
            for k, t in enumerate(np.sort(rng.integers(0, 90, K)))
        )
        out.append(Schedule(100, pats, doctor_start=int(rng.integers(0, 5))))
    return out


def test_many_equals_evaluate_and_cdfs_are_exact() -> None:
    scheds = _sessions()
    for margin in (None, 0, 7, 60, -1):
        evs = evaluate_many(scheds, cdf_margin=margin)
        for s, ev in zip(scheds, evs, strict=True):
            ref = evaluate(s, wait_pmfs=True)
            assert np.array_equal(ev.wait_mean, ref.wait_mean)
            assert np.array_equal(ev.idle_var, ref.idle_var)
            assert ev.overtime_mean == ref.overtime_mean
            if margin is None:
                assert ev.wait_cdf is None
                continue
            for cdf, pmf in zip(ev.wait_cdf, ref.wait_pmfs, strict=True):
                full = np.cumsum(pmf)
                n = min(len(cdf), len(full))
                np.testing.assert_allclose(cdf[:n], full[:n], atol=1e-12)
                if len(cdf) > len(full):  # complete: stays at the total mass
                    assert cdf[-1] == pytest.approx(full[-1], abs=1e-12)


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_day_quantile_is_the_pooled_quantile_of_the_full_pmfs(q) -> None:
    scheds = _sessions(3, 5)
    evs, value = evaluate_day(scheds, q)
    full = [evaluate(s, wait_pmfs=True) for s in scheds]
    size = max(len(p) for e in full for p in e.wait_pmfs)
    mix = np.zeros(size)
    for e in full:
        for w, pmf in zip(1 - e.no_show, e.wait_pmfs, strict=True):
            mix[: len(pmf)] += w * pmf
    assert value == float(np.searchsorted(np.cumsum(mix / mix.sum()), q - 1e-12))
    assert pooled_wait_quantile(evaluate_many(scheds, cdf_margin=-1), q) == value
    for s, e in zip(scheds, full, strict=True):  # one session: exact_kpis.p90_wait
        assert evaluate_day([s])[1] == p90_wait(e)


def test_quantile_needs_cdfs_and_says_when_out_of_range() -> None:
    scheds = _sessions(5, 2)
    with pytest.raises(InputError):
        pooled_wait_quantile(evaluate_many(scheds), 0.9)
    assert pooled_wait_quantile(evaluate_many(scheds, cdf_margin=0), 0.999999) is None
    assert evaluate_day([]) == ([], 0.0)


def test_preparation_cache_hits_by_identity_and_content_and_stays_exact() -> None:
    prepcache.clear_cache()
    base = _sessions(7, 1)[0]
    copy = Schedule(
        base.session_end,
        tuple(
            PatientSpec(p.appointment, tuple(p.service), p.no_show, p.punctuality)
            for p in base.patients
        ),
        doctor_start=base.doctor_start,
    )
    assert prepcache.schedule_key(base) == prepcache.schedule_key(copy)
    a, b = evaluate(base), evaluate(copy)
    assert np.array_equal(a.wait_mean, b.wait_mean)
    assert evaluate(base).total_wait_mean == a.total_wait_mean  # again: from the cache
    other = Schedule(base.session_end, tuple(
        PatientSpec(p.appointment, p.service, min(1.0, p.no_show + 0.1), p.punctuality)
        for p in base.patients), doctor_start=base.doctor_start)  # fmt: skip
    assert prepcache.schedule_key(other) != prepcache.schedule_key(base)
    assert evaluate(other).total_wait_mean != a.total_wait_mean
    listed = Schedule(10, (PatientSpec(0, [0.5, 0.5]),))  # a list is not cached, still works
    assert prepcache.schedule_key(listed) is None
    assert evaluate(listed).n_patients == 1
    bad = Schedule(10, (PatientSpec(0, (0.5, 0.6)),))
    with pytest.raises(InputError):
        evaluate(bad)
    with pytest.raises(InputError):  # not cached by the failure
        evaluate(bad)


def test_day_reuses_unchanged_sessions_and_stays_exact() -> None:
    from polyslot.evaluation import lindley

    scheds = _sessions(11, 4)
    evs1, q1 = evaluate_day(scheds)
    moved = scheds[2]
    pats = list(moved.patients)
    pats[-1] = PatientSpec(pats[-1].appointment + 3, pats[-1].service, pats[-1].no_show,
                           pats[-1].punctuality)  # fmt: skip
    edited = [*scheds[:2], Schedule(moved.session_end, tuple(pats), moved.doctor_start),
              scheds[3]]  # fmt: skip
    evs2, q2 = evaluate_day(edited)
    fresh = evaluate_many(edited, cdf_margin=-1)
    assert q2 == pooled_wait_quantile(fresh, 0.9)
    for a, b in zip(evs2, fresh, strict=True):
        assert np.array_equal(a.wait_mean, b.wait_mean)
    if lindley.USE_NUMBA:
        assert [a is b for a, b in zip(evs1, evs2, strict=True)] == [True, True, False, True]
        with pytest.raises(ValueError):
            evs2[0].wait_mean[0] = 1.0  # shared results are read-only


def p90_wait(ev) -> float:
    """Reference: 90th percentile (slots) of the wait of a random patient who comes, read off
    the full wait PMFs (``evaluate(..., wait_pmfs=True)``)."""
    weights = 1.0 - np.asarray(ev.no_show, float)
    if weights.sum() <= 0:
        return 0.0
    size = max(len(p) for p in ev.wait_pmfs)
    mix = np.zeros(size)
    for w, pmf in zip(weights, ev.wait_pmfs, strict=True):
        mix[: len(pmf)] += w * np.asarray(pmf, float)
    cdf = np.cumsum(mix / mix.sum())
    return float(np.searchsorted(cdf, 0.9 - 1e-12))
