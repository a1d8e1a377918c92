"""Pseudonymous patients of one synthetic polyclinic: who books, and their history.

* Acute, health-screening and vaccination visits and walk-ins come from a general population
  of ``spec.population`` patients, drawn uniformly (so some patients come back by chance).
* Every new-patient visit is a new patient; after the visit they join the chronic pool with
  probability ``NEW_TO_CHRONIC_PROB``.
* Chronic follow-up visits come from the chronic pool: each chronic patient has a fixed
  revisit interval (28, 42, 56 or 84 days) and is due again ``interval + jitter`` days after
  each visit (whatever its outcome); a request goes to the most overdue patient who is due
  within ``CHRONIC_EARLY_DAYS``, otherwise to a new chronic patient.  After a visit a patient
  leaves the pool with probability ``CHRONIC_EXIT_PROB``.
* Patient ids are random 16-hex-digit strings: they carry no information at all.
"""

from __future__ import annotations

import heapq

import numpy as np

from polyslot.synthetic.kinds import PolyclinicSpec
from polyslot.synthetic.parameters import (
    AGE_MIX_CHRONIC,
    AGE_MIX_GENERAL,
    CHRONIC_EARLY_DAYS,
    CHRONIC_EXIT_PROB,
    NEW_TO_CHRONIC_PROB,
    REVISIT_INTERVALS,
    REVISIT_JITTER,
)

__all__ = ["PatientRegistry"]

_INTERVALS = np.array(list(REVISIT_INTERVALS), dtype=np.int64)
_INTERVAL_CUM = np.cumsum(list(REVISIT_INTERVALS.values()))
_AGE_CUM_GENERAL = np.cumsum(AGE_MIX_GENERAL)
_AGE_CUM_CHRONIC = np.cumsum(AGE_MIX_CHRONIC)
_ID_BLOCK = 1024


class PatientRegistry:
    """Mutable patient state of one polyclinic during generation (ids, ages, no-shows, pool).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness of the registry.
    spec : PolyclinicSpec
        The polyclinic (its ``population`` size).
    chronic_per_day : float
        Mean chronic follow-up requests per calendar day, used to size the initial pool.
    first_day : int
        Ordinal (``date.toordinal()``) of the first generated day.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        spec: PolyclinicSpec,
        chronic_per_day: float,
        first_day: int,
    ) -> None:
        self._rng = rng
        self._id_buf: list[str] = []
        n = spec.population
        self.ids: list[str] = self._new_ids(n)
        self.age: list[int] = rng.choice(4, size=n, p=AGE_MIX_GENERAL).tolist()
        self.no_shows: list[int] = [0] * n
        self.interval: dict[int, int] = {}
        self._pool: list[tuple[int, int, int]] = []
        self._seq = 0
        self._population = n
        mean_interval = float(np.dot(_INTERVALS, np.diff(_INTERVAL_CUM, prepend=0.0)))
        for _ in range(round(chronic_per_day * mean_interval)):
            pid = self._add(self._draw(_AGE_CUM_CHRONIC))
            iv = self._draw_interval(pid)
            self._push(pid, first_day + int(rng.integers(0, iv)))

    def _new_ids(self, n: int) -> list[str]:
        raw = self._rng.integers(0, np.iinfo(np.int64).max, size=n, dtype=np.int64)
        return [f"{int(x):016x}" for x in raw]

    def _draw(self, cum: np.ndarray) -> int:
        """Index drawn from the distribution with cumulative probabilities ``cum``."""
        return min(
            int(np.searchsorted(cum, self._rng.random() * cum[-1], side="right")), cum.size - 1
        )

    def _add(self, age: int) -> int:
        if not self._id_buf:
            self._id_buf = self._new_ids(_ID_BLOCK)[::-1]
        self.ids.append(self._id_buf.pop())
        self.age.append(age)
        self.no_shows.append(0)
        return len(self.ids) - 1

    def _draw_interval(self, pid: int) -> int:
        iv = int(_INTERVALS[self._draw(_INTERVAL_CUM)])
        self.interval[pid] = iv
        return iv

    def _push(self, pid: int, due: int) -> None:
        self._seq += 1
        heapq.heappush(self._pool, (due, self._seq, pid))

    def general(self, n: int) -> np.ndarray:
        """``n`` patients drawn uniformly from the general population."""
        return self._rng.integers(0, self._population, size=n)

    def assign(self, visit_types: list[str], day: int) -> np.ndarray:
        """The patient of each booking of ``day`` (ordinal), in the order given."""
        out = self.general(len(visit_types))
        for i, vt in enumerate(visit_types):
            if vt == "chronic_followup":
                out[i] = self.chronic(day)
            elif vt == "new_patient":
                out[i] = self.new_patient()
        return out

    def new_patient(self) -> int:
        """A brand-new patient (general age mix)."""
        return self._add(self._draw(_AGE_CUM_GENERAL))

    def chronic(self, day: int) -> int:
        """The chronic patient booked for a follow-up on ``day`` (ordinal)."""
        if self._pool and self._pool[0][0] <= day + CHRONIC_EARLY_DAYS:
            return heapq.heappop(self._pool)[2]
        pid = self._add(self._draw(_AGE_CUM_CHRONIC))
        self._draw_interval(pid)
        return pid

    def after_chronic_visits(self, pids: list[int], day: int) -> None:
        """Schedule the next follow-up of each of ``pids`` (or let them leave the pool)."""
        n = len(pids)
        stay = self._rng.random(n) >= CHRONIC_EXIT_PROB
        jitter = self._rng.integers(-REVISIT_JITTER, REVISIT_JITTER + 1, size=n).tolist()
        for pid, keep, j in zip(pids, stay.tolist(), jitter, strict=True):
            if keep:
                self._push(pid, day + self.interval[pid] + j)

    def after_new_visits(self, pids: list[int], day: int) -> None:
        """Each new patient becomes a chronic follow-up patient with some probability."""
        join = self._rng.random(len(pids)) < NEW_TO_CHRONIC_PROB
        for pid, j in zip(pids, join.tolist(), strict=True):
            if j:
                self._push(pid, day + self._draw_interval(pid))
