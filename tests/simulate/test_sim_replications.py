"""Seeded replications: independence from workers and batching, the CI stopping rule, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polyslot.errors import DataError, InputError
from polyslot.simulate.history import history_days
from polyslot.simulate.kpis import mean_ci
from polyslot.simulate.replications import run_replications


def normal_draw(params: tuple[float, float], seed: np.random.SeedSequence) -> float:
    mu, sd = params
    return float(np.random.default_rng(seed).normal(mu, sd))


def test_sim_replications_do_not_depend_on_workers_or_batches() -> None:
    a = run_replications(normal_draw, (5.0, 2.0), 7, replications=40)
    b = run_replications(normal_draw, (5.0, 2.0), 7, replications=40, workers=2)
    c = run_replications(
        normal_draw, (5.0, 2.0), 7, replications=40, metric=float, target_abs=1e-9, batch=3
    )  # never met: runs to the cap in batches of 3
    assert a.records == b.records == c.records
    assert not c.converged and c.replications == 40


def test_sim_replications_stop_when_half_width_meets_target() -> None:
    run = run_replications(
        normal_draw, (10.0, 3.0), 1, replications=100_000, metric=float, target_rel=0.02, batch=50
    )
    assert run.converged
    m, h = mean_ci(run.records)
    assert h <= 0.02 * abs(m)
    # half-width ~ 1.96 * 3 / sqrt(n) <= 0.2  ->  n ~ 865; stops within one batch of it
    assert 700 <= run.replications <= 1100
    assert abs(m - 10.0) <= 3 * h


def test_sim_mean_ci_closed_form() -> None:
    m, h = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert m == 2.5
    assert h == pytest.approx(3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2)
    assert mean_ci([3.0])[1] == float("inf")


def test_sim_replications_bad_input() -> None:
    with pytest.raises(InputError, match="metric"):
        run_replications(normal_draw, (0.0, 1.0), 0, target_rel=0.1)
    with pytest.raises(InputError, match="workers"):
        run_replications(normal_draw, (0.0, 1.0), 0, workers=0)


def test_sim_history_missing_column_is_a_data_error() -> None:
    att = pd.DataFrame({"polyclinic_id": ["P"], "visit_type": ["a"]})
    ros = pd.DataFrame(
        {
            "polyclinic_id": ["P"],
            "date": ["2025-01-01"],
            "start_time": ["08:00"],
            "end_time": ["12:00"],
            "doctors": [2],
        }
    )
    with pytest.raises(DataError, match="appointment_ts"):
        history_days(att, ros, "P")
