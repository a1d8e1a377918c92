"""Duty time from the roster: a doctor session starts and ends when the roster says.

A template's doctor sessions carry no duty times; taken from the span of their slots they are
1-3% shorter than the rostered periods (the last slot ends before the period does), which makes
every session look fuller and shorter than it is. The roster's periods of each weekday (the
start-end pairs present on at least half of that weekday's rostered dates) give the duty time:
a session whose slots start inside a period gets that period's start and end. A session that
lies in no period (e.g. slots inside a rostered break) keeps its slot span and is reported.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from polyslot.clinic_model import ClinicModel

__all__ = ["roster_periods", "sessions_from_roster"]


def roster_periods(roster: pd.DataFrame) -> dict[str, dict[int, list[tuple[int, int]]]]:
    """``{polyclinic_id: {weekday: [(start, end), ...]}}`` from roster rows with columns
    ``polyclinic_id``, ``d`` (date), ``s0``, ``s1`` (minutes)."""
    out: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for pid, g in roster.groupby("polyclinic_id", sort=True):
        g = g.assign(wd=[d.weekday() for d in g["d"]])
        for wd, gw in g.groupby("wd", sort=True):
            dates = gw["d"].nunique()
            counts = Counter(
                (int(a), int(b))
                for a, b in gw[["d", "s0", "s1"]]
                .drop_duplicates()[["s0", "s1"]]
                .itertuples(index=False)
            )
            keep = sorted(p for p, n in counts.items() if 2 * n >= dates)
            out.setdefault(str(pid), {})[int(wd)] = keep
    return out


def sessions_from_roster(
    model: ClinicModel, periods: Mapping[int, Sequence[tuple[int, int]]]
) -> tuple[ClinicModel, list[str]]:
    """``model`` with each doctor session's start and end taken from the roster period that
    holds its start; returns the model and the ids of sessions in no period."""
    if not periods:
        return model, []
    new, outside = [], []
    for s in model.sessions:
        hit = [
            (p0, p1)
            for p0, p1 in periods.get(s.weekday, ())
            if p0 <= s.start_minute < p1 or (s.start_minute < p0 < s.end_minute)
        ]
        if not hit:
            outside.append(s.session_id)
            new.append(s)
            continue
        p0, p1 = max(hit, key=lambda p: min(p[1], s.end_minute) - max(p[0], s.start_minute))
        new.append(
            dataclasses.replace(
                s, start_minute=min(p0, s.start_minute), end_minute=max(p1, s.end_minute)
            )
        )
    return dataclasses.replace(model, sessions=tuple(new)), outside
