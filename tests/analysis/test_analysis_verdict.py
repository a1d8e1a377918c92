"""Verdict logic on constructed paired differences (better, worse, no difference, overloaded)."""

from __future__ import annotations

import numpy as np
import pytest

from polyslot.analysis.verdict import (
    Interval,
    VerdictKind,
    combine_intervals,
    decide,
    low_confidence,
    paired_interval,
    skipped_verdict,
)


def _iv(mean: float, half: float) -> Interval:
    return Interval(mean, mean - half, mean + half, 20)


def test_paired_interval_matches_student_t_by_hand() -> None:
    cur = [10.0, 12.0, 11.0, 13.0]
    rec = [8.0, 11.0, 9.0, 10.0]  # differences -2, -1, -2, -3: mean -2, sd 0.8165
    iv = paired_interval(cur, rec)
    half = 3.182446 * 0.816497 / 2.0
    assert iv.mean == pytest.approx(-2.0)
    assert iv.low == pytest.approx(-2.0 - half, abs=1e-5)
    assert iv.high == pytest.approx(-2.0 + half, abs=1e-5)
    assert iv.below_zero and not iv.above_zero
    # the shorter sequence sets the pairs; one pair has no interval
    assert paired_interval([1.0, 2.0], [0.0]).high == np.inf


def test_combine_adds_half_widths_in_quadrature() -> None:
    c = combine_intervals([_iv(-3.0, 3.0), _iv(-1.0, 4.0)])
    assert c.mean == pytest.approx(-4.0)
    assert c.high - c.mean == pytest.approx(5.0)


def test_better_is_recommended() -> None:
    v = decide(_iv(-120.0, 30.0), _iv(2.0, 5.0))
    assert v.verdict == "recommend" and v.confidence == "high"
    assert "120" in v.reason


def test_worse_is_keep_current_with_reason() -> None:
    v = decide(_iv(80.0, 20.0), _iv(0.0, 3.0))
    assert v.verdict == "keep_current"
    assert "worse" in v.reason and "80" in v.reason


def test_no_difference_is_keep_current() -> None:
    v = decide(_iv(-10.0, 25.0), _iv(0.0, 3.0))
    assert v.verdict == "keep_current"
    assert "includes zero" in v.reason


def test_fewer_patients_blocks_unless_a_trade_was_chosen() -> None:
    better, fewer = _iv(-300.0, 50.0), _iv(-6.0, 2.0)
    assert decide(better, fewer).verdict == "keep_current"
    assert "6 fewer patients" in decide(better, fewer).reason
    # overloaded clinic whose chosen frontier point trades patients for finishing on time
    traded = decide(better, fewer, policy="balanced", trade_allowed=True)
    assert traded.verdict == "recommend" and "6 fewer patients" in traded.reason
    # fewer patients within the CI (not significant) does not block
    assert decide(better, _iv(-1.0, 3.0)).verdict == "recommend"


def test_throughput_policy_blocks_any_loss_that_is_not_a_chosen_trade() -> None:
    v = decide(_iv(-500.0, 10.0), _iv(-3.0, 1.0), policy="throughput", max_patient_loss=50.0)
    assert v.verdict == "keep_current"
    assert "throughput" in v.reason
    # the chosen point of the frontier is a deliberate trade: recommended, the loss stated
    t = decide(_iv(-500.0, 10.0), _iv(-3.0, 1.0), policy="throughput", trade_allowed=True)
    assert t.verdict == "recommend"
    assert "3 fewer patients a week" in t.reason


def test_a_small_loss_of_patients_is_weighed_not_blocking_under_balanced() -> None:
    """The issue's case: a 0.7% loss (7 patients a week, CI -13.9 to -0.1) must not turn an 88%
    wait reduction into keep_current under balanced; a loss beyond the materiality still does."""
    patients = Interval(-7.0, -13.9, -0.1, 60)
    better = _iv(-16000.0, 400.0)
    week = 1000.0
    v = decide(better, patients, policy="balanced", max_patient_loss=0.01 * week)
    assert v.verdict == "recommend"
    assert "7 fewer patients a week" in v.reason
    assert v.traded[0]["kpi"] == "patients" and v.traded[0]["change"] == -7.0
    big = Interval(-30.0, -40.0, -20.0, 60)
    k = decide(better, big, policy="balanced", max_patient_loss=0.01 * week)
    assert k.verdict == "keep_current" and "max_patient_loss" in k.reason
    # the same loss blocks under throughput
    assert decide(better, patients, policy="throughput",
                  max_patient_loss=0.01 * week).verdict == "keep_current"


def test_every_material_change_is_stated_with_its_size() -> None:
    others = {
        "overtime": Interval(163.0, 120.0, 206.0, 60),  # worse beyond its CI: stated
        "utilization": Interval(-0.004, -0.006, -0.002, 60),  # down beyond its CI: stated
        "wait_p90": Interval(-30.0, -31.0, -29.0, 60),  # better: not a trade
    }
    v = decide(_iv(-16000.0, 400.0), _iv(0.5, 1.0), others=others)
    assert v.verdict == "recommend"
    assert "163 more overtime doctor-minutes a week" in v.reason
    assert "0.4 percentage points of utilisation less" in v.reason
    assert [t["kpi"] for t in v.traded] == ["overtime", "utilization"]
    # a worsening inside its interval is not material
    quiet = {"overtime": Interval(10.0, -5.0, 25.0, 60)}
    assert decide(_iv(-16000.0, 400.0), _iv(0.5, 1.0), others=quiet).traded == ()


def test_low_confidence_and_skipped() -> None:
    v = low_confidence(decide(_iv(-50.0, 10.0), _iv(0.0, 1.0)), "mean wait model 9.0 vs 6.0")
    assert (v.verdict, v.confidence) == ("recommend", "low")
    assert "mean wait model 9.0 vs 6.0" in v.reason
    s = skipped_verdict("Mon 08:00-12:00: acute needs 14 slots, staff allow 9")
    assert s.verdict is VerdictKind.SKIPPED
    assert s.to_dict() == {
        "verdict": "skipped",
        "reason": "Mon 08:00-12:00: acute needs 14 slots, staff allow 9",
        "confidence": "low",
    }
    with pytest.raises(ValueError):
        decide(_iv(-1.0, 0.5), _iv(0.0, 1.0), policy="fastest")
