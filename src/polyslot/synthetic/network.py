"""A realistic synthetic polyclinic network with known true parameters.

:func:`generate_network` builds every table of the data contract (attendances, roster, current
slot template, and the supplied demand forecast and no-show predictions) for ``n_polyclinics``
polyclinics over ``days`` days; :func:`write_network` writes them as Parquet plus
``truth.json``.  Polyclinic ``i`` draws only from ``SeedSequence(seed, spawn_key=(i, ...))``,
so its data does not depend on how many polyclinics are generated.  The model is documented in
``docs/synthetic.md``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from polyslot.atomic import atomic_path, write_json
from polyslot.errors import InputError
from polyslot.synthetic import parameters as P
from polyslot.synthetic.kinds import KIND_ORDER, KINDS
from polyslot.synthetic.polyclinic import generate_polyclinic
from polyslot.synthetic.supplied_inputs import demand_forecast, no_show_predictions

__all__ = ["SyntheticNetwork", "generate_network", "write_network", "TABLES", "GENERATOR_VERSION"]

GENERATOR_VERSION = 2
#: Output file name of each table.
TABLES = {
    "attendances": "attendances.parquet",
    "roster": "roster.parquet",
    "slot_template": "slot_template.parquet",
    "demand_forecast": "demand_forecast.parquet",
    "no_show_predictions": "no_show_predictions.parquet",
}


@dataclass(frozen=True)
class SyntheticNetwork:
    """The generated tables (contract columns) and the true parameters behind them."""

    attendances: pd.DataFrame
    roster: pd.DataFrame
    slot_template: pd.DataFrame
    demand_forecast: pd.DataFrame
    no_show_predictions: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"must be an integer, got {value!r}", field=name, value=value)
    v = int(value)
    if v < low or (high is not None and v > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(f"must be {bound}, got {v}", field=name, value=v)
    return v


def closed_days(days: list[date]) -> set[date]:
    """Singapore public holidays among ``days`` (the ``holidays`` package)."""
    import holidays

    years = sorted({d.year for d in days})
    sg = holidays.Singapore(years=years)
    return {d for d in days if d in sg}


def generate_network(
    n_polyclinics: int,
    days: int,
    seed: int,
    start: date = date(2025, 1, 1),
    progress: Any = None,
) -> SyntheticNetwork:
    """Generate a synthetic polyclinic network.

    Parameters
    ----------
    n_polyclinics : int
        Number of polyclinics (1..99), ids ``PC01``, ``PC02``, ...
    days : int
        Number of consecutive calendar days from ``start`` (>= 1).
    seed : int
        Non-negative seed; same arguments give identical tables.
    start : date
        First day.
    progress : callable, optional
        Called as ``progress(i)`` after polyclinic ``i`` is done (for progress bars).

    Returns
    -------
    SyntheticNetwork
    """
    n = _check_int("polyclinics", n_polyclinics, 1, 99)
    d = _check_int("days", days, 1, 3660)
    s = _check_int("seed", seed, 0)
    if not isinstance(start, date):
        raise InputError(f"must be a date, got {start!r}", field="start", value=start)
    all_days = [start + timedelta(i) for i in range(d)]
    closed = closed_days(all_days)
    att, rost, tmpl, fc, ns = [], [], [], [], []
    clinics: dict[str, Any] = {}
    for i in range(n):
        hist = generate_polyclinic(i, s, all_days, closed)
        pid = f"PC{i + 1:02d}"
        rng = np.random.default_rng(np.random.SeedSequence(s, spawn_key=(i, 99)))
        open_days = sorted(set(hist.roster["date"]))
        att.append(hist.attendances)
        rost.append(hist.roster)
        tmpl.append(hist.slot_template)
        fc.append(demand_forecast(rng, pid, open_days, hist.daily_mean))
        ns.append(no_show_predictions(hist.attendances, hist.true_p))
        clinics[pid] = hist.truth
        if progress is not None:
            progress(i)
    truth = {
        "generator": "polyslot.synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": s,
        "start": start.isoformat(),
        "days": d,
        "n_polyclinics": n,
        "closed_holidays": sorted(x.isoformat() for x in closed),
        "closed_weekdays": ["Sun"],
        **P.truth_constants(),
        "kinds": {
            "order": list(KIND_ORDER),
            "rule": "polyclinic i (0-based) is of kind order[i % 3]",
            "definitions": {name: _kind_dict(KINDS[name]) for name in KIND_ORDER},
        },
        "polyclinics": clinics,
    }
    return SyntheticNetwork(
        attendances=pd.concat(att, ignore_index=True),
        roster=pd.concat(rost, ignore_index=True),
        slot_template=pd.concat(tmpl, ignore_index=True),
        demand_forecast=pd.concat(fc, ignore_index=True),
        no_show_predictions=pd.concat(ns, ignore_index=True),
        truth=truth,
    )


def _kind_dict(kind: Any) -> dict[str, Any]:
    d = dataclasses.asdict(kind)
    d["hour_preference"] = {str(h): w for h, w in kind.hour_preference.items()}
    d["doctors"] = list(kind.doctors)
    d["duration_factor"] = list(kind.duration_factor)
    d["am_starts"] = [f"{m // 60:02d}:{m % 60:02d}" for m in kind.am_starts]
    d["pm_starts"] = [f"{m // 60:02d}:{m % 60:02d}" for m in kind.pm_starts]
    return d


def write_network(network: SyntheticNetwork, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write every table as Parquet and the truth as ``truth.json`` into ``out_dir`` (atomic).

    Returns
    -------
    dict
        Table name (and ``"truth"``) -> written path.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", source=str(out), field="--out")
    paths: dict[str, Path] = {}
    for name, fname in TABLES.items():
        target = out / fname
        with atomic_path(target) as tmp:
            getattr(network, name).to_parquet(tmp, index=False)
        paths[name] = target
    paths["truth"] = write_json(out / "truth.json", network.truth)
    return paths
