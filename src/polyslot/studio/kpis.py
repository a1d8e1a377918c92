"""The studio's one KPI engine: the one clinic model's KPIs of one day of a template.

Every place of the studio that shows a KPI (editor, API, frontier, scenarios, compare) calls
:func:`day_kpis` and nothing else; it returns a :class:`DayKPIs` with each KPI's value, its
standard error and the ``source`` of the numbers. The day is built by the one builder
(:func:`polyslot.day.build_day`, with the run's discipline and late policy) and evaluated by
the one fast evaluator with the run's precision and the run's seed of that polyclinic and
weekday (:class:`~polyslot.evaluation.day_settings.DaySettings`), so the editor, the report's
``model`` rows and ``polyslot kpis`` give the same numbers for the same template; the day's
evaluation is a function of its slots alone, so the same grid gives the same numbers whatever
the path to it.

What-if factors (:class:`WhatIf`) are the run's sensitivity parameters, applied to the model by
:func:`polyslot.analysis.perturb.perturb` before the day is built: ``demand`` scales the
requests, which fill the slots by the one booking rule (:mod:`polyslot.day.booking`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from polyslot.analysis.perturb import perturb
from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.day import ClinicDay
from polyslot.errors import InputError
from polyslot.evaluation.clinic_day import DayMetrics
from polyslot.evaluation.day_settings import DaySettings, day_seed, polyclinic_seed
from polyslot.template import SlotTemplate
from polyslot.unreserved import with_unreserved

__all__ = [
    "WhatIf",
    "ModelIndex",
    "DayKPIs",
    "day_kpis",
    "from_metrics",
    "KPI_KEYS",
    "KPI_LABELS",
    "WHATIF_LIMITS",
    "WHATIF_STEP",
    "ANY",
]

#: Unreserved slot (any visit type may book it).
ANY = "any"

#: The KPI keys (issue 21's contract: the keys of comparison.csv without the suffixes).
KPI_KEYS = (
    "wait_mean",
    "wait_p90",
    "utilization",
    "overtime",
    "idle",
    "patients_served",
    "unmet_demand",
)

#: KPI name -> (label, unit) in display order (utilisation is a fraction, shown in percent).
KPI_LABELS: dict[str, tuple[str, str]] = {
    "wait_mean": ("Mean wait", "min"),
    "wait_p90": ("90th percentile wait", "min"),
    "idle": ("Doctor idle", "min"),
    "overtime": ("Overtime", "min"),
    "utilization": ("Utilisation", "%"),
    "patients_served": ("Patients served", "/day"),
    "unmet_demand": ("Unmet demand", "/day"),
}

#: What-if factor -> (lowest, highest) accepted: the server's check and the sliders' range (the
#: editor renders these numbers into its sliders).
WHATIF_LIMITS: dict[str, tuple[float, float]] = {
    "no_show": (0.0, 2.0),
    "duration_mean": (0.5, 2.0),
    "duration_cv": (0.5, 2.0),
    "demand": (0.0, 2.0),
    "punctuality": (0.0, 2.0),
}
#: Slider step of every what-if factor.
WHATIF_STEP = 0.05

#: ``source`` label of this engine and the captions the pages show for it.
SOURCE = "model"
SIMULATED_NOTE = (
    "the one clinic model: the whole day ({discipline} queue, walk-ins, no-shows, late "
    "arrivals), {n} simulated days with common random numbers; +- is the standard error"
)
EXACT_NOTE = (
    "the one clinic model: each doctor's list in appointment order, exact values "
    "(standard error 0)"
)
SOURCE_NOTE = SIMULATED_NOTE.format(discipline="pooled", n="many")


@dataclass(frozen=True)
class WhatIf:
    """Multiplicative what-if factors (1.0 = as estimated by the run)."""

    no_show: float = 1.0
    duration_mean: float = 1.0
    duration_cv: float = 1.0
    demand: float = 1.0
    punctuality: float = 1.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            lo, hi = WHATIF_LIMITS[f.name]
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= float(v) <= hi:
                raise InputError(f"must be a factor in [{lo:g}, {hi:g}]", field=f.name, value=v)

    def as_dict(self) -> dict[str, float]:
        """``{factor: value}``."""
        return {f.name: float(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def apply(self, model: ClinicModel) -> ClinicModel:
        """The perturbed model."""
        for name in ("no_show", "duration_mean", "duration_cv", "demand", "punctuality"):
            factor = float(getattr(self, name))
            if factor != 1.0:
                model = perturb(model, name, factor)
        return model


class ModelIndex:
    """One polyclinic's model under what-if factors, with the run's day settings and seed.

    Parameters
    ----------
    model : ClinicModel
        The run's model.
    whatif : WhatIf, optional
        Factors applied to the model (:meth:`WhatIf.apply`).
    settings : DaySettings, optional
        How the run built and evaluated its clinic days (default: the defaults of a run).
    seed : int, optional
        The run's seed of this polyclinic (default: a run's default seed)
        (:func:`~polyslot.evaluation.day_settings.polyclinic_seed`).
    """

    def __init__(
        self,
        model: ClinicModel,
        whatif: WhatIf | None = None,
        settings: DaySettings | None = None,
        seed: int | None = None,
    ) -> None:
        self.whatif = whatif or WhatIf()
        self.model = with_unreserved(self.whatif.apply(model))
        self.settings = settings or DaySettings.from_config(RunConfig())
        if seed is None:  # a run's default seed of this polyclinic
            seed = polyclinic_seed(RunConfig().seed, model.polyclinic_id)
        self.seed = int(seed)
        self.slot_minutes = int(model.slot_minutes)
        self.sessions = {(s.weekday, s.session_id): s for s in model.sessions}

    @property
    def visit_types(self) -> tuple[str, ...]:
        """The model's visit types."""
        return tuple(self.model.visit_types)

    def day(self, template: SlotTemplate, weekday: int, label: str = "") -> ClinicDay:
        """The clinic day of ``weekday`` of ``template`` (the one builder)."""
        return self.settings.build(self.model, template, weekday, label)

    def evaluate(self, day: ClinicDay) -> DayMetrics:
        """The one fast evaluator with the run's precision and seed."""
        return self.settings.evaluate(day, day_seed(self.seed, day.weekday))


