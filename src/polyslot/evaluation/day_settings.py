"""DaySettings: how a run builds and evaluates its clinic days (``[simulate]`` of the config).

Every stage that evaluates a template (the optimizer's calibration and sequencing, the
frontier, sensitivity, the verdict, the studio) takes these settings, so they all build the
same day (:func:`polyslot.day.build_day`: discipline, late policy) and evaluate it to the same
precision with the same seeds (:func:`day_seed`: one per weekday, shared by every template).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.day import ClinicDay, build_day
from polyslot.evaluation.clinic_day import DayMetrics, evaluate_clinic_day
from polyslot.template import Slot, SlotTemplate

__all__ = ["DaySettings", "day_seed", "polyclinic_seed"]


def polyclinic_seed(seed: int, polyclinic_id: str) -> int:
    """A stable per-polyclinic seed (independent of runner, worker and order)."""
    ss = np.random.SeedSequence([int(seed), zlib.crc32(polyclinic_id.encode())])
    return int(ss.generate_state(1, np.uint32)[0])


def day_seed(seed: int, weekday: int) -> int:
    """The seed of a weekday's days (the same for every template: paired)."""
    return int(seed) + 1000 * int(weekday)


@dataclass(frozen=True)
class DaySettings:
    """How the days are built and evaluated (from ``[simulate]`` of the run's config)."""

    discipline: str = "auto"
    late_threshold: float | None = 15.0
    rel_se: float = 0.01
    abs_se: float = 0.05
    max_replications: int = 4096

    @classmethod
    def from_config(cls, config: RunConfig) -> DaySettings:
        """The run's settings (``[simulate]``: discipline, late policy, precision)."""
        s = config.simulate
        return cls(
            discipline=s.discipline,
            late_threshold=s.late_threshold_minutes,
            rel_se=s.model_rel_se,
            abs_se=s.model_abs_se,
            max_replications=s.model_max_replications,
        )

    def build(
        self,
        model: ClinicModel,
        template: SlotTemplate | tuple[Slot, ...] | list[Slot],
        weekday: int,
        label: str = "",
    ) -> ClinicDay:
        """The clinic day of ``template`` on ``weekday``."""
        return build_day(
            model,
            template,
            weekday,
            discipline=self.discipline,
            late_threshold=self.late_threshold,
            label=label,
        )

    def evaluate(self, day: ClinicDay, seed: int, records: int = 0) -> DayMetrics:
        """The fast evaluator with these settings."""
        return evaluate_clinic_day(
            day,
            seed=seed,
            rel_se=self.rel_se,
            abs_se=self.abs_se,
            max_replications=self.max_replications,
            records=records,
        )
