"""The one clinic model reproduces histories it did not generate (tests/foreign/histories.py):
today's template through the model vs the history, within the fidelity tolerances; and the
queue discipline estimated is the clinic's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from histories import TRUTH, write_histories  # noqa: E402

from polyslot.analysis.fidelity import fidelity_report  # noqa: E402
from polyslot.analysis.observed import observed_history  # noqa: E402
from polyslot.analysis.trust import model_weekdays  # noqa: E402
from polyslot.config import load_config  # noqa: E402
from polyslot.evaluation.day_settings import (  # noqa: E402
    DaySettings,
    day_seed,
    polyclinic_seed,
)
from polyslot.runners.local import estimate_models, prepare_data  # noqa: E402


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("foreign")
    data = write_histories(tmp / "data", weeks=16)
    cfg = load_config(overrides={"holdout_days": 14, "workers": 1})
    store = prepare_data(data, cfg, tmp / "out")
    models, cutoff = estimate_models(store, cfg, tmp / "out")
    return cfg, models, observed_history(store, cutoff)


def fidelity_of(cfg, model, history) -> dict:
    """Today's template through the one model on every weekday vs the history."""
    settings = DaySettings.from_config(cfg)
    seed = polyclinic_seed(cfg.seed, model.polyclinic_id)
    runs, days = {}, {}
    for d in model.current_template.weekdays:
        day = settings.build(model, model.current_template, d, "current")
        runs[("current", d)] = settings.evaluate(day, day_seed(seed, d))
        days[("current", d)] = day
    return fidelity_report(model_weekdays(runs, days), history.weekdays, cfg.fidelity)


@pytest.mark.parametrize("pid", sorted(TRUTH))
def test_the_model_reproduces_a_foreign_history(fitted, pid) -> None:
    cfg, models, histories = fitted
    model = models[pid]
    fid = fidelity_of(cfg, model, histories[pid])
    assert fid["within_tolerance"] is True, (pid, fid["gap"], fid["week"])
    # the queue the model plans with is the clinic's own
    assert model.queue.discipline == TRUTH[pid]["discipline"], model.queue


def test_an_always_full_session_is_full_in_the_model(fitted) -> None:
    _cfg, models, _h = fitted
    m = models["SOLO"]
    from polyslot.day import build_day

    day = build_day(m, m.current_template, 2)
    assert min(s.booked for s in day.slots) > 0.97  # every slot booked, as in the history
    assert all(c["applies_to"] == "demand" for c in m.booking.calibration)


def test_late_cancellations_are_learned(fitted) -> None:
    _cfg, models, _h = fitted
    got = models["SPLIT"].booking.cancellation
    assert all(abs(v - TRUTH["SPLIT"]["cancel"]) < 0.03 for v in got.values()), got
