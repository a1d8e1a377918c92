"""Capacity inputs: parsing, validation, integer inverse CDFs, log-concave chords."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from capacity_example import SMALL_INPUT
from polyslot.capacity.inputs import DemandDistribution, parse_capacity_input
from polyslot.errors import InputError

BASE = SMALL_INPUT


def test_parse_pads_prebooked_and_sets_horizon():
    inp = parse_capacity_input({**BASE, "prebooked": {"fv": [1, 2]}}, "in.json")
    assert inp.S == 3 and inp.T == 3 + 4
    assert inp.prebooked_fv == (1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert inp.demand[2].family == "poisson" and inp.demand[2].mean == 3.0
    again = parse_capacity_input(inp.to_dict())
    assert again == inp


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"alpha": 1.0}, "alpha"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"targets": {"median": 3, "percentile": 2, "max": 4}}, "targets"),
        ({"targets": {"median": 1, "percentile": 2, "max": 3, "p": 40}}, "targets.p"),
        ({"revisit": {"window": [4, 2], "mean_lead_max": 3}}, "revisit.window"),
        ({"demand": [{"dist": "normal", "mean": 5, "sd": 0}]}, "demand[0].sd"),
        ({"demand": [{"dist": "weibull", "mean": 5}]}, "demand[0].family"),
        ({"prebooked": {"rv": [1] * 50}}, "prebooked_rv"),
        ({"closed_periods": [0], "prebooked": {"fv": [2]}}, "closed_periods"),
    ],
)
def test_bad_input_names_file_and_field(patch, field):
    with pytest.raises(InputError) as exc:
        parse_capacity_input({**BASE, **patch}, "in.json")
    assert str(exc.value).startswith("in.json: field")
    assert exc.value.field == field


def test_missing_key_is_named():
    data = {k: v for k, v in BASE.items() if k != "beta"}
    with pytest.raises(InputError, match="'beta'"):
        parse_capacity_input(data, "in.json")


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(0, 30), min_size=1, max_size=25),
    p=st.floats(0.01, 0.999),
)
def test_empirical_quantile_is_smallest_integer_with_cdf_at_least_p(values, p):
    d = DemandDistribution("empirical", values=tuple(values))
    brute = min(k for k in range(0, 32) if np.mean(np.array(values) <= k) >= p)
    assert d.quantile(p) == brute


@pytest.mark.parametrize("p", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_parametric_quantiles_match_scipy(p):
    n = DemandDistribution("normal", mean=10.0, sd=3.0)
    assert n.quantile(p) == math.ceil(stats.norm.ppf(p, 10, 3))
    po = DemandDistribution("poisson", mean=7.0)
    k = po.quantile(p)
    assert stats.poisson.cdf(k, 7) >= p > (stats.poisson.cdf(k - 1, 7) if k > 0 else -1)


@pytest.mark.parametrize(
    "dist",
    [DemandDistribution("normal", mean=12.0, sd=4.0), DemandDistribution("poisson", mean=6.0)],
)
def test_log_cdf_equals_min_of_chords_at_integers(dist):
    ks = np.arange(8, 30)
    h = dist.log_cdf(ks)
    assert np.all(np.diff(h, 2) <= 1e-12)  # log-concave on the integers
    for s in ks:
        chords = h[:-1] + np.diff(h) * (s - ks[:-1])
        assert chords.min() == pytest.approx(dist.log_cdf(s), abs=1e-12)


def test_bimodal_empirical_is_not_log_concave():
    d = DemandDistribution("empirical", values=(1, 1, 1, 9, 9, 9, 9, 9))
    assert not d.log_cdf_is_concave(1, 9)
