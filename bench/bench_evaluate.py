"""Benchmark of the exact schedule evaluator (prints figures; asserts nothing).

Standard case: K = 20 patients, L = 480 slots, service support 0..60 slots (lognormal, mean 20,
cv 0.5, cut at 60), no-show 0.1 for everyone, punctual, appointments every 24 slots.

Run: ``.venv/bin/python bench/bench_evaluate.py [--quick]``. Timings are the best of several
repeats (the machine is shared); warm-up / compilation is reported separately.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from polyslot.distributions import discretize, lognormal
from polyslot.evaluation import Evaluator, evaluate, evaluate_arrays, evaluate_batch, lindley
from polyslot.evaluation.prepare import horizon, new_state, prepare
from polyslot.schedule import PatientSpec, Schedule

K, L, GAP, P_NS = 20, 480, 24, 0.1


def standard_case():
    pmf = discretize(lognormal(20.0, 0.5), 1.0)[:61]
    pmf = pmf / pmf.sum()
    service = np.tile(pmf, (K, 1))
    no_show = np.full(K, P_NS)
    tau = (GAP * np.arange(K)).astype(np.int64)
    return tau, service, no_show


def best_time(fn, number: int, repeat: int = 9) -> float:
    """Best mean seconds per call over ``repeat`` runs of ``number`` calls."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def paired_best(fns: dict, number: int, rounds: int = 25) -> dict:
    """Best seconds per call of each function, measured in interleaved rounds (robust to the
    load of a shared machine changing between measurements)."""
    best = dict.fromkeys(fns, float("inf"))
    for fn in fns.values():
        fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / number)
    return best


# ---------------------------------------------------------------- baselines
def _baseline_py(windows, brev, D, sbuf, P):
    """Branch-free compiled kernel doing the same arithmetic as the evaluator's kernel.

    ``windows[k] = (lo, a, slo, shi, nlo, nhi, m)`` are recorded from a real evaluation: the
    same idle sums over ``[lo, a)``, the same copy into the service-start buffer, the same
    blocked convolution, with no bookkeeping, no moment algebra and no branches.
    """
    acc = 0.0
    for k in range(windows.shape[0]):
        lo, a, slo, shi, nlo, nhi, m = windows[k]
        row = D[k]
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        for x in range(lo, a):
            p = row[x]
            g = a - x
            s1 += p * g
            s2 += p * g * g
            s3 += p * x * g
        acc += s1 + s2 + s3
        dst = sbuf[P + slo : P + shi + 1]
        src = row[slo : shi + 1]
        for i in range(dst.shape[0]):
            dst[i] = src[i]
        nrow = D[k + 1]
        wrow = brev[k]
        x = nlo
        b1 = m - 1
        while x <= nhi:
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
            base = P + x - b1
            sv = sbuf[base : base + m + 7]
            for i in range(m):
                wi = wrow[i]
                a0 += wi * sv[i]
                a1 += wi * sv[i + 1]
                a2 += wi * sv[i + 2]
                a3 += wi * sv[i + 3]
                a4 += wi * sv[i + 4]
                a5 += wi * sv[i + 5]
                a6 += wi * sv[i + 6]
                a7 += wi * sv[i + 7]
            nrow[x] = a0
            nrow[x + 1] = a1
            nrow[x + 2] = a2
            nrow[x + 3] = a3
            nrow[x + 4] = a4
            nrow[x + 5] = a5
            nrow[x + 6] = a6
            nrow[x + 7] = a7
            x += 8
    return acc


def numpy_full_support(tau, service, no_show):
    """Plain numpy: every patient convolves the full 0..L support (no windowing)."""
    b = service * (1 - no_show)[:, None]
    b[:, 0] += no_show
    d = np.zeros(L + 1)
    d[0] = 1.0
    for k in range(K):
        s = d.copy()
        s[tau[k]] += s[: tau[k]].sum()
        s[: tau[k]] = 0.0
        d = np.convolve(s, b[k])[: L + 1]
    return d


