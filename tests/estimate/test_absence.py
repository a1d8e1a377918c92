"""Whole-day doctor absences from a roster with known gaps (:mod:`polyslot.estimate.absence`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from polyslot.clinic_model import DoctorSession
from polyslot.estimate.absence import (
    DEFAULT_LOST,
    MIN_ABSENT_DATES,
    estimate_absence,
)
from polyslot.examples import example_clinic_model

MONDAYS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=k) for k in range(40)]


def _model(doctors: int = 4):
    m = example_clinic_model(doctors=doctors)
    sessions = tuple(DoctorSession(0, f"Mon-AM-D{k + 1:02d}", 480, 720) for k in range(doctors))
    return dataclasses.replace(m, sessions=sessions)


def _roster(absent: list[int], doctors: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {"d": MONDAYS[: len(absent)], "s0": 480, "s1": 720,
         "doctors": [doctors - a for a in absent]}
    )  # fmt: skip


def test_rate_is_absent_over_planned_shrunk_to_the_polyclinic_rate() -> None:
    absent = [1 if k % 5 == 0 else 0 for k in range(40)]  # 8 of 160 doctor-sessions
    m = estimate_absence(_model(), _roster(absent), prior=0.0)
    assert m.absence.rate == {0: pytest.approx(8 / 160)}
    assert (m.absence.planned, m.absence.absent) == (160, 8)
    # one weekday only: the polyclinic's rate is the weekday's whatever the prior
    assert estimate_absence(_model(), _roster(absent)).absence.rate[0] == pytest.approx(0.05)


def test_lost_share_from_bookings_on_short_staffed_days() -> None:
    absent = [k % 4 == 0 for k in range(40)]
    absent = [int(a) for a in absent]
    per_doctor = 20.0
    roster = _roster(absent)
    # the absent doctor's bookings are all lost: 20 fewer bookings per absent doctor
    lost_all = pd.DataFrame({"d": MONDAYS, "y": [80.0 - per_doctor * a for a in absent]})
    m = estimate_absence(_model(), roster, lost_all)
    assert m.absence.lost == pytest.approx(1.0)
    # half of them lost: 10 fewer bookings per absent doctor (of the 20 a doctor on duty has)
    half = pd.DataFrame({"d": MONDAYS, "y": [80.0 - 10.0 * a for a in absent]})
    assert estimate_absence(_model(), roster, half).absence.lost == pytest.approx(
        10.0 / (sum(80.0 - 10.0 * a for a in absent) / sum(4 - a for a in absent)))
    # the bookings do not drop: the colleagues see the absent doctor's patients
    kept = pd.DataFrame({"d": MONDAYS, "y": [80.0] * 40})
    assert estimate_absence(_model(), roster, kept).absence.lost == 0.0
    # too few short-staffed dates to learn it: the default, said so
    few = [1 if k < MIN_ABSENT_DATES - 1 else 0 for k in range(40)]
    m = estimate_absence(_model(), _roster(few), kept)
    assert m.absence.lost == DEFAULT_LOST and "not learned" in m.absence.evidence


def test_no_absence_no_rate() -> None:
    m = estimate_absence(_model(), _roster([0] * 40))
    assert m.absence.rate == {} and m.absence.absent == 0
    assert "every planned doctor" in m.absence.evidence
    # a roster without the model's periods says nothing
    other = _roster([0] * 40).assign(s0=840, s1=1020)
    assert estimate_absence(_model(), other).absence.source == "no_roster"
