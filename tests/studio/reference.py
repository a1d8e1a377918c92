"""Reference: the one clinic model's KPIs of a day, computed without the studio's code (the
builder and the fast evaluator called directly, with a run's default settings and the run's seed
of the polyclinic and weekday)."""

from __future__ import annotations

from polyslot.analysis.perturb import perturb
from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig
from polyslot.day import build_day
from polyslot.evaluation.clinic_day import evaluate_clinic_day
from polyslot.evaluation.day_settings import DaySettings, day_seed, polyclinic_seed
from polyslot.template import SlotTemplate


def reference_metrics(model: ClinicModel, template: SlotTemplate, weekday: int, factor=1.0):
    """The day's :class:`~polyslot.evaluation.clinic_day.DayMetrics` (demand times ``factor``)."""
    cfg = RunConfig()
    settings = DaySettings.from_config(cfg)
    m = perturb(model, "demand", factor) if factor != 1.0 else model
    day = build_day(
        m, template, weekday, discipline=settings.discipline,
        late_threshold=settings.late_threshold,
    )  # fmt: skip
    seed = day_seed(polyclinic_seed(cfg.seed, model.polyclinic_id), weekday)
    return evaluate_clinic_day(
        day, seed=seed, rel_se=settings.rel_se, abs_se=settings.abs_se,
        max_replications=settings.max_replications,
    )  # fmt: skip


def reference_day(model: ClinicModel, template: SlotTemplate, weekday: int, factor=1.0):
    """``{wait_mean, wait_p90, idle, overtime, utilization, patients_served, unmet_demand}``
    (minutes, fraction, patients a day) and their standard errors under ``se``."""
    m = reference_metrics(model, template, weekday, factor)
    keys = ("wait_mean", "wait_p90", "idle", "overtime", "utilization", "patients_served",
            "unmet_demand")
    out = {k: m.value(k) for k in keys}
    out["se"] = {k: m[k].se for k in keys}
    return out
