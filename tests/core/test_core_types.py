"""Core types: SlotTemplate, ClinicModel JSON round trip, schedule parsing, discretisation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from polyslot.clinic_model import ClinicModel
from polyslot.distributions import discretize, gamma, lognormal, pmf_mean, pmf_var
from polyslot.errors import InputError
from polyslot.examples import example_clinic_model
from polyslot.schedule import parse_schedule
from polyslot.template import Slot, SlotTemplate


def test_clinic_model_json_round_trip(tmp_path) -> None:
    m = example_clinic_model()
    path = m.to_json(tmp_path / "m.json")
    again = ClinicModel.from_json(path)
    assert again.to_dict() == m.to_dict()
    assert json.loads(path.read_text())["polyclinic_id"] == "EX01"


def test_template_counts_match_slots() -> None:
    t = example_clinic_model(doctors=2).current_template
    counts = t.counts()
    assert counts["slots"].sum() == len(t.slots)
    # block booking: 3 patients at 08:00 per doctor, 4 slots per hour after that
    mon8 = counts[(counts.weekday == 0) & (counts.bucket_start == 480)]["slots"].sum()
    assert mon8 == 2 * (3 + 3)


def test_slot_validation_names_field() -> None:
    with pytest.raises(InputError, match="duration_minutes"):
        Slot(0, 480, 0, "acute", "s")
    with pytest.raises(InputError, match="weekday"):
        Slot(9, 480, 10, "acute", "s")


def test_template_round_trip_dict_and_frame() -> None:
    t = SlotTemplate("P", (Slot(1, 545, 10, "a", "s1", True), Slot(0, 480, 15, "b", "s2")))
    assert SlotTemplate.from_dict(t.to_dict()) == t
    assert SlotTemplate.from_frame("P", t.to_frame()) == t
    assert t.slots[0].start_time == "08:00"


@pytest.mark.parametrize("family", ["lognormal", "gamma"])
def test_discretize_preserves_mean_and_variance(family: str) -> None:
    dist = {"lognormal": lognormal, "gamma": gamma}[family](12.0, 0.5)
    pmf = discretize(dist, 1.0)
    assert abs(pmf.sum() - 1) < 1e-12
    # rounding to the nearest slot adds ~1/12 slot^2 of variance (Sheppard), keeps the mean
    assert pmf_mean(pmf) == pytest.approx(12.0, abs=0.02)
    assert pmf_var(pmf) == pytest.approx(36.0 + 1 / 12, rel=0.01)


def test_discretize_exact_bins() -> None:
    dist = stats.expon(scale=2.0)
    pmf = discretize(dist, 1.0, tail=1e-9)
    assert pmf[0] == pytest.approx(dist.cdf(0.5))
    assert pmf[3] == pytest.approx(dist.cdf(3.5) - dist.cdf(2.5))


def test_parse_schedule_sorts_and_validates() -> None:
    s = parse_schedule(
        {
            "session_end": 30,
            "patients": [
                {"appointment": 10, "service": {"deterministic": 5}},
                {"appointment": 0, "service": {"pmf": [0, 1]}, "no_show": 0.2},
            ],
        }
    )
    assert list(s.appointments) == [0, 10]
    assert np.argmax(s.patients[1].service_array()) == 5


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"session_end": 5, "patients": []}, "patients"),
        (
            {"session_end": -1, "patients": [{"appointment": 0, "service": {"pmf": [1]}}]},
            "session_end",
        ),
        (
            {"session_end": 5, "patients": [{"appointment": 1.5, "service": {"pmf": [1]}}]},
            "appointment",
        ),
        (
            {"session_end": 5, "patients": [{"appointment": 0, "service": {"pmf": [1.2, -0.2]}}]},
            "pmf",
        ),
        (
            {
                "session_end": 5,
                "patients": [{"appointment": 0, "service": {"pmf": [1]}, "no_show": 2}],
            },
            "no_show",
        ),
        (
            {
                "session_end": 5,
                "extra": 1,
                "patients": [{"appointment": 0, "service": {"pmf": [1]}}],
            },
            "extra",
        ),
    ],
)
def test_parse_schedule_errors_name_field(bad: dict, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_schedule(bad, source="s.json")
    assert field in str(info.value) and "s.json" in str(info.value)


def test_atomic_write_replaces_whole_file_with_normal_permissions(tmp_path) -> None:
    import os
    import stat

    from polyslot.atomic import atomic_path, write_json

    target = write_json(tmp_path / "out" / "a.json", {"x": 1})
    assert json.loads(target.read_text()) == {"x": 1}
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o666 & ~umask
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert json.loads(target.read_text()) == {"x": 1}  # the old file is intact
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]  # no temporary left
