"""The fast evaluator agrees with the SimPy simulator on every sample polyclinic and weekday.

The models are estimated from polyslot's sample network (6 polyclinics, 16 weeks); each
weekday's current template is built once (:func:`polyslot.day.build.build_day`) and run by
both engines: the compiled one (:mod:`polyslot.evaluation.clinic_day`, 4096 replications with
common random numbers) and SimPy (:mod:`polyslot.simulate`, its own sampling and queue code,
240 independent replications). Every KPI must lie within 3.5 standard errors of the
difference: with 6 x 6 days x 4 KPIs = 144 comparisons, a correct pair fails one of them with
probability about 7% on some seed, and the seeds here are fixed, so this test is
deterministic; a wrong queue or sampling rule fails it by tens of standard errors.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from polyslot.clinic_model import ClinicModel
from polyslot.config import load_config
from polyslot.evaluation.clinic_day import evaluate_clinic_day
from polyslot.evaluation.day_settings import DaySettings
from polyslot.runners.local import estimate_models, prepare_data
from polyslot.simulate.clinic_runs import simulate_clinic_day

POLYCLINICS = ("PC01", "PC02", "PC03", "PC04", "PC05", "PC06")
#: fast-evaluator KPI -> (SimPy mean key, SimPy 95% CI half-width key)
PAIRS = {
    "wait_mean": ("wait_mean", "wait_mean_ci"),
    "utilization": ("utilization", "utilization_ci"),
    "patients_served": ("patients_seen", "patients_seen_ci"),
    "overtime": ("doctor_overtime", "doctor_overtime_ci"),
}
Z_MAX = 3.5


@pytest.fixture(scope="module")
def sample_models(tmp_path_factory) -> dict[str, ClinicModel]:
    config = load_config(
        overrides={"workers": 1, "holdout_days": 0, "sample": {"polyclinics": 6, "days": 112}}
    )
    out = Path(tmp_path_factory.mktemp("agree")) / "out"
    out.mkdir()
    store = prepare_data(None, config, out)
    models, _ = estimate_models(store, config, out)
    return models


@pytest.mark.parametrize("polyclinic", POLYCLINICS)
def test_fast_evaluator_agrees_with_simpy_on_every_weekday(sample_models, polyclinic) -> None:
    model = sample_models[polyclinic]
    settings = DaySettings()
    weekdays = sorted({s.weekday for s in model.current_template.slots})
    assert len(weekdays) >= 5
    for wd in weekdays:
        day = settings.build(model, model.current_template, wd)
        k = POLYCLINICS.index(polyclinic)
        fast = evaluate_clinic_day(day, seed=31 + 10 * k + wd, replications=4096)
        sim = simulate_clinic_day(day, replications=240, seed=570 + 10 * k + wd)
        for key, (mean, ci) in PAIRS.items():
            f, s, s_se = fast[key], sim[mean], sim[ci] / 1.96
            z = (f.mean - s) / math.hypot(f.se, s_se)
            assert abs(z) < Z_MAX, (polyclinic, wd, key, f.mean, f.se, s, s_se, z)
