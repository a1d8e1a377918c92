"""Compiled entry points around the kernel: horizon, prefix reuse, totals, batches.

One call does everything an optimiser needs, so the Python overhead per evaluation is a single
dispatch. The state arrays are those of :func:`polyslot.evaluation.prepare.new_state`; the
working horizon is the state's capacity ``D.shape[1] - 9`` (any horizon at or above the needed
one gives bit-identical results, because values above it are never read).
"""

from __future__ import annotations

from polyslot.evaluation import lindley

__all__ = ["entry", "batch", "suffixes", "SC_TOTAL_WAIT", "SC_IDLE_BEFORE", "N_SC_ALL"]

SC_TOTAL_WAIT = 6
SC_IDLE_BEFORE = 7
N_SC_ALL = 8

_CORE = lindley.core if lindley.USE_NUMBA else lindley.core_numpy


def _entry_py(  # noqa: PLR0913
    k0, tau, prev, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, no_show, L, ds,
    D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
):  # fmt: skip
    """Evaluate ``tau`` reusing rows ``0..k0`` of the state (computed for ``prev``).

    Returns the patient index the recursion restarted from (``k0`` or the first index where
    ``tau`` and ``prev`` differ, whichever is smaller), or ``-(needed horizon) - 1`` when the
    state's capacity is too small (nothing computed then). ``prev`` is overwritten by ``tau``.
    """
    K = tau.shape[0]
    cap = D.shape[1] - 9
    need = L
    for k in range(K):
        v = tau[k] + olo[k] + olen[k] - 1
        if v > need:
            need = v
    need = max(need - 1, 0)
    if need > cap:
        return -need - 1
    k0 = min(max(k0, 0), K)
    for k in range(k0):
        if tau[k] != prev[k]:
            k0 = k
            break
    if k0 == 0:
        LO[0] = ds
        TOP[0] = ds
        ED[0] = ds
        VD[0] = 0.0
        if ds <= cap:
            D[0, ds] = 1.0
            HI[0] = ds
        else:
            HI[0] = cap
    _CORE(
        k0, tau, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, cap, L,
        D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
    )  # fmt: skip
    tw = 0.0
    ib = 0.0
    for k in range(K):
        tw += (1.0 - no_show[k]) * pat[0, k]
        ib += pat[2, k]
        prev[k] = tau[k]
    sc[6] = tw
    sc[7] = ib
    return k0


if lindley.USE_NUMBA:
    entry = lindley.numba.njit(cache=True, nogil=True)(_entry_py)
else:  # pragma: no cover
    entry = _entry_py


def _scatter_py(out, n, sc):
    """Column ``n`` of a batch result from the kernel's scalar outputs ``sc``."""
    out[0, n] = sc[6]
    out[1, n] = sc[7] + sc[4]
    out[2, n] = sc[7]
    out[3, n] = sc[2]
    out[4, n] = sc[3]
    out[5, n] = sc[4]
    out[6, n] = sc[0]


if lindley.USE_NUMBA:
    scatter = lindley.numba.njit(cache=True, nogil=True)(_scatter_py)
else:  # pragma: no cover
    scatter = _scatter_py


def _batch_py(  # noqa: PLR0913
    taus, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, no_show, L, ds, out, pout,
    prev, D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
):  # fmt: skip
    """Evaluate every row of ``taus``; ``out[:, n]`` gets the batch summary of row n and, when
    ``pout`` has N rows, ``pout[n]`` the per-patient ``pat`` (4, K)."""
    keep = pout.shape[0] == taus.shape[0]
    for n in range(taus.shape[0]):
        r = entry(
            0, taus[n], prev, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar,
            no_show, L, ds, D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
        )  # fmt: skip
        if r < 0:  # capacity too small: cannot happen when sized by the caller
            for i in range(out.shape[0]):
                out[i, n] = -1.0
            continue
        scatter(out, n, sc)
        if keep:
            pout[n] = pat


if lindley.USE_NUMBA:
    batch = lindley.numba.njit(cache=True, nogil=True)(_batch_py)
else:  # pragma: no cover
    batch = _batch_py


def _suffixes_py(  # noqa: PLR0913
    k, tau, tails, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar, no_show, L, ds,
    out, pout, prev, D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
):  # fmt: skip
    """Evaluate ``tau[:k]`` followed by each row of ``tails``, reusing the state's rows 0..k.

    ``prev`` must hold the appointments the state was computed for; rows ``0..k`` stay valid
    across candidates because the kernel only writes rows after its start. ``tau`` is scratch.
    """
    keep = pout.shape[0] == tails.shape[0]
    K = tau.shape[0]
    for n in range(tails.shape[0]):
        for j in range(k, K):
            tau[j] = tails[n, j - k]
        r = entry(
            k, tau, prev, brev, blo, bhi, bmean, bvar, olo, opmf, olen, omean, ovar,
            no_show, L, ds, D, LO, HI, TOP, ED, VD, sbuf, pat, sc,
        )  # fmt: skip
        if r < 0:
            return n
        scatter(out, n, sc)
        if keep:
            pout[n] = pat
    return tails.shape[0]


if lindley.USE_NUMBA:
    suffixes = lindley.numba.njit(cache=True, nogil=True)(_suffixes_py)
else:  # pragma: no cover
    suffixes = _suffixes_py
