"""The compiled evaluator gives the same bits in every process.

A process that compiles the numba kernel afresh and one that loads it from numba's on-disk cache
(with another hash seed) must print identical results, down to the last bit. With ``fastmath``
on the kernel they did not: LLVM ordered the vectorised sums differently in the two (the run's
report.html then differed from run to run in the sensitivity figures).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from polyslot.evaluation import lindley

pytestmark = pytest.mark.skipif(not lindley.USE_NUMBA, reason="numba kernel not in use")

# 40 seeded random sessions: unpunctual patients (the idle sums run over many offsets),
# no-shows, sessions that overrun, so every reduction of the kernel contributes. Prints every
# float with repr (before the fix, about 60 of these ~1650 numbers differed in the last bit).
SCRIPT = """
import numpy as np
from polyslot.distributions import discretize, lognormal
from polyslot.evaluation import Evaluator, evaluate_arrays
rng = np.random.default_rng(20261130)
for n in range(40):
    K = int(rng.integers(4, 22))
    pmf = discretize(lognormal(float(rng.uniform(8, 30)), float(rng.uniform(0.2, 0.9))), 1.0)[:90]
    service = np.tile(pmf / pmf.sum(), (K, 1))
    no_show = rng.uniform(0.0, 0.3, K)
    offsets = []
    for _ in range(K):
        w = int(rng.integers(1, 30))
        p = rng.uniform(0.1, 1.0, w)
        offsets.append((np.arange(w) - int(rng.integers(0, w)), p / p.sum()))
    tau = np.cumsum(rng.integers(5, 30, K)).astype(np.int64)
    L = int(tau[-1] * 0.9) + 1
    r = evaluate_arrays(tau, service, no_show, L, offsets=offsets)
    b = Evaluator(service, no_show, L, offsets=offsets).evaluate(tau)
    for x in (*r[:8], *r[8], *r[10], *b[:8]):
        print(repr(float(x)))
"""


def _run(cache: str, hash_seed: str) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_fresh_compilation_and_cache_give_identical_bits(tmp_path):
    fresh = _run(str(tmp_path), "1")  # empty cache directory: compiles the kernel
    assert any(tmp_path.rglob("*.nbi")), "numba wrote no cache"
    cached = _run(str(tmp_path), "2")  # loads the compiled kernel from the cache
    assert len(fresh.splitlines()) > 1000
    assert fresh == cached
