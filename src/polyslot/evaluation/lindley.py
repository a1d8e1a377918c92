"""The exact discrete-time Lindley recursion (De Vuyst, Bruneel & Fiems), the hot kernel.

Everything here works on plain arrays, in absolute slots. Patient ``k`` (0-based here) has
appointment ``tau[k]``, an arrival offset PMF ``opmf[k, j] = P(offset = olo[k] + j)``, and an
effective consultation PMF ``P(B_k = b)`` that already mixes in the no-show (``p_k`` at 0),
passed reversed over its support as ``brev[k, i] = P(B_k = bhi[k] - i)``.
With ``D_{-1} = doctor_start`` (doctor arrival) and ``A_k = tau_k + offset_k``:

    S_k = max(A_k, D_{k-1}),  D_k = S_k + B_k,
    W_k = (D_{k-1} - A_k)^+   (wait),   I_k = (A_k - D_{k-1})^+   (idle before k).

Only the probabilities that can still matter are computed (the paper's insight): the PMF of
``D_k`` is needed only below the absolute horizon ``H = max(L, max_k(tau_k + max offset_k)) - 1``,
because every later quantity that needs a PMF (idle before a later patient, idle at the session
end) only looks at values below an arrival time or below ``L``. Means and variances are carried
exactly through the identities ``W - I = D - A``, ``W * I = 0`` and ``S = D + I``:

    E[W] = E[D] - E[A] + E[I],   Var W = Var D + Var A - Var I - 2 E[I] E[W],
    E[S] = E[D] + E[I],          Var S = Var D + Var I + 2 Cov(D, I),

so nothing is truncated: probability mass above ``H`` is simply never needed. Overtime and
idle at the end are the wait and idle of a punctual virtual patient at ``L``.

The kernel ``core`` is written once in plain Python and compiled with numba when available;
:func:`core_numpy` is a numpy implementation of the same algorithm (the fallback).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "HAVE_NUMBA",
    "USE_NUMBA",
    "core",
    "core_numpy",
    "end_moments",
    "N_PAT",
    "N_SC",
]

N_PAT = 4  # rows of ``pat``: wait_mean, wait_var, idle_mean, idle_var
N_SC = 6  # entries of ``sc`` the kernel fills: completion mean/var, overtime mean/var,
# end idle mean/var (the driver adds total wait and idle before patients at 6 and 7)

try:  # pragma: no cover - depends on the environment
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

USE_NUMBA = HAVE_NUMBA and os.environ.get("POLYSLOT_NO_NUMBA", "") not in ("1", "true", "yes")


def _core_py(  # noqa: PLR0912, PLR0913, PLR0915 - one flat hot loop on purpose
    k0, tau, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, H, L,
    D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
):  # fmt: skip
    """Run the recursion from patient ``k0`` on (rows ``0..k0`` of ``D`` must be filled).

    Row ``k`` of ``D`` (absolute slots ``0..H``) holds the PMF of the departure of the
    ``k``-th patient counted from 1 (row 0 = the doctor's arrival) on ``[LO[k], HI[k]]``;
    ``ED``/``VD`` hold its exact mean and variance. Fills ``pat[:, k0:]`` and ``sc``.
    ``brev[k, i] = P(B_k = bhi[k] - i)`` is the reversed service PMF; ``D`` rows have 8 spare
    slots after ``H``; ``sbuf`` holds S at offset ``P = brev.shape[1]`` with zero guards.
    """
    K = tau.shape[0]
    P = brev.shape[1]
    acc = np.empty((4, opmf.shape[1]))  # per-arrival sums of the idle moments
    for k in range(k0, K):
        row = D[k]
        lo = LO[k]
        hi = HI[k]
        ed = ED[k]
        vd = VD[k]
        amin = tau[k] + olo[k]
        nof = olen[k]
        # ---- idle before patient k: I = (A - D)^+ needs D only below max(A)
        # For each arrival a = amin + j: sums over x in [lo, min(a - 1, hi)] of p = P(D = x)
        # times g = a - x (acc1), g^2 (acc2) and (x - E[D]) g (acc3), each summed in order of x.
        # The loop over x is outside, the one over j inside: an element-wise update that
        # vectorises without reordering any sum (no fastmath needed, see below).
        ei = 0.0
        ei2 = 0.0
        cov = 0.0
        itop = min(amin + nof - 2, hi)
        if itop >= lo:
            acc1 = acc[0]
            acc2 = acc[1]
            acc3 = acc[2]
            av = acc[3]
            for j in range(nof):
                acc1[j] = 0.0
                acc2[j] = 0.0
                acc3[j] = 0.0
                av[j] = float(amin + j)
            for x in range(lo, itop + 1):
                p = row[x]
                xf = float(x)
                pe = p * (xf - ed)
                j0 = max(x - amin + 1, 0)  # the arrivals after x: a - 1 >= x
                u1 = acc1[j0:nof]  # views indexed from 0: a plain loop LLVM vectorises
                u2 = acc2[j0:nof]
                u3 = acc3[j0:nof]
                ua = av[j0:nof]
                for j in range(nof - j0):
                    g = ua[j] - xf
                    pg = p * g
                    u1[j] += pg
                    u2[j] += pg * g
                    u3[j] += pe * g
            for j in range(nof):
                q = opmf[k, j]
                if q == 0.0:
                    continue
                ei += q * acc1[j]
                ei2 += q * acc2[j]
                cov += q * acc3[j]
        vi = max(ei2 - ei * ei, 0.0)
        ea = tau[k] + omean[k]
        ew = max(ed - ea + ei, 0.0)
        if TOP[k] <= amin:  # nobody can still be in service: no wait, exactly
            ew = 0.0
        pat[0, k] = ew
        pat[1, k] = 0.0 if ew == 0.0 else max(vd + ovar[k] - vi - 2.0 * ei * ew, 0.0)
        pat[2, k] = ei
        pat[3, k] = vi
        es = ed + ei
        vs = max(vd + vi + 2.0 * cov, 0.0)
        # ---- start of service S = max(A, D): PMF on [slo, shi]
        slo = max(lo, amin)
        shi = min(max(hi, amin + nof - 1), H)
        if nof == 1:
            mass = 0.0
            top = min(slo - 1, hi)
            if top >= lo:
                seg = row[lo : top + 1]
                for i in range(seg.shape[0]):
                    mass += seg[i]
            if slo <= shi:
                dst = sbuf[P + slo : P + shi + 1]
                n_in = max(min(hi, shi) - slo + 1, 0)
                src = row[slo : slo + n_in]
                for i in range(n_in):
                    dst[i] = src[i]
                for i in range(n_in, dst.shape[0]):
                    dst[i] = 0.0
                dst[0] += mass
        else:
            fd = 0.0
            for x in range(lo, min(slo - 1, hi) + 1):
                fd += row[x]
            fa = 0.0
            for j in range(min(slo - amin, nof)):
                fa += opmf[k, j]
            prev = 0.0
            for x in range(slo, shi + 1):
                if x <= hi:
                    fd += row[x]
                j = x - amin
                if j < nof:
                    fa += opmf[k, j]
                else:
                    fa = 1.0
                f = fd * fa
                sbuf[P + x] = f - prev
                prev = f
        # ---- departure D_k = S + B on [nlo, nhi]: out[x] = sum over i (in order) of
        # P(B = b1 - i) * P(S = x - b1 + i), accumulated one service value at a time (an
        # element-wise update over x that vectorises without reordering the sum)
        nrow = D[k + 1]
        b0 = blo[k]
        b1 = bhi[k]
        m = b1 - b0 + 1
        nlo = slo + b0
        nhi = min(shi + b1, H)
        if slo <= shi:
            sbuf[P + slo - m + 1 : P + slo] = 0.0
            sbuf[P + shi + 1 : P + shi + m + 8] = 0.0
            wrow = brev[k]
            n_out = nhi - nlo + 1
            out = nrow[nlo : nhi + 1]
            for x in range(n_out):
                out[x] = 0.0
            base = P + nlo - b1
            # eight service values per pass over the outputs: each out[x] still adds its terms
            # one at a time in order of i (same bits), with an eighth of the loads and stores
            i = 0
            while i + 8 <= m:
                w0 = wrow[i]
                w1 = wrow[i + 1]
                w2 = wrow[i + 2]
                w3 = wrow[i + 3]
                w4 = wrow[i + 4]
                w5 = wrow[i + 5]
                w6 = wrow[i + 6]
                w7 = wrow[i + 7]
                sv = sbuf[base + i : base + i + n_out + 7]
                for x in range(n_out):
                    t = ((out[x] + w0 * sv[x]) + w1 * sv[x + 1]) + w2 * sv[x + 2]
                    t = ((t + w3 * sv[x + 3]) + w4 * sv[x + 4]) + w5 * sv[x + 5]
                    out[x] = (t + w6 * sv[x + 6]) + w7 * sv[x + 7]
                i += 8
            while i < m:
                wi = wrow[i]
                sv = sbuf[base + i : base + i + n_out]
                for x in range(n_out):
                    out[x] += wi * sv[x]
                i += 1
        LO[k + 1] = nlo
        HI[k + 1] = nhi
        TOP[k + 1] = max(TOP[k], amin + nof - 1) + b1
        ED[k + 1] = es + bmean[k]
        VD[k + 1] = vs + bvar[k]
    # ---- session end: a punctual virtual patient at L
    row = D[K]
    lo = LO[K]
    hi = HI[K]
    ed = ED[K]
    vd = VD[K]
    s1 = 0.0
    s2 = 0.0
    for x in range(lo, min(L - 1, hi) + 1):
        p = row[x]
        g = L - x
        s1 += p * g
        s2 += p * g * g
    vie = max(s2 - s1 * s1, 0.0)
    eot = max(ed - L + s1, 0.0)
    if TOP[K] <= L:
        eot = 0.0
    sc[0] = ed
    sc[1] = vd
    sc[2] = eot
    sc[3] = 0.0 if eot == 0.0 else max(vd - vie - 2.0 * s1 * eot, 0.0)
    sc[4] = s1
    sc[5] = vie


# No ``fastmath``: it lets LLVM reorder floating-point sums (vectorised reductions, fused
# multiply-adds), and the order it picks depends on how the code was compiled (inlined into a
# caller or not, a fresh compilation or numba's on-disk cache, even two fresh compilations),
# so the same schedule gave results differing in the last bit from run to run (enough to change
# the optimizer's choice between near-equal templates). Strict IEEE arithmetic fixes every
# result by the order written in ``_core_py``; its loops are arranged to vectorise without it.
if USE_NUMBA:
    core = numba.njit(cache=True, nogil=True)(_core_py)
else:  # pragma: no cover
    core = None


def core_numpy(
    k0, tau, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, H, L,
    D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
):  # fmt: skip
    """Numpy implementation of :func:`core` (same arguments, same results)."""
    K = tau.shape[0]
    for k in range(k0, K):
        lo, hi, ed, vd = int(LO[k]), int(HI[k]), ED[k], VD[k]
        amin = int(tau[k] + olo[k])
        nof = int(olen[k])
        q = opmf[k, :nof]
        a = amin + np.arange(nof)
        top = min(amin + nof - 2, hi)
        if top >= lo:
            x = np.arange(lo, top + 1)
            g = np.maximum(a[:, None] - x[None, :], 0)  # (nof, n)
            pq = q[:, None] * D[k, lo : top + 1][None, :]
            ei = float((pq * g).sum())
            ei2 = float((pq * g * g).sum())
            cov = float((pq * (x - ed)[None, :] * g).sum())
        else:
            ei = ei2 = cov = 0.0
        vi = max(ei2 - ei * ei, 0.0)
        ew = 0.0 if TOP[k] <= amin else max(ed - tau[k] - omean[k] + ei, 0.0)
        vw = 0.0 if ew == 0.0 else max(vd + ovar[k] - vi - 2.0 * ei * ew, 0.0)
        pat[:, k] = (ew, vw, ei, vi)
        es = ed + ei
        vs = max(vd + vi + 2.0 * cov, 0.0)
        slo = max(lo, amin)
        shi = min(max(hi, amin + nof - 1), H)
        if shi >= slo:
            xs = np.arange(slo, shi + 1)
            fd = np.zeros(shi - slo + 1)
            inside = xs <= hi
            below = float(D[k, lo : min(slo, hi + 1)].sum()) if slo > lo else 0.0
            fd[inside] = D[k, slo : min(hi, shi) + 1]
            fd = below + np.cumsum(fd)
            jj = xs - amin
            fa = np.where(jj < nof, np.cumsum(q)[np.minimum(jj, nof - 1)], 1.0)
            f = fd * fa
            sv = np.diff(np.concatenate([[0.0], f]))
            b0, b1 = int(blo[k]), int(bhi[k])
            conv = np.convolve(sv, brev[k, : b1 - b0 + 1][::-1])
            nlo = slo + b0
            nhi = min(shi + b1, H)
            D[k + 1, nlo : nhi + 1] = conv[: nhi - nlo + 1]
        else:
            nlo, nhi = slo + int(blo[k]), min(shi + int(bhi[k]), H)
        LO[k + 1], HI[k + 1] = nlo, nhi
        TOP[k + 1] = max(TOP[k], amin + nof - 1) + bhi[k]
        ED[k + 1] = es + bmean[k]
        VD[k + 1] = vs + bvar[k]
    lo, hi = int(LO[K]), int(HI[K])
    top = min(L - 1, hi)
    if top >= lo:
        g = L - np.arange(lo, top + 1)
        p = D[K, lo : top + 1]
        s1, s2 = float(p @ g), float(p @ (g * g))
    else:
        s1 = s2 = 0.0
    ed, vd = ED[K], VD[K]
    vie = max(s2 - s1 * s1, 0.0)
    eot = 0.0 if TOP[K] <= L else max(ed - L + s1, 0.0)
    vot = 0.0 if eot == 0.0 else max(vd - vie - 2.0 * s1 * eot, 0.0)
    sc[:6] = (ed, vd, eot, vot, s1, vie)


def end_moments(pmf: np.ndarray, lo: int, hi: int, mean: float, var: float, t: int):
    """Moments of ``(X - t)^+`` and ``(t - X)^+`` from the PMF of ``X`` known below ``t``.

    ``pmf[x]`` (absolute index) must be exact for ``lo <= x <= min(hi, t - 1)``; ``mean`` and
    ``var`` are the exact moments of ``X``. Returns ``(pos_mean, pos_var, neg_mean, neg_var)``.
    """
    top = min(t - 1, hi)
    if top >= lo:
        g = t - np.arange(lo, top + 1, dtype=np.float64)
        p = pmf[lo : top + 1]
        s1, s2 = float(p @ g), float(p @ (g * g))
    else:
        s1 = s2 = 0.0
    vneg = max(s2 - s1 * s1, 0.0)
    epos = mean - t + s1
    return epos, max(var - vneg - 2.0 * s1 * epos, 0.0), s1, vneg
