"""Historical days of one polyclinic, as recorded, for replay and calibration.

Reads tables of the data contract (POLYCLINIC_ATTENDANCES and ROSTER as pandas DataFrames):
per date, the booked patients (status ``attended`` or ``no_show``; ``cancelled`` rows are
dropped) with visit type, appointment minute, whether they came and their recorded arrival
offset (arrival - appointment, minutes); the walk-ins (status ``walk_in``) with arrival minute
and visit type; and the roster (rows ``start_time``-``end_time`` with ``doctors`` doctors, each
doctor one server). No patient identifier is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from polyslot.data.store import polyclinic_history
from polyslot.errors import DataError
from polyslot.simulate.dayplan import Server

__all__ = ["HistoricalDay", "history_days", "load_history", "observed_kpis"]

_ATT_COLS = ("polyclinic_id", "visit_type", "appointment_ts", "arrival_ts", "status")
_ROSTER_COLS = ("polyclinic_id", "date", "start_time", "end_time", "doctors")


@dataclass(frozen=True)
class HistoricalDay:
    """One recorded clinic day (minutes after midnight)."""

    date: str
    weekday: int
    appointment: np.ndarray  # booked patients' recorded appointment minutes
    came: np.ndarray  # bool
    offset: np.ndarray  # arrival - appointment (minutes), 0 where not came
    visit_type: tuple[str, ...]
    walk_in_arrival: np.ndarray
    walk_in_visit_type: tuple[str, ...]
    servers: tuple[Server, ...]


def _minutes(ts: pd.Series) -> np.ndarray:
    t = pd.to_datetime(ts)
    return (t.dt.hour * 60 + t.dt.minute + t.dt.second / 60.0).to_numpy(dtype=np.float64)


def _hhmm(value: str) -> int:
    h, m = str(value).split(":")[:2]
    return int(h) * 60 + int(m)


def _require(frame: pd.DataFrame, cols: tuple[str, ...], name: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}", source=name, field=missing[0])


def history_days(
    attendances: pd.DataFrame,
    roster: pd.DataFrame,
    polyclinic_id: str,
    *,
    start: str | None = None,
    end: str | None = None,
) -> list[HistoricalDay]:
    """The recorded days of ``polyclinic_id`` between ``start`` and ``end`` (ISO dates, inclusive).

    Only dates with a roster entry are returned, in date order.
    """
    _require(attendances, _ATT_COLS, "attendances")
    _require(roster, _ROSTER_COLS, "roster")
    att = attendances[attendances["polyclinic_id"].astype(str) == str(polyclinic_id)].copy()
    ros = roster[roster["polyclinic_id"].astype(str) == str(polyclinic_id)].copy()
    if ros.empty:
        raise DataError(
            "no roster rows", source="roster", field="polyclinic_id", value=polyclinic_id
        )
    ros["_date"] = pd.to_datetime(ros["date"]).dt.date.astype(str)
    ref = att["appointment_ts"].fillna(att["arrival_ts"])
    att["_date"] = pd.to_datetime(ref).dt.date.astype(str)
    att = att[att["status"].isin(["attended", "no_show", "walk_in"])]
    days = []
    groups = dict(tuple(att.groupby("_date", sort=True)))
    for date, rday in ros.groupby("_date", sort=True):
        if (start and date < start) or (end and date > end):
            continue
        servers = []
        for _, r in rday.sort_values("start_time").iterrows():
            s0, s1 = _hhmm(r["start_time"]), _hhmm(r["end_time"])
            for k in range(int(r["doctors"])):
                servers.append(Server(f"{r['start_time']}-{r['end_time']}-{k + 1}", s0, s1))
        if not servers:
            continue
        day = groups.get(date)
        if day is None:
            day = att.iloc[0:0]
        booked = day[day["status"] != "walk_in"].sort_values("appointment_ts", kind="stable")
        walk = day[day["status"] == "walk_in"].sort_values("arrival_ts", kind="stable")
        appt = _minutes(booked["appointment_ts"])
        came = (booked["status"] == "attended").to_numpy() & booked["arrival_ts"].notna().to_numpy()
        arr = _minutes(booked["arrival_ts"])
        days.append(
            HistoricalDay(
                date=str(date),
                weekday=pd.Timestamp(date).weekday(),
                appointment=appt,
                came=came,
                offset=np.where(came, np.nan_to_num(arr - appt), 0.0),
                visit_type=tuple(booked["visit_type"].astype(str)),
                walk_in_arrival=_minutes(walk["arrival_ts"]),
                walk_in_visit_type=tuple(walk["visit_type"].astype(str)),
                servers=tuple(servers),
            )
        )
    return days


def observed_kpis(
    attendances: pd.DataFrame, roster: pd.DataFrame, polyclinic_id: str
) -> dict[str, float]:
    """Observed mean wait (consultation start - arrival, patients seen) and utilisation
    (consultation minutes / rostered doctor minutes) of ``polyclinic_id``."""
    att = attendances[attendances["polyclinic_id"].astype(str) == str(polyclinic_id)]
    seen = att[att["consult_start_ts"].notna() & att["arrival_ts"].notna()]
    wait = (
        pd.to_datetime(seen["consult_start_ts"]) - pd.to_datetime(seen["arrival_ts"])
    ).dt.total_seconds() / 60.0
    ros = roster[roster["polyclinic_id"].astype(str) == str(polyclinic_id)]
    duty = sum(
        (_hhmm(e) - _hhmm(s)) * int(d)
        for s, e, d in zip(ros["start_time"], ros["end_time"], ros["doctors"], strict=True)
    )
    busy = float(seen["consultation_duration_minutes"].sum())
    return {
        "wait_mean": float(wait.mean()),
        "utilization": busy / duty if duty else float("nan"),
        "patients_seen": int(len(seen)),
    }


def load_history(
    store: str, polyclinic_id: str, *, start: str | None = None, end: str | None = None
) -> list[HistoricalDay]:
    """:func:`history_days` from a DuckDB store (``polyslot.duckdb`` or the folder holding it),
    tables ``attendances`` and ``roster``."""
    att, ros = polyclinic_history(store, polyclinic_id)
    return history_days(att, ros, polyclinic_id, start=start, end=end)