# ---------------------------------------------------------------- SimPy Monte Carlo
def simpy_until_precise(tau, service, no_show, rel=0.01, seed=0, batch=500, max_reps=400_000):
    """Minimal SimPy single-doctor session, replicated until the 95% CI half-width of total
    waiting is ``rel`` of its mean. Returns (mean, half-width, replications)."""
    import simpy

    rng = np.random.default_rng(seed)
    cdf = np.cumsum(service, axis=1)
    totals: list[float] = []

    def one(env, doctor, t, b, out):
        yield env.timeout(t)
        arrived = env.now
        with doctor.request() as req:
            yield req
            out.append(env.now - arrived)
            yield env.timeout(b)

    def patients(env, doctor, comes, bs, out):
        # processes are created at time 0 in appointment order; FIFO resource = appointment order
        for k in range(K):
            if comes[k]:
                env.process(one(env, doctor, int(tau[k]), int(bs[k]), out))
        yield env.timeout(0)

    while True:
        for _ in range(batch):
            env = simpy.Environment()
            doctor = simpy.Resource(env, capacity=1)
            comes = rng.random(K) >= no_show
            bs = (rng.random(K)[:, None] > cdf).sum(axis=1)
            waits: list[float] = []
            env.process(patients(env, doctor, comes, bs, waits))
            env.run()
            totals.append(float(sum(waits)))
        arr = np.asarray(totals)
        half = 1.96 * arr.std(ddof=1) / np.sqrt(arr.size)
        if half <= rel * arr.mean() or arr.size >= max_reps:
            return float(arr.mean()), float(half), int(arr.size)


