"""Simulate on demand: the SimPy clinic day of three templates with common random numbers.

A job runs in a background thread: ``replications`` clinic days of the working copy, the current
and the recommended template, replication ``i`` of every template seeded with
``SeedSequence(entropy=seed, spawn_key=(i,))`` (the seeding of
:func:`polyslot.simulate.replications.run_replications`), so the three share their random
streams (patients of the i-th slot, walk-ins, consultation times): the differences between
templates are sharp. The result has every KPI's mean and 95% Student-t half-width.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.day import build_day
from polyslot.simulate.clinic import ClinicConfig
from polyslot.simulate.clinic_runs import DayParams, day_replication
from polyslot.simulate.kpis import KPI_COLUMNS, summarize
from polyslot.template import SlotTemplate

__all__ = ["SimJob", "SimJobs", "SCENARIOS"]

SCENARIOS = ("working", "current", "recommended")


@dataclass
class SimJob:
    """State of one simulation job (read by the progress route)."""

    job_id: str
    polyclinic_id: str
    weekday: int
    replications: int
    done: int = 0
    total: int = 0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    finished: bool = False
    seconds: float = 0.0

    @property
    def progress(self) -> float:
        """Share of the replications done (0..1)."""
        return self.done / self.total if self.total else 0.0


class SimJobs:
    """The studio's simulation jobs (a few kept; one thread each)."""

    def __init__(self, keep: int = 20) -> None:
        self._jobs: dict[str, SimJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._keep = keep

    def get(self, job_id: str) -> SimJob | None:
        """The job, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def start(
        self,
        model: ClinicModel,
        templates: dict[str, SlotTemplate],
        weekday: int,
        *,
        replications: int = 30,
        seed: int = 0,
        config: ClinicConfig | None = None,
    ) -> SimJob:
        """Start simulating ``templates`` (scenario name -> template) on ``weekday``."""
        with self._lock:
            job = SimJob(f"s{next(self._ids)}", model.polyclinic_id, weekday, replications)
            job.total = replications * len(templates)
            self._jobs[job.job_id] = job
            while len(self._jobs) > self._keep:
                self._jobs.pop(next(iter(self._jobs)))
        thread = threading.Thread(
            target=self._run,
            args=(job, model, templates, weekday, seed, config or ClinicConfig()),
            daemon=True,
        )
        thread.start()
        return job

    def _run(self, job, model, templates, weekday, seed, config) -> None:
        t0 = time.perf_counter()
        try:
            for name, tpl in templates.items():
                day = build_day(
                    model,
                    tpl,
                    int(weekday),
                    discipline=config.discipline,
                    late_threshold=config.late_threshold,
                )
                params = DayParams(day, config.service_mode)
                records = []
                for i in range(job.replications):
                    ss = np.random.SeedSequence(entropy=seed, spawn_key=(i,))
                    records.append(day_replication(params, ss))
                    job.done += 1
                summary = summarize(records, KPI_COLUMNS)
                summary["replications"] = job.replications
                job.results[name] = summary
        except Exception as exc:  # noqa: BLE001 - reported to the planner, never raised
            job.error = f"simulation failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            job.seconds = time.perf_counter() - t0
            job.finished = True
