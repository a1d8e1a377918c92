"""Independent seeded replications: serial or in a process pool, with a sequential CI stop.

A replication is a pure function ``func(params, seed) -> record`` (a picklable module-level
function; ``seed`` is a :class:`numpy.random.SeedSequence`). Replication ``i`` always gets the
seed ``SeedSequence(entropy=seed, spawn_key=(i,))``, so results do not depend on the number of
workers or on batching: same inputs and seed, same output.

Stopping rule: replications run in batches; after each batch the 95% Student-t half-width ``h``
of the mean of ``metric(record)`` is computed, and the run stops as soon as at least
``min_replications`` are done and ``h <= target_abs`` or ``h <= target_rel * |mean|`` (whichever
targets are given). Without targets exactly ``replications`` run; with targets ``replications``
is the cap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyslot.errors import InputError
from polyslot.simulate.kpis import mean_ci

__all__ = ["ReplicationRun", "replication_seed", "run_replications"]

Replication = Callable[[Any, np.random.SeedSequence], Any]


@dataclass(frozen=True)
class ReplicationRun:
    """Records of a replication run and how it stopped.

    Attributes
    ----------
    records : tuple
        One record per replication, in replication order.
    replications : int
        Number of replications run.
    metric_mean, metric_ci : float
        Mean and 95% half-width of the stopping metric.
    converged : bool
        True when a CI target was met (False when the cap was hit or no target was set).
    """

    records: tuple[Any, ...]
    replications: int
    metric_mean: float
    metric_ci: float
    converged: bool


def replication_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed of replication ``index`` of a run seeded with ``seed``."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(int(index),))


def _run_chunk(func: Replication, params: Any, seed: int, indices: Sequence[int]) -> list[Any]:
    return [func(params, replication_seed(seed, i)) for i in indices]


def _check(replications: int, min_replications: int, workers: int) -> None:
    if replications < 1:
        raise InputError("must be >= 1", field="replications", value=replications)
    if min_replications < 2:
        raise InputError("must be >= 2", field="min_replications", value=min_replications)
    if workers < 1:
        raise InputError("must be >= 1", field="workers", value=workers)


def _met(mean: float, half: float, target_rel: float | None, target_abs: float | None) -> bool:
    if not math.isfinite(half):
        return False
    if target_abs is not None and half <= target_abs:
        return True
    return target_rel is not None and half <= target_rel * abs(mean)


def run_replications(
    func: Replication,
    params: Any,
    seed: int,
    *,
    replications: int = 100,
    metric: Callable[[Any], float] | None = None,
    target_rel: float | None = None,
    target_abs: float | None = None,
    min_replications: int = 10,
    batch: int | None = None,
    workers: int = 1,
) -> ReplicationRun:
    """Run seeded replications of ``func`` (serially when ``workers == 1``).

    Parameters
    ----------
    func : callable
        ``func(params, seed_sequence) -> record``; module-level so a process pool can pickle it.
    params : object
        Picklable inputs (frozen dataclasses).
    seed : int
        Master seed.
    replications : int
        Number of replications, or the cap when a target is given.
    metric : callable, optional
        ``metric(record) -> float`` watched by the stopping rule (needed with targets).
    target_rel, target_abs : float, optional
        Stop when the 95% half-width is at most ``target_rel * |mean|`` or ``target_abs``.
    min_replications : int
        Replications before the rule may stop.
    batch : int, optional
        Replications between checks (default ``max(min_replications, 4 * workers)``).
    workers : int
        Processes (1 = serial path, no pool).
    """
    _check(replications, min_replications, workers)
    adaptive = target_rel is not None or target_abs is not None
    if adaptive and metric is None:
        raise InputError("a metric is needed with a CI target", field="metric", value=None)
    step = batch or max(min_replications, 4 * workers)
    records: list[Any] = []
    values: list[float] = []
    converged = False
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        while len(records) < replications:
            todo = list(range(len(records), min(replications, len(records) + step)))
            if not adaptive:
                todo = list(range(len(records), replications))
            if pool is None:
                new = _run_chunk(func, params, seed, todo)
            else:
                chunks = [todo[i::workers] for i in range(workers)]
                parts = list(
                    pool.map(
                        _run_chunk, [func] * workers, [params] * workers, [seed] * workers, chunks
                    )
                )
                by_index: dict[int, Any] = {}
                for idx, part in zip(chunks, parts, strict=True):
                    by_index.update(zip(idx, part, strict=True))
                new = [by_index[i] for i in todo]
            records.extend(new)
            if metric is not None:
                values.extend(float(metric(r)) for r in new)
            if adaptive and len(records) >= min_replications:
                m, h = mean_ci(values)
                if _met(m, h, target_rel, target_abs):
                    converged = True
                    break
    finally:
        if pool is not None:
            pool.shutdown()
    m, h = mean_ci(values) if values else (float("nan"), float("nan"))
    return ReplicationRun(tuple(records), len(records), m, h, converged)


def default_workers() -> int:
    """Processes to use by default: the cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)