# ---------------------------------------------------------------- main
def cold_compile_seconds() -> float:
    """Compile time of the kernels in a fresh process with an empty numba cache."""
    code = (
        "import time, numpy as np\n"
        "t = time.perf_counter()\n"
        "from polyslot.evaluation import evaluate_arrays, evaluate_batch\n"
        "t1 = time.perf_counter()\n"
        "evaluate_arrays(np.array([0, 3]), np.array([[0.5, 0.5], [0.2, 0.8]]), None, 10)\n"
        "evaluate_batch(np.array([[0, 3]]), np.array([[0.5, 0.5], [0.2, 0.8]]), None, 10)\n"
        "print(time.perf_counter() - t1)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip SimPy and cold compile")
    args = ap.parse_args()
    tau, service, no_show = standard_case()
    print(f"numba kernel: {lindley.USE_NUMBA}; K={K}, L={L}, support 0..60, p={P_NS}, gap={GAP}")

    t0 = time.perf_counter()
    r = evaluate_arrays(tau, service, no_show, L)
    print(f"warm-up (first call, numba cache load or compile): {time.perf_counter() - t0:.3f} s")
    if not args.quick:
        print(f"cold compile of the kernels (empty cache): {cold_compile_seconds():.2f} s")
    print(
        f"result: total wait {r.total_wait_mean:.4f}, idle {r.total_idle_mean:.4f}, "
        f"overtime {r.overtime_mean:.4f} slots"
    )

    ev = Evaluator(service, no_show, L)
    t_ev = best_time(lambda: ev.evaluate(tau), 500)
    t_arr = best_time(lambda: evaluate_arrays(tau, service, no_show, L), 200)
    sched = Schedule(L, tuple(PatientSpec(int(t), tuple(service[0]), P_NS) for t in tau))
    t_sched = best_time(lambda: evaluate(sched), 100)
    rng = np.random.default_rng(0)
    cands = np.sort(np.clip(tau + rng.integers(-8, 9, (2000, K)), 0, L), axis=1)
    t_batch = best_time(lambda: evaluate_batch(cands, service, no_show, L), 1, 5) / len(cands)

    prep = prepare(service, no_show)
    H = horizon(tau, prep, L)
    st = new_state(K, H, 0, prep.brev.shape[1])
    kargs = (0, tau, *prep.kernel_args(), H, L, *st)
    run = lindley.core if lindley.USE_NUMBA else lindley.core_numpy
    t_core = best_time(lambda: run(*kargs), 500)
    stn = new_state(K, H, 0, prep.brev.shape[1])
    t_np = best_time(lambda: lindley.core_numpy(0, tau, *prep.kernel_args(), H, L, *stn), 50)
    t_full_np = best_time(lambda: numpy_full_support(tau, service, no_show), 50)

    # baseline: same windows, same arithmetic, branch-free
    D, LO, HI = st[0], st[1], st[2]
    windows = []
    fma = 0
    for k in range(K):
        slo = max(int(LO[k]), int(tau[k]))
        shi = min(max(int(HI[k]), int(tau[k])), H)
        m = int(prep.bhi[k] - prep.blo[k] + 1)
        nlo, nhi = slo + int(prep.blo[k]), min(shi + int(prep.bhi[k]), H)
        windows.append((int(LO[k]), int(tau[k]), slo, shi, nlo, nhi, m))
        fma += (nhi - nlo + 1) * m
    windows = np.array(windows, dtype=np.int64)
    if lindley.USE_NUMBA:
        base = lindley.numba.njit(fastmath=True)(_baseline_py)
        Db, sb = D.copy(), st[6].copy()
        P = prep.brev.shape[1]
        paired = paired_best(
            {  # interleaved: "batch" is 20 candidates per call
                "base": lambda: base(windows, prep.brev, Db, sb, P),
                "core": lambda: run(*kargs),
                "ev": lambda: ev.evaluate(tau),
                "arr": lambda: evaluate_arrays(tau, service, no_show, L),
                "batch": lambda: evaluate_batch(cands[:20], service, no_show, L),
            },
            200,
        )
        t_base, t_core, t_ev = paired["base"], paired["core"], paired["ev"]
        t_arr, t_batch = paired["arr"], paired["batch"] / 20
    else:
        t_base = float("nan")

    print("\nper full evaluation (standard case)")
    print(f"  Evaluator.evaluate        {t_ev * 1e6:8.1f} us  ({1 / t_ev:9,.0f} /s)")
    print(f"  kernel alone              {t_core * 1e6:8.1f} us  ({1 / t_core:9,.0f} /s)")
    print(f"  evaluate_batch (20/call)  {t_batch * 1e6:8.1f} us  ({1 / t_batch:9,.0f} /s)")
    print(f"  evaluate_arrays           {t_arr * 1e6:8.1f} us  (prepared arrays cached)")
    print(f"  evaluate(Schedule)        {t_sched * 1e6:8.1f} us")
    print(f"  numpy fallback kernel     {t_np * 1e6:8.1f} us")
    print(f"  numpy full-support pass   {t_full_np * 1e6:8.1f} us  (no windowing, for scale)")
    print(f"  branch-free baseline      {t_base * 1e6:8.1f} us  ({fma:,} multiply-adds)")
    print(f"  ratio kernel / baseline   {t_core / t_base:8.2f}  (interleaved measurement)")
    print(f"  ratio Evaluator / baseline{t_ev / t_base:8.2f}  (interleaved measurement)")

    print("\nincremental re-evaluation from patient k (Evaluator.evaluate_from;")
    print("ratio to Evaluator.evaluate measured interleaved)")
    for k in (0, 5, 10, 15, 19):
        new = tau.copy()
        new[k] += 1
        pair = [tau, new]
        i = [0]

        def step(k=k, pair=pair, i=i):
            i[0] ^= 1
            ev.evaluate_from(k, pair[i[0]])

        ev.evaluate(tau)
        pb = paired_best({"full": lambda: ev.evaluate(tau), "inc": step}, 200, 15)
        t_inc, t_full = pb["inc"], pb["full"]
        print(f"  k={k:2d}: {t_inc * 1e6:7.1f} us  ({t_inc / t_full:5.2f} of a full evaluation)")

    print("\nmany candidates sharing a prefix (Evaluator.evaluate_suffixes, 2,000 tails;")
    print("ratio to evaluate_batch of 2,000 full candidates, interleaved)")
    for k in (5, 10, 15):
        tails = np.sort(np.clip(tau[k:] + rng.integers(-8, 9, (2000, K - k)), tau[k - 1], L), 1)
        pb = paired_best(
            {
                "suf": lambda k=k, tails=tails: ev.evaluate_suffixes(k, tau, tails),
                "full": lambda: evaluate_batch(cands, service, no_show, L),
            },
            1,
            7,
        )
        t_suf, t_full = pb["suf"] / len(tails), pb["full"] / len(cands)
        print(
            f"  k={k:2d}: {t_suf * 1e6:7.1f} us per candidate ({t_suf / t_full:5.2f} of a full one)"
        )

    if not args.quick:
        t0 = time.perf_counter()
        mean, half, reps = simpy_until_precise(tau, service, no_show)
        t_sim = time.perf_counter() - t0
        print("\nSimPy Monte Carlo until the 95% CI half-width of total wait is 1% of its mean")
        print(f"  {reps:,} replications, {t_sim:.2f} s: total wait {mean:.3f} +- {half:.3f}")
        print(f"  exact total wait {r.total_wait_mean:.3f}")
        print(f"  time ratio SimPy / exact evaluation: {t_sim / t_ev:,.0f}x")


if __name__ == "__main__":
    main()
