"""The generated data agree with the true parameters in truth.json (tolerances from n)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from polyslot.synthetic import generate_network
from polyslot.synthetic.parameters import (
    PUNCTUALITY,
    VISIT_TYPES,
    lognormal_params,
    no_show_probability,
    seasonal_factor,
)

Z = 4.0  # tolerance in standard errors


@pytest.fixture(scope="module")
def net():
    return generate_network(2, 56, seed=2024)


def _prior_no_shows(b: pd.DataFrame) -> np.ndarray:
    """No-shows of the same patient on earlier days (same polyclinic), per booked row."""
    b = b.assign(day=b["appointment_ts"].dt.normalize(), ns=(b["status"] == "no_show") * 1)
    per_day = b.groupby(["polyclinic_id", "patient_id", "day"])["ns"].sum().reset_index()
    per_day["prior"] = per_day.groupby(["polyclinic_id", "patient_id"])["ns"].cumsum()
    per_day["prior"] -= per_day["ns"]
    merged = b.merge(per_day[["polyclinic_id", "patient_id", "day", "prior"]], how="left")
    return merged["prior"].to_numpy()


def test_no_show_follows_the_true_logistic_model(net) -> None:
    a = net.attendances
    b = a[a["appointment_ts"].notna()].reset_index(drop=True)
    prior = _prior_no_shows(b)
    lead = (b["appointment_ts"] - b["booking_ts"]).dt.total_seconds() / 86400
    p = no_show_probability(b["visit_type"], lead, b["age_group"], prior)
    kept = (b["status"] != "cancelled").to_numpy()
    y = (b["status"] == "no_show").to_numpy()[kept]
    p = p[kept]
    vt = b["visit_type"].to_numpy()[kept]
    for v in VISIT_TYPES:
        m = vt == v.name
        sd = np.sqrt(np.sum(p[m] * (1 - p[m])))
        assert abs(y[m].sum() - p[m].sum()) <= Z * sd + 1, v.name
        assert 0.05 <= y[m].mean() <= 0.30, v.name
    # rises with lead time: long-lead bookings miss more often than same-day ones
    lk = lead.to_numpy()[kept]
    assert y[lk >= 14].mean() > y[lk < 1].mean()


def test_cancellations_match_truth(net) -> None:
    b = net.attendances[net.attendances["appointment_ts"].notna()]
    for v in VISIT_TYPES:
        c = b.loc[b["visit_type"] == v.name, "status"] == "cancelled"
        sd = np.sqrt(len(c) * v.cancel_prob * (1 - v.cancel_prob))
        assert abs(c.sum() - len(c) * v.cancel_prob) <= Z * sd + 1, v.name


def test_consultation_times_are_the_true_lognormals(net) -> None:
    a = net.attendances
    s = a[a["consultation_duration_minutes"].notna()]
    for pc, info in net.truth["polyclinics"].items():
        for v in VISIT_TYPES:
            x = s.loc[(s["polyclinic_id"] == pc) & (s["visit_type"] == v.name)]
            x = x["consultation_duration_minutes"].to_numpy()
            mu, sigma = lognormal_params(v.mean_minutes * info["duration_factor"], v.cv)
            n = x.size
            assert n > 30
            logs = np.log(x)
            assert abs(logs.mean() - mu) <= Z * sigma / np.sqrt(n) + 0.01, (pc, v.name)
            assert abs(logs.std() - sigma) <= Z * sigma / np.sqrt(2 * n) + 0.01, (pc, v.name)
            cv = x.std() / x.mean()
            assert abs(cv - v.cv) <= 0.25 * v.cv, (pc, v.name)


def test_daily_requests_match_the_true_means(net) -> None:
    a = net.attendances
    truth = net.truth
    k = truth["demand"]["dispersion"]
    open_days = net.roster.groupby("polyclinic_id")["date"].unique()
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    for pc, info in truth["polyclinics"].items():
        days = sorted(open_days[pc])
        season = seasonal_factor(days)
        booked = a[(a["polyclinic_id"] == pc) & a["appointment_ts"].notna()]
        for v in VISIT_TYPES:
            mean = np.array([info["daily_mean"][v.name][names[d.weekday()]] for d in days])
            m = mean * season
            expected, sd = m.sum(), np.sqrt(np.sum(m + m**2 / k))
            req = info["requests"][v.name]
            assert abs(req - expected) <= Z * sd, (pc, v.name)
            # every request is either booked (a row) or lost
            n_booked = int((booked["visit_type"] == v.name).sum())
            assert n_booked + info["lost_requests"][v.name] == req
    # Monday peak
    for info in truth["polyclinics"].values():
        dm = info["daily_mean"]["acute"]
        assert dm["Mon"] == max(dm.values())


def test_punctuality_mixture(net) -> None:
    a = net.attendances
    off = ((a["arrival_ts"] - a["appointment_ts"]).dt.total_seconds() / 60).dropna().to_numpy()
    n = off.size
    shares = {
        "early": np.mean(off < 0),
        "late": np.mean((off >= 0) & (off <= 15)),
        "very_late": np.mean(off > 15),
    }
    for name, comp in PUNCTUALITY.items():
        w = float(comp["weight"])
        assert abs(shares[name] - w) <= Z * np.sqrt(w * (1 - w) / n) + 0.002, name
    assert off.min() >= -20 - 1e-9


def test_seen_patients_wait_and_morning_is_busier(net) -> None:
    a = net.attendances
    s = a[a["consult_start_ts"].notna()]
    wait = (s["consult_start_ts"] - s["arrival_ts"]).dt.total_seconds() / 60
    assert wait.min() >= 0
    assert wait.mean() > 0.5  # a real queue, not an empty clinic
    hour = s["consult_start_ts"].dt.hour
    assert (hour < 12).sum() > (hour >= 12).sum()


def test_walk_ins_by_hour(net) -> None:
    w = net.attendances[net.attendances["status"] == "walk_in"]
    assert len(w) > 0
    assert set(w["visit_type"]) <= {"acute", "vaccination"}
    hours = w["arrival_ts"].dt.hour
    assert hours.between(8, 16).all()
    assert (hours < 12).mean() > 0.5


def test_no_show_predictions_are_calibrated(net) -> None:
    a = net.attendances.merge(net.no_show_predictions, on="attendance_id")
    a = a[a["status"].isin(["attended", "no_show"])]
    y = (a["status"] == "no_show").to_numpy()
    p = a["probability"].to_numpy()
    sd = np.sqrt(np.sum(p * (1 - p)))
    assert abs(y.sum() - p.sum()) <= Z * sd
    bins = pd.qcut(p, 4, duplicates="drop")
    for _, g in pd.DataFrame({"y": y, "p": p}).groupby(bins, observed=True):
        sd = np.sqrt(np.sum(g["p"] * (1 - g["p"])))
        assert abs(g["y"].sum() - g["p"].sum()) <= Z * sd + 1


def test_demand_forecast_is_honest(net) -> None:
    f = net.demand_forecast
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    true = np.array(
        [
            net.truth["polyclinics"][r.polyclinic_id]["daily_mean"][r.visit_type][
                names[r.date.weekday()]
            ]
            for r in f.itertuples()
        ]
    ) * seasonal_factor(list(f["date"]))
    ratio = np.log(f["expected_requests"].to_numpy() / true)
    assert abs(ratio.mean()) < Z * 0.1 / np.sqrt(ratio.size) + 0.01
    assert 0.07 < ratio.std() < 0.13


def test_chronic_patients_revisit(net) -> None:
    c = net.attendances[net.attendances["visit_type"] == "chronic_followup"]
    c = c.sort_values("appointment_ts")
    gaps = c.groupby(["polyclinic_id", "patient_id"])["appointment_ts"].diff().dropna()
    assert len(gaps) > 50
    assert gaps.min() >= timedelta(days=28 - 3 - 7)
    assert gaps.median() <= timedelta(days=56)
