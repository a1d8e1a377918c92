"""Stage 2: appointment times inside one doctor session (Kaandorp & Koole 2007 local search).

Appointments lie on a grid of ``interval`` slots below ``session_end``. The objective, measured
exactly, is ``wait * mean_k E[W_k] + idle * E[idle] + overtime * E[overtime]`` where ``W_k`` is
patient k's wait if they come, idle is doctor idle time inside ``[doctor_start, session_end]``
(the end of the session included) and overtime is work past ``session_end``.

The local search starts from equal spacing and from the Bailey-Welch rule and moves, while one
improves, to the best neighbour: a block of consecutive patients shifted one interval earlier or
later, or two patients of different types swapped (K <= 12: all blocks and all pairs; larger
sessions: single patients, prefixes, suffixes and adjacent pairs). Neighbours are evaluated
exactly by :class:`polyslot.evaluation.Evaluator` (one per patient order), in batches that share
the schedule up to their first changed patient (``evaluate_suffixes``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from polyslot.evaluation import Evaluator, evaluate_arrays

__all__ = [
    "SequencingResult",
    "equal_spacing",
    "bailey_welch",
    "grid_size",
    "objective_of",
    "local_search",
    "pad_services",
]

EXHAUSTIVE_ORDERS = 5  # sessions this small try every distinct patient order as a start
DEFAULT_WEIGHTS = {"wait": 0.5, "idle": 0.0, "overtime": 0.5}


def pad_services(pmfs: Sequence[Sequence[float]]) -> np.ndarray:
    """Stack PMFs of different lengths into a (K, S) array (zero padded)."""
    s_len = max(len(p) for p in pmfs)
    out = np.zeros((len(pmfs), s_len))
    for k, p in enumerate(pmfs):
        out[k, : len(p)] = p
    return out


def grid_size(session_end: int, interval: int) -> int:
    """Number of grid points ``0, interval, ...`` strictly below ``session_end`` (at least 1)."""
    return max(1, math.ceil(session_end / interval))


def equal_spacing(k_count: int, grid: int) -> np.ndarray:
    """Grid indices of K patients spread evenly over ``grid`` points."""
    return np.floor(np.arange(k_count) * grid / max(k_count, 1)).astype(np.int64)


def bailey_welch(k_count: int, grid: int) -> np.ndarray:
    """Bailey-Welch: two patients at the start, the rest evenly spaced after them."""
    if k_count <= 2:
        return np.zeros(k_count, dtype=np.int64)
    rest = np.floor(np.arange(1, k_count - 1) * grid / (k_count - 1)).astype(np.int64)
    return np.concatenate(([0, 0], rest)).astype(np.int64)


@dataclass(frozen=True)
class SequencingResult:
    """A sequenced session.

    Attributes
    ----------
    appointments : tuple of int
        Appointment slot of each position (non-decreasing).
    order : tuple of int
        Input patient index at each position.
    objective, wait_mean, idle_mean, overtime_mean : float
    iterations, evaluations : int
    """

    appointments: tuple[int, ...]
    order: tuple[int, ...]
    objective: float
    wait_mean: float
    idle_mean: float
    overtime_mean: float
    iterations: int = 0
    evaluations: int = 0


class _Incremental:
    """Evaluates candidate (order, grid) pairs with :class:`polyslot.evaluation.Evaluator`.

    One evaluator per patient order (cached); the candidates of one order that agree with that
    evaluator's prefix up to their first changed position are evaluated together with
    ``Evaluator.evaluate_suffixes`` from that position.
    """

    _CACHE = 256  # evaluators kept (one per patient order)

    def __init__(self, service, no_show, session_end, interval, doctor_start, weights):
        self.service = service
        self.no_show = no_show
        self.t = session_end
        self.iv = interval
        self.d = doctor_start
        self.w = weights
        self.evaluations = 0
        self._evs: dict[bytes, Evaluator] = {}

    def _evaluator(self, order: np.ndarray) -> Evaluator:
        key = order.tobytes()
        ev = self._evs.get(key)
        if ev is None:
            if len(self._evs) >= self._CACHE:
                self._evs.clear()
            ev = Evaluator(self.service[order], self.no_show[order], self.t, self.d)
            self._evs[key] = ev
        return ev

    def _objective(self, wait_mean, idle, overtime):
        return self.w["wait"] * wait_mean + self.w["idle"] * idle + self.w["overtime"] * overtime

    def set_current(self, order: np.ndarray, g: np.ndarray) -> float:
        r = self._evaluator(order).evaluate(g * self.iv)
        self.order, self.g = order.copy(), g.copy()
        wait = float(np.mean(r.wait_mean))
        # ArrayResult.total_idle_mean = idle before patients + idle at the session end
        idle, over = float(r.total_idle_mean), float(r.overtime_mean)
        obj = float(self._objective(wait, idle, over))
        self.evaluations += 1
        self.current = (obj, wait, idle, over)
        return obj

    def evaluate(self, orders: np.ndarray, grids: np.ndarray) -> np.ndarray:
        n, k_count = grids.shape
        diff = (orders != self.order[None, :]) | (grids != self.g[None, :])
        k0 = np.where(diff.any(axis=1), diff.argmax(axis=1), k_count)
        obj = np.full(n, np.inf)
        same = k0 == k_count
        obj[same] = self.current[0]
        groups: dict[tuple[bytes, int], list[int]] = {}
        for i in np.flatnonzero(~same):
            groups.setdefault((orders[i].tobytes(), int(k0[i])), []).append(int(i))
        for (_, k), idx in groups.items():
            rows = np.asarray(idx)
            ev = self._evaluator(orders[rows[0]])
            a = grids[rows[0]] * self.iv
            out = ev.evaluate_suffixes(k, a, grids[rows, k:] * self.iv, per_patient=True)
            # evaluate_batch's total_idle_mean includes the idle at the session end
            obj[rows] = self._objective(
                out["wait_mean"].mean(axis=1), out["total_idle_mean"], out["overtime_mean"]
            )
        self.evaluations += n
        return obj


def _distinct_orders(service: np.ndarray, no_show: np.ndarray) -> list[np.ndarray]:
    """Every patient order that differs in the sequence of (service, no-show) types."""
    keys = [(tuple(service[k]), float(no_show[k])) for k in range(len(no_show))]
    seen, out = set(), []
    for perm in itertools.permutations(range(len(keys))):
        key = tuple(keys[k] for k in perm)
        if key not in seen:
            seen.add(key)
            out.append(np.array(perm, dtype=np.int64))
    return out


def _neighbours(order, g, lower, upper, distinct, all_blocks):
    k_count = g.size
    orders, grids = [], []
    blocks = (
        [(i, j) for i in range(k_count) for j in range(i, k_count)]
        if all_blocks
        else sorted(
            {(i, i) for i in range(k_count)}
            | {(0, j) for j in range(k_count)}
            | {(i, k_count - 1) for i in range(k_count)}
        )
    )
    bi, bj = np.array(blocks, dtype=np.int64).reshape(-1, 2).T
    pos = np.arange(k_count)
    inside = (pos[None, :] >= bi[:, None]) & (pos[None, :] <= bj[:, None])  # (B, K)
    for d in (-1, 1):
        ng = g[None, :] + d * inside
        ok = ~(inside & ((ng < lower[None, :]) | (ng > upper[None, :]))).any(axis=1)
        ok &= (ng[:, 1:] >= ng[:, :-1]).all(axis=1)  # the block keeps the grid non-decreasing
        grids.extend(ng[ok])
        orders.extend([order] * int(ok.sum()))
    pairs = (
        [(i, j) for i in range(k_count) for j in range(i + 1, k_count)]
        if all_blocks
        else [(k, k + 1) for k in range(k_count - 1)]
    )
    for i, j in pairs:
        same_window = lower[i] == lower[j] and upper[i] == upper[j]
        if same_window and distinct[order[i], order[j]]:
            no = order.copy()
            no[i], no[j] = no[j], no[i]
            orders.append(no)
            grids.append(g)
    if not grids:
        return np.empty((0, k_count), np.int64), np.empty((0, k_count), np.int64)
    return np.array(orders), np.array(grids)


def objective_of(
    appointments: Sequence[int],
    service: np.ndarray,
    no_show: Sequence[float],
    session_end: int,
    weights: Mapping[str, float] | None = None,
    doctor_start: int = 0,
) -> float:
    """The sequencing objective of one schedule (patients in appointment order)."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    r = evaluate_arrays(
        np.asarray(appointments, dtype=np.int64),
        np.asarray(service, float),
        np.asarray(no_show, float),
        session_end,
        doctor_start,
    )
    # ArrayResult.total_idle_mean = idle before patients + idle at the session end
    return float(
        w["wait"] * np.mean(r.wait_mean)
        + w["idle"] * r.total_idle_mean
        + w["overtime"] * r.overtime_mean
    )


