"""The appointment-order session model against brute-force enumeration of all outcomes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from polyslot.errors import InputError
from polyslot.schedule import parse_schedule
from polyslot.simulate.session import simulate_session


def brute_force(data: dict) -> dict:
    """Exact E[W_k | k comes], E[overtime], E[total wait] by enumerating every outcome."""
    pats = sorted(data["patients"], key=lambda p: p["appointment"])
    start0 = data.get("doctor_start", 0)
    choices = []
    for p in pats:
        svc = [(b, q) for b, q in enumerate(p["service"]["pmf"]) if q > 0]
        pu = p.get("punctuality", {"offsets": [0], "pmf": [1.0]})
        offs = [(o, q) for o, q in zip(pu["offsets"], pu["pmf"], strict=True) if q > 0]
        ns = p.get("no_show", 0.0)
        came = [(c, q) for c, q in ((True, 1 - ns), (False, ns)) if q > 0]
        choices.append(
            [(b, o, c, qb * qo * qc) for b, qb in svc for o, qo in offs for c, qc in came]
        )
    k = len(pats)
    ew = np.zeros(k)
    pc = np.zeros(k)
    e_ot = 0.0
    e_tw = 0.0
    for combo in itertools.product(*choices):
        prob = float(np.prod([c[3] for c in combo]))
        d = start0
        tw = 0.0
        for j, (b, o, c, _) in enumerate(combo):
            arr = pats[j]["appointment"] + o
            s = max(arr, d)
            d = s + (b if c else 0)
            if c:
                ew[j] += prob * (s - arr)
                pc[j] += prob
                tw += s - arr
        e_ot += prob * max(d - data["session_end"], 0)
        e_tw += prob * tw
    return {"wait_mean": ew / pc, "overtime_mean": e_ot, "total_wait_mean": e_tw}


CASES = [
    {  # punctual, no-shows
        "session_end": 6,
        "patients": [
            {"appointment": 0, "service": {"pmf": [0, 0.5, 0, 0.5]}, "no_show": 0.2},
            {"appointment": 2, "service": {"pmf": [0, 0, 1]}},
            {"appointment": 3, "service": {"pmf": [0.3, 0.4, 0.3]}, "no_show": 0.5},
        ],
    },
    {  # late doctor, double booking
        "session_end": 5,
        "doctor_start": 2,
        "patients": [
            {"appointment": 0, "service": {"pmf": [0, 0.6, 0.4]}},
            {"appointment": 0, "service": {"pmf": [0, 0.2, 0.8]}, "no_show": 0.1},
            {"appointment": 4, "service": {"pmf": [0, 1.0]}},
        ],
    },
    {  # unpunctual patients (strict appointment order)
        "session_end": 8,
        "patients": [
            {
                "appointment": 1,
                "service": {"pmf": [0, 0.3, 0.4, 0.3]},
                "punctuality": {"offsets": [-1, 0, 2], "pmf": [0.3, 0.5, 0.2]},
            },
            {
                "appointment": 3,
                "service": {"pmf": [0, 0.5, 0.5]},
                "no_show": 0.25,
                "punctuality": {"offsets": [-2, 1], "pmf": [0.6, 0.4]},
            },
            {
                "appointment": 4,
                "service": {"pmf": [0, 0, 1]},
                "punctuality": {"offsets": [0, 3], "pmf": [0.7, 0.3]},
            },
        ],
    },
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_sim_session_matches_brute_force_within_ci(case: int) -> None:
    data = CASES[case]
    exact = brute_force(data)
    res = simulate_session(parse_schedule(data), replications=8000, seed=11 + case)
    for j, w in enumerate(exact["wait_mean"]):
        # seeded, so deterministic; 2 x the 95% half-width leaves room for a fixed draw
        assert abs(res.wait_mean[j] - w) <= 2 * res.wait_ci[j] + 1e-12, (j, res.wait_mean[j], w)
    assert abs(res.overtime_mean - exact["overtime_mean"]) <= 2 * res.overtime_ci + 1e-12
    assert abs(res.total_wait_mean - exact["total_wait_mean"]) <= 2 * res.total_wait_ci + 1e-12


def test_sim_session_deterministic_service_is_exact() -> None:
    data = {
        "session_end": 4,
        "patients": [
            {"appointment": 0, "service": {"deterministic": 3}},
            {"appointment": 1, "service": {"deterministic": 2}},
            {"appointment": 2, "service": {"deterministic": 1}},
        ],
    }
    res = simulate_session(parse_schedule(data), replications=5, seed=0)
    np.testing.assert_allclose(res.wait_mean, [0, 2, 3])
    np.testing.assert_allclose(res.wait_ci, [0, 0, 0])
    assert res.overtime_mean == 2.0
    assert res.total_wait_mean == 5.0


def test_sim_session_same_seed_same_output_any_workers() -> None:
    s = parse_schedule(CASES[2])
    a = simulate_session(s, replications=60, seed=5).to_dict()
    b = simulate_session(s, replications=60, seed=5).to_dict()
    c = simulate_session(s, replications=60, seed=5, workers=2).to_dict()
    assert a == b == c
    assert simulate_session(s, replications=60, seed=6).to_dict() != a


def test_sim_session_stops_on_relative_target() -> None:
    s = parse_schedule(CASES[0])
    res = simulate_session(s, replications=100_000, seed=1, target_rel=0.05)
    assert res.converged
    assert res.replications < 100_000
    assert res.total_wait_ci <= 0.05 * res.total_wait_mean


def test_sim_session_contract_keys() -> None:
    d = simulate_session(parse_schedule(CASES[0]), replications=20, seed=0).to_dict()
    assert {"patients", "overtime_mean", "overtime_ci", "total_wait_mean", "replications"} <= set(d)
    assert {"appointment", "wait_mean", "wait_ci"} <= set(d["patients"][0])
    assert d["replications"] == 20


def test_sim_session_rejects_zero_replications() -> None:
    with pytest.raises(InputError, match="replications"):
        simulate_session(parse_schedule(CASES[0]), replications=0)