@dataclass(frozen=True)
class DayKPIs:
    """KPIs of one clinic day (minutes; utilisation as a fraction; patients per day).

    ``se`` holds each KPI's standard error (0.0 for an exact figure, None when unknown),
    ``source`` the engine's label and ``note`` the caption the pages show for it.
    """

    wait_mean: float
    wait_p90: float
    idle: float
    overtime: float
    utilization: float
    patients_served: float
    unmet_demand: float
    slots: int
    by_hour: dict[int, float]
    se: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(KPI_KEYS, 0.0))
    source: str = SOURCE
    note: str = SOURCE_NOTE

    def value(self, name: str) -> float:
        """The value of KPI ``name``."""
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (hours as ``HH:00`` keys)."""
        d = dataclasses.asdict(self)
        d["by_hour"] = {f"{h:02d}:00": round(v, 4) for h, v in sorted(self.by_hour.items())}
        return d


def _empty() -> DayKPIs:
    return DayKPIs(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, {})


def from_metrics(day: ClinicDay, metrics: DayMetrics) -> DayKPIs:
    """The :class:`DayKPIs` of an evaluated day."""
    exact = metrics.method == "exact"
    return DayKPIs(
        wait_mean=metrics.value("wait_mean"),
        wait_p90=metrics.value("wait_p90"),
        idle=metrics.value("idle"),
        overtime=metrics.value("overtime"),
        utilization=metrics.value("utilization"),
        patients_served=metrics.value("patients_served"),
        unmet_demand=metrics.value("unmet_demand"),
        slots=len(day.slots),
        by_hour=dict(metrics.by_hour),
        se={k: float(metrics[k].se) for k in KPI_KEYS},
        source="model",
        note=(EXACT_NOTE if exact else SIMULATED_NOTE).format(
            discipline=day.discipline.value.replace("_", " "), n=metrics.replications
        ),
    )


def day_kpis(index: ModelIndex, template: SlotTemplate, weekday: int) -> DayKPIs:
    """KPIs of ``weekday`` of ``template`` under the index's what-if factors (the studio's one
    KPI function): the one clinic model, evaluated with the run's settings and seed.

    The result is a function of the day's slots: the same day gives the same numbers, bit for
    bit.
    """
    if not any(s.weekday == weekday for s in template.slots):
        return _empty()
    day = index.day(template, weekday)
    return from_metrics(day, index.evaluate(day))
