"""Unit checks of the estimation building blocks against closed forms and simulations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from polyslot.errors import ConfigError, InputError, NotFittedError
from polyslot.estimate import EstimateConfig, NoShowModel
from polyslot.estimate.demand import nb_interval
from polyslot.estimate.demand_model import CensoredNegBin, design, expected_bookings
from polyslot.estimate.durations import Moments, fit_family


@given(mean=st.floats(2.0, 60.0), cv=st.floats(0.1, 1.2))
@settings(max_examples=40, deadline=None)
def test_fit_family_exact_on_population_moments(mean, cv):
    s2 = math.log1p(cv * cv)
    mu = math.log(mean) - s2 / 2
    mom = Moments(1000.0, mean, math.exp(2 * mu + 2 * s2), mu, mu * mu + s2)
    fit = fit_family(mom)["lognormal"]
    assert fit["mean"] == pytest.approx(mean, rel=1e-9)
    assert fit["cv"] == pytest.approx(cv, rel=1e-9)
    # gamma: E log X = digamma(k) + log(theta)
    k = 1 / cv**2
    theta = mean / k
    g1 = special.digamma(k) + math.log(theta)
    gfit = fit_family(Moments(1000.0, mean, 0.0, g1, 0.0))["gamma"]
    assert gfit["cv"] == pytest.approx(cv, rel=1e-6)
    assert gfit["mean"] == pytest.approx(mean)


@pytest.mark.parametrize("family", ["lognormal", "gamma"])
def test_aic_picks_the_generating_family(family):
    rng = np.random.default_rng(3)
    if family == "lognormal":
        x = rng.lognormal(2.3, 0.6, 4000)
    else:
        x = rng.gamma(1.5, 8.0, 4000)
    lx = np.log(x)
    mom = Moments(len(x), x.mean(), (x * x).mean(), lx.mean(), (lx * lx).mean())
    fits = fit_family(mom)
    assert min(fits, key=lambda f: fits[f]["aic"]) == family
    # AIC equals -2 loglik + 4 with scipy's log density
    if family == "lognormal":
        s = math.sqrt(lx.var())
        ll = stats.lognorm(s=s, scale=math.exp(lx.mean())).logpdf(x).sum()
        assert fits["lognormal"]["aic"] == pytest.approx(4 - 2 * ll, rel=1e-9)


def _logistic_data(n, seed):
    rng = np.random.default_rng(seed)
    vt = rng.choice(["a", "b"], n)
    lead = rng.integers(0, 40, n)
    prior = rng.integers(0, 3, n)
    z = -2.5 + 0.8 * (vt == "b") + 0.03 * lead + 0.4 * prior
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    X = pd.DataFrame(
        {  # noqa: N806
            "polyclinic_id": "P",
            "visit_type": vt,
            "weekday": rng.integers(0, 5, n),
            "hour": rng.integers(8, 17, n),
            "lead_days": lead,
            "prior_no_shows": prior,
            "prior_appointments": prior + rng.integers(0, 3, n),
        }
    )
    return X, y, 1 / (1 + np.exp(-z))


def test_no_show_model_contract_and_calibration():
    X, y, p_true = _logistic_data(20000, 1)  # noqa: N806
    model = NoShowModel()
    with pytest.raises(NotFittedError):
        model.predict_proba(X)
    assert model.fit(X, y) is model
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # calibrated in the large per category (score equations of the MLE)
    for v in ("a", "b"):
        m = X["visit_type"] == v
        assert proba[m, 1].mean() == pytest.approx(y[m].mean(), abs=2e-3)
    # close to the true probabilities
    assert np.mean(np.abs(proba[:, 1] - p_true)) < 0.02
    assert set(model.predict(X)) <= {0, 1}
    with pytest.raises(InputError):
        model.predict_proba(X.drop(columns=["lead_days"]))


def test_no_show_model_without_lead_time():
    """Without booking times the lead time is left out: three columns per model plus one lead
    slope per visit type fewer, no ``lead_days`` needed, still calibrated in the large."""
    X, y, _ = _logistic_data(20000, 3)  # noqa: N806
    full = NoShowModel().fit(X, y)
    bare = NoShowModel(lead_time=False).fit(X.drop(columns=["lead_days"]), y)
    n_vt = X["visit_type"].nunique()
    assert full.n_features_in_ - bare.n_features_in_ == 2 + n_vt
    p = bare.predict_proba(X.drop(columns=["lead_days"]))[:, 1]
    assert np.all(np.isfinite(p))
    for v in ("a", "b"):
        m = X["visit_type"] == v
        assert p[m].mean() == pytest.approx(y[m].mean(), abs=2e-3)


def test_no_show_model_weights_equal_repeats():
    X, y, _ = _logistic_data(3000, 2)  # noqa: N806
    a = NoShowModel().fit(pd.concat([X, X]), np.concatenate([y, y])).predict_proba(X)
    b = NoShowModel().fit(X, y, sample_weight=np.full(len(y), 2.0)).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_expected_bookings_brute_force():
    mu, r, cap = np.array([5.0, 20.0, 40.0]), 7.0, np.array([6, 18, 100])
    got = expected_bookings(mu, r, cap)
    for m, c, g in zip(mu, cap, got, strict=True):
        k = np.arange(0, 2000)
        pmf = stats.nbinom.pmf(k, r, r / (r + m))
        assert g == pytest.approx(np.sum(np.minimum(k, c) * pmf), rel=1e-9)


def test_censored_negbin_recovers_mean_under_censoring():
    rng = np.random.default_rng(5)
    n, r = 600, 30.0
    wd = np.arange(n) % 5
    doy = np.arange(n) % 365 + 1.0
    mu = np.array([120.0, 100, 100, 100, 100])[wd]
    d = rng.negative_binomial(r, r / (r + mu))
    cap = 118
    y = np.minimum(d, cap)
    X = design(wd, doy, None, [0, 1, 2, 3, 4])  # noqa: N806
    res = CensoredNegBin(y.astype(float), X, y >= cap).fit()
    mon = math.exp(res.params[0])
    assert abs(mon / 120 - 1) < 0.03
    assert y[wd == 0].mean() < 0.95 * 120  # the naive mean is biased low


def test_nb_interval_coverage():
    lo, hi = nb_interval(50.0, 150.0, 0.9)
    r = 50.0**2 / 100.0
    dist = stats.nbinom(r, r / (r + 50))
    assert dist.cdf(hi) - dist.cdf(lo - 1) >= 0.9
    assert nb_interval(4.0, 4.0, 0.9) == (
        float(stats.poisson(4).ppf(0.05)),
        float(stats.poisson(4).ppf(0.95)),
    )
    assert nb_interval(0.0, 0.0, 0.9) == (0.0, 0.0)


def test_config_validation():
    with pytest.raises(ConfigError, match="slot_minutes"):
        EstimateConfig(slot_minutes=0)
    with pytest.raises(ConfigError, match="interval_level"):
        EstimateConfig(interval_level=1.5)
    with pytest.raises(ConfigError, match="bogus"):
        EstimateConfig.from_mapping({"bogus": 1})
    assert EstimateConfig.from_mapping({"min_obs": 10}, slot_minutes=5).slot_minutes == 5
    assert EstimateConfig().min_weekday_sessions == 8
    for bad in (0, -1, 2.5, True, "8"):
        with pytest.raises(ConfigError, match="min_weekday_sessions"):
            EstimateConfig(min_weekday_sessions=bad)