def local_search(
    service: np.ndarray,
    no_show: Sequence[float] | np.ndarray,
    session_end: int,
    interval: int = 1,
    weights: Mapping[str, float] | None = None,
    *,
    doctor_start: int = 0,
    starts: Sequence[Sequence[int]] | None = None,
    lower: Sequence[int] | None = None,
    upper: Sequence[int] | None = None,
    max_iter: int = 500,
    reorder: bool = True,
) -> SequencingResult:
    """Kaandorp-Koole local search for one session.

    Parameters
    ----------
    service : (K, S) array
        Consultation PMFs in slots, one row per patient.
    no_show : (K,)
    session_end, interval : int
        In slots; appointments are ``g * interval`` with ``0 <= g < grid_size``.
    weights : mapping with ``wait``, ``idle``, ``overtime``
    starts : list of grid-index vectors, optional
        Starting schedules (patients in input order). Default: equal spacing and Bailey-Welch,
        each with every distinct patient order (K <= 5), with the input order and the
        shortest-mean-first order (K <= 12), with the input order only (K > 12).
    lower, upper : grid-index bounds per position, optional
    max_iter : int
        Maximum accepted moves per start.
    reorder : bool
        Allow swapping adjacent patients of different types.
    """
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    service = np.asarray(service, dtype=np.float64)
    p = np.asarray(no_show, dtype=np.float64)
    k_count = service.shape[0]
    grid = grid_size(session_end, interval)
    lo = np.zeros(k_count, np.int64) if lower is None else np.asarray(lower, np.int64)
    hi = np.full(k_count, grid - 1, np.int64) if upper is None else np.asarray(upper, np.int64)
    means = service @ np.arange(service.shape[1])
    spt = np.lexsort((np.arange(k_count), means))
    if starts is None:
        grids0 = [equal_spacing(k_count, grid), bailey_welch(k_count, grid)]
        orders0 = [np.arange(k_count)]
        if reorder and k_count <= EXHAUSTIVE_ORDERS:
            orders0 = _distinct_orders(service, p)
        elif reorder and not np.array_equal(spt, orders0[0]) and k_count <= 12:
            orders0.append(spt)
        start_pairs = [(o, np.clip(g, lo, hi)) for o in orders0 for g in grids0]
    else:
        start_pairs = [(np.arange(k_count), np.asarray(g, np.int64)) for g in starts]
    distinct = np.array(
        [
            [
                reorder and (p[i] != p[j] or not np.array_equal(service[i], service[j]))
                for j in range(k_count)
            ]
            for i in range(k_count)
        ]
    )
    ev = _Incremental(service, p, session_end, interval, doctor_start, w)
    best: SequencingResult | None = None
    iters = 0
    for order0, st in start_pairs:
        g = np.maximum.accumulate(np.asarray(st, dtype=np.int64))
        order = np.asarray(order0, dtype=np.int64).copy()
        cur = ev.set_current(order, g)
        for _ in range(max_iter):
            orders, grids = _neighbours(order, g, lo, hi, distinct, k_count <= 12)
            if grids.shape[0] == 0:
                break
            objs = ev.evaluate(orders, grids)
            j = int(np.argmin(objs))
            if not objs[j] < cur - 1e-10 * max(1.0, abs(cur)):
                break
            order, g = orders[j].copy(), grids[j].copy()
            cur = ev.set_current(order, g)
            iters += 1
        obj, wait, idle, over = ev.current
        if best is None or obj < best.objective - 1e-12:
            best = SequencingResult(
                tuple(int(x) for x in g * interval),
                tuple(int(x) for x in order),
                obj,
                wait,
                idle,
                over,
            )
    assert best is not None
    return SequencingResult(
        best.appointments,
        best.order,
        best.objective,
        best.wait_mean,
        best.idle_mean,
        best.overtime_mean,
        iters,
        ev.evaluations,
    )
