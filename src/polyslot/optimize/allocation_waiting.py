"""The MIP's waiting model: a convex piecewise-linear curve per bucket, calibrated exactly.

``f1(l)`` = expected total waiting minutes (of the patients who come) in one bucket served by
one doctor whose expected workload in the bucket is ``l`` minutes, computed with the exact
evaluator for patients of the day's demand-weighted service mix booked at equal spacing. The
curve is replaced by its lower convex hull, so ``W_h >= gamma * s_h * f1((L_h + B_{h-1}) / s_h)``
is a set of linear cuts (one per hull segment). ``gamma`` is the calibration factor: the loop
solve -> build sessions -> evaluate exactly -> rescale the cuts stops when the MIP's predicted
waiting agrees with the exact one within the tolerance (see docs/model.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from polyslot.optimize._exact import batch_metrics

__all__ = [
    "WaitingCurve",
    "waiting_curve",
    "hull_curve",
    "lower_hull",
    "CalibrationRound",
    "calibrate",
]


@dataclass(frozen=True)
class WaitingCurve:
    """Convex piecewise-linear waiting curve over one bucket.

    ``loads[j]``, ``waits[j]`` are the hull's breakpoints (minutes of workload, minutes of
    total waiting); beyond the last breakpoint the last slope continues. ``overtime_loads``,
    ``overtime`` (optional) are the hull of the expected doctor-minutes worked past the end of
    the bucket when it ends a block of sessions (the stochastic overtime the fluid backlog of
    the MIP cannot see).
    """

    loads: tuple[float, ...]
    waits: tuple[float, ...]
    overtime_loads: tuple[float, ...] = ()
    overtime: tuple[float, ...] = ()

    def segments(self) -> list[tuple[float, float, float]]:
        """``(l_j, f_j, slope_j)`` per segment: ``f1(l) >= f_j + slope_j (l - l_j)``."""
        return _segments(self.loads, self.waits)

    def overtime_segments(self) -> list[tuple[float, float, float]]:
        """The overtime hull's segments (empty when the curve has none)."""
        return _segments(self.overtime_loads, self.overtime)


def _segments(x: tuple[float, ...], y: tuple[float, ...]) -> list[tuple[float, float, float]]:
    out = []
    for j in range(len(x) - 1):
        dl = x[j + 1] - x[j]
        out.append((x[j], y[j], (y[j + 1] - y[j]) / dl))
    return out


def hull_curve(
    loads: list[float], waits: list[float], overtime: list[float] | None = None
) -> WaitingCurve:
    """A :class:`WaitingCurve` from points (lower convex hulls of both series)."""
    hx, hy = lower_hull(np.asarray(loads), np.asarray(waits))
    ox: tuple[float, ...] = ()
    oy: tuple[float, ...] = ()
    if overtime is not None:
        a, b = lower_hull(np.asarray(loads), np.asarray(overtime))
        ox, oy = tuple(float(v) for v in a), tuple(float(v) for v in b)
    return WaitingCurve(tuple(float(v) for v in hx), tuple(float(v) for v in hy), ox, oy)

    def value(self, load: float) -> float:
        """The curve at ``load`` (maximum of the segment lines, 0 below the first point)."""
        if load <= self.loads[0]:
            return self.waits[0]
        return max(f + s * (load - lj) for lj, f, s in self.segments())


def lower_hull(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lower convex hull of the points ``(x, y)`` (x increasing)."""
    pts: list[tuple[float, float]] = []
    for px, py in zip(x.tolist(), y.tolist(), strict=True):
        while len(pts) >= 2:
            (x1, y1), (x2, y2) = pts[-2], pts[-1]
            if (y2 - y1) * (px - x1) >= (py - y1) * (x2 - x1):
                pts.pop()
            else:
                break
        pts.append((px, py))
    arr = np.asarray(pts)
    return arr[:, 0], arr[:, 1]


def waiting_curve(
    service_pmf: np.ndarray,
    no_show: float,
    bucket_minutes: int,
    slot_minutes: float = 1.0,
    max_load_factor: float = 1.8,
) -> WaitingCurve:
    """Exact waiting of n equally spaced patients in one bucket, for n = 0, 1, ... .

    Parameters
    ----------
    service_pmf : array
        Consultation-time PMF in slots (for a patient who comes).
    no_show : float
        No-show probability.
    bucket_minutes : int
        Bucket length.
    slot_minutes : float
        Slot length of the PMF grid.
    max_load_factor : float
        The curve spans workloads up to this multiple of the bucket length.
    """
    pmf = np.asarray(service_pmf, dtype=np.float64)
    mean = float(np.dot(np.arange(pmf.size), pmf)) * slot_minutes
    per = max((1.0 - no_show) * mean, 1e-9)
    n_max = max(2, int(math.ceil(max_load_factor * bucket_minutes / per)))
    n_max = min(n_max, 60)
    t_slots = int(round(bucket_minutes / slot_minutes))
    loads = [0.0]
    waits = [0.0]
    over = [0.0]
    for n in range(1, n_max + 1):
        appts = np.floor(np.arange(n) * t_slots / n).astype(np.int64)
        m = batch_metrics(appts[None, :], np.tile(pmf, (n, 1)), np.full(n, no_show), t_slots)
        loads.append(n * per)
        waits.append(float(m["total_wait_shown"][0]) * slot_minutes)
        over.append(float(m["overtime_mean"][0]) * slot_minutes)
    return hull_curve(loads, waits, over)


@dataclass(frozen=True)
class CalibrationRound:
    """One round of the calibration loop."""

    gamma: float
    predicted_wait: float
    exact_wait: float

    @property
    def rel_error(self) -> float:
        """|predicted - exact| / exact (0 when both are 0)."""
        if self.exact_wait <= 0:
            return 0.0 if self.predicted_wait <= 1e-9 else math.inf
        return abs(self.predicted_wait - self.exact_wait) / self.exact_wait


Solution = TypeVar("Solution")


def calibrate(
    solve_with: Callable[[float], tuple[Solution, float]],
    exact_wait: Callable[[Solution], float],
    tolerance: float = 0.05,
    max_rounds: int = 6,
    gamma0: float = 1.0,
) -> tuple[Solution, list[CalibrationRound]]:
    """Iterate solve -> exact evaluation -> rescale until they agree within ``tolerance``.

    Parameters
    ----------
    solve_with : callable
        ``gamma -> (solution, predicted_wait)``; predicted waiting is computed with ``gamma``.
    exact_wait : callable
        ``solution -> exact expected waiting`` (same unit).
    tolerance, max_rounds : float, int
    gamma0 : float
        Starting calibration factor (e.g. the previous weekday's, which is usually close).

    Returns
    -------
    (solution, rounds)
        The solution of the round with the best agreement and the history; the last entry of
        the history is that round (repeated when it was not the last one solved).
    """
    gamma = gamma0 if gamma0 > 0 and math.isfinite(gamma0) else 1.0
    rounds: list[CalibrationRound] = []
    sols: list[Solution] = []
    for r in range(max_rounds):
        sol, pred = solve_with(gamma)
        exact = exact_wait(sol)
        rnd = CalibrationRound(gamma, pred, exact)
        rounds.append(rnd)
        sols.append(sol)
        if rnd.rel_error <= tolerance or pred <= 1e-9 or exact <= 0:
            break
        # full step first, then damped steps (the solution moves with gamma)
        step = 1.0 if r == 0 else 0.5
        gamma = gamma * (exact / pred) ** step
    best = min(range(len(rounds)), key=lambda i: rounds[i].rel_error)
    if best != len(rounds) - 1:
        rounds.append(rounds[best])
    return sols[best], rounds
