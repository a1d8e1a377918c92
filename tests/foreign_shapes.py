"""Three foreign table shapes exported from polyslot's own sample generator, truth known (issue 22).

Reusable by any test (``sys.path.insert(0, <tests>)``; ``import foreign_shapes``). Each shape
is the history of :func:`network` (``polyslot.synthetic``) written the way another system
would export it, with the hand-written mapping that reads it and the truth to compare with:

- ``national``: a national polyclinic table. Integer polyclinic ids (1001, 1002, ...), a
  unique integer ``record_no``; the visit date (day first) and the clock times apart;
  visit types ``acute`` | ``chronic`` (the sample's ``new_patient``) | ``follow-up``
  (``chronic_followup``) | ``preventive`` (``health_screening`` and ``vaccination``);
  ``appointment_type`` ``walk-in`` | ``appointment`` | ``emergency`` (every sixth walk-in)
  beside ``visit_status`` ``completed`` | ``cancelled`` | ``no-show``; a walk-in's
  ``appointment_time`` holds its registration time (the trap: read as booked without a
  ``when`` rule); no doctor id, no roster; a separate ``POLYCLINIC_MASTER.csv`` with
  ``total_doctors`` and ``operating_hours`` in four common text forms.
- ``consultation_log``: one physician (doctor D01 of PC03; only the consultations they gave),
  half-day sessions; per row the date, the consultation start clock time, the service time in
  seconds (``ServTime``) and a visit counter (``VisitNo``: 1 = first visit, i.e. the sample's
  ``new_patient``; otherwise 2 + the patient's earlier visits); no appointment, arrival or
  booking time, no row id, no polyclinic column, no walk-in flag.
- ``no_booking``: the sample's own columns without ``booking_ts`` (CSV; doctor ids kept, no
  roster).

:func:`build` writes one shape into a folder and returns a :class:`Shape`;
:func:`session_truth` and :func:`session_errors` compare the doctors per session that ingest
inferred (the store's ``roster``) with the generator's roster.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from polyslot.synthetic import SyntheticNetwork, generate_network

__all__ = [
    "SHAPES",
    "Shape",
    "MAPPINGS",
    "VISIT_TYPES",
    "network",
    "build",
    "session_truth",
    "session_inferred",
    "session_errors",
    "write_own_shape",
]

SHAPES = ("national", "consultation_log", "no_booking")
#: The sample's visit types -> the national table's.
VISIT_TYPES = {
    "acute": "acute",
    "new_patient": "chronic",
    "chronic_followup": "follow-up",
    "health_screening": "preventive",
    "vaccination": "preventive",
}
_STATUS = {
    "attended": "completed",
    "walk_in": "completed",
    "cancelled": "cancelled",
    "no_show": "no-show",
}
#: The physician of the consultation log.
LOG_POLYCLINIC, LOG_DOCTOR = "PC03", "PC03-D01"

MAPPINGS: dict[str, str] = {
    "national": """\
[attendances]
timestamp_formats = ["%d/%m/%Y"]
[attendances.columns]
attendance_id = "record_no"
polyclinic_id = "polyclinic_id"
patient_id = "patient_id"
visit_type = "visit_type"
booking_ts = ["booking_date", "booking_time"]
appointment_ts = ["visit_date", "appointment_time"]
arrival_ts = ["visit_date", "arrival_time"]
consult_start_ts = ["visit_date", "consult_start_time"]
consult_end_ts = ["visit_date", "consult_end_time"]
status = "visit_status"
[attendances.values.status]
attended = ["completed"]
no_show = ["no-show"]
cancelled = ["cancelled"]
[[attendances.when]]
column = "appointment_type"
values = ["walk-in", "emergency"]
set = { status = "walk_in" }
[facility]
file = "POLYCLINIC_MASTER.csv"
[facility.columns]
polyclinic_id = "polyclinic_id"
doctors = "total_doctors"
opening_hours = "operating_hours"
""",
    "consultation_log": """\
[attendances]
timestamp_formats = ["%d.%m.%Y"]
[attendances.columns]
attendance_id = { row_number = true }
polyclinic_id = { value = "PC03" }
patient_id = "PatientID"
visit_type = "VisitNo"
consult_start_ts = ["Date", "StartTime"]
consultation_duration_minutes = { column = "ServTime", unit = "seconds" }
status = { value = "attended" }
[attendances.values.visit_type]
first_visit = ["1"]
default = "revisit"
""",
    "no_booking": """\
[attendances.columns]
attendance_id = "attendance_id"
polyclinic_id = "polyclinic_id"
patient_id = "patient_id"
visit_type = "visit_type"
appointment_ts = "appointment_ts"
arrival_ts = "arrival_ts"
consult_start_ts = "consult_start_ts"
consult_end_ts = "consult_end_ts"
consultation_duration_minutes = "consultation_duration_minutes"
doctor_id = "doctor_id"
status = "status"
""",
}


@functools.cache
def network(polyclinics: int = 4, days: int = 182, seed: int = 22) -> SyntheticNetwork:
    """The sample network every shape exports (cached: the same arguments, the same object)."""
    return generate_network(polyclinics, days, seed)


@dataclass(frozen=True)
class Shape:
    """One written shape: the export, its mapping and the truth.

    Attributes
    ----------
    name : str
        One of :data:`SHAPES`.
    source : Path
        The export (SOURCE / ``--data``).
    mapping : Path
        The hand-written mapping (``--mapping``).
    truth : DataFrame
        The generator's attendances of the exported rows, in export order (contract columns,
        ``polyclinic_id`` as the export writes it).
    roster : DataFrame
        The generator's roster of the exported polyclinics (``polyclinic_id`` as exported;
        for the consultation log, one doctor in every session of the dates the physician
        worked).
    ids : dict of str to str
        Generator polyclinic id -> exported polyclinic id.
    facility : Path or None
        The facility table (``national`` only).
    """

    name: str
    source: Path
    mapping: Path
    truth: pd.DataFrame
    roster: pd.DataFrame
    ids: dict[str, str]
    facility: Path | None = None

    @property
    def rows(self) -> int:
        """Rows in the export."""
        return len(self.truth)

    @property
    def walk_ins(self) -> dict[str, int]:
        """True walk-ins per exported polyclinic."""
        w = self.truth[self.truth["status"] == "walk_in"]
        return {str(k): int(v) for k, v in w.groupby("polyclinic_id").size().items()}


def _clock(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%H:%M:%S").where(s.notna(), "")


def _hours(i: int, sessions: dict[str, list[str]]) -> str:
    """The opening hours of a polyclinic in one of four common text forms."""
    (am0, am1), (pm0, pm1), (sa0, sa1) = (
        sessions["weekday_am"],
        sessions["weekday_pm"],
        sessions["saturday_am"],
    )

    def ampm(t: str) -> str:
        h, m = (int(x) for x in t.split(":"))
        suffix = "am" if h < 12 else "pm"
        h12 = h % 12 or 12
        return f"{h12}{suffix}" if m == 0 else f"{h12}:{m:02d}{suffix}"

    forms = (
        f"Mon-Fri {ampm(am0)}-{ampm(pm1)}, Sat {ampm(sa0)}-{ampm(sa1)}",
        f"Mon-Fri {ampm(am0)}-{ampm(am1)}, {ampm(pm0)}-{ampm(pm1)}; Sat {ampm(sa0)}-{ampm(sa1)}",
        f"Mon to Fri: {am0}-{am1},{pm0}-{pm1} | Sat: {sa0}-{sa1} | Sun & PH: Closed",
        "Mon-Fri 8am-9pm, Sat 8am-1pm",  # wider than the sessions, as in the issue
    )
    return forms[i % len(forms)]


def _national(folder: Path, net: SyntheticNetwork) -> Shape:
    a = net.attendances
    ids = {pc: str(1001 + i) for i, pc in enumerate(sorted(a["polyclinic_id"].unique()))}
    rng = np.random.default_rng(22)
    walk = (a["status"] == "walk_in").to_numpy()
    kind = np.where(walk, "walk-in", "appointment").astype(object)
    emergency = np.flatnonzero(walk)[rng.permutation(int(walk.sum())) % 6 == 0]
    kind[emergency] = "emergency"
    day = a["appointment_ts"].fillna(a["arrival_ts"])
    frame = pd.DataFrame(
        {
            "record_no": np.arange(500001, 500001 + len(a)),
            "polyclinic_id": a["polyclinic_id"].map(ids).astype(int),
            "patient_id": a["patient_id"],
            "visit_date": day.dt.strftime("%d/%m/%Y"),
            "booking_date": a["booking_ts"].dt.strftime("%d/%m/%Y"),
            "booking_time": _clock(a["booking_ts"]),
            # a walk-in's appointment time is its registration time in this system
            "appointment_time": _clock(a["appointment_ts"].fillna(a["arrival_ts"])),
            "arrival_time": _clock(a["arrival_ts"]),
            "consult_start_time": _clock(a["consult_start_ts"]),
            "consult_end_time": _clock(a["consult_end_ts"]),
            "visit_type": a["visit_type"].map(VISIT_TYPES),
            "appointment_type": kind,
            "visit_status": a["status"].map(_STATUS),
            "age_group": a["age_group"],
        }
    )
    source = folder / "national_visits.csv"
    frame.to_csv(source, index=False)
    master = pd.DataFrame(
        {
            "polyclinic_id": [int(ids[pc]) for pc in ids],
            "polyclinic_name": [f"Polyclinic {pc}" for pc in ids],
            "total_doctors": [net.truth["polyclinics"][pc]["doctors"] for pc in ids],
            "operating_hours": [
                _hours(i, net.truth["polyclinics"][pc]["sessions"]) for i, pc in enumerate(ids)
            ],
        }
    )
    facility = folder / "POLYCLINIC_MASTER.csv"
    master.to_csv(facility, index=False)
    truth = a.assign(polyclinic_id=a["polyclinic_id"].map(ids))
    roster = net.roster.assign(polyclinic_id=net.roster["polyclinic_id"].map(ids))
    return Shape("national", source, _mapping(folder, "national"), truth, roster, ids, facility)


def _visit_counter(a: pd.DataFrame) -> pd.Series:
    """1 for a first visit (``new_patient``), else 2 + the patient's earlier visits."""
    seen = a[a["status"].isin(["attended", "walk_in"])].sort_values("consult_start_ts")
    earlier = seen.groupby("patient_id").cumcount()
    counter = (earlier + 2).where(seen["visit_type"] != "new_patient", 1)
    return counter.reindex(a.index)


def _consultation_log(folder: Path, net: SyntheticNetwork) -> Shape:
    a = net.attendances[net.attendances["polyclinic_id"] == LOG_POLYCLINIC]
    counter = _visit_counter(a)
    log = a[a["doctor_id"] == LOG_DOCTOR].sort_values("consult_start_ts", kind="stable")
    frame = pd.DataFrame(
        {
            "Date": log["consult_start_ts"].dt.strftime("%d.%m.%Y"),
            "Session": np.where(log["consult_start_ts"].dt.hour < 12, "AM", "PM"),
            "StartTime": _clock(log["consult_start_ts"]),
            "ServTime": (log["consultation_duration_minutes"] * 60).round().astype(int),
            "VisitNo": counter.loc[log.index].astype(int),
            "PatientID": log["patient_id"],
        }
    )
    source = folder / "consultation_log.csv"
    frame.to_csv(source, index=False)
    # the truth: one doctor in every session of the generator's roster on the dates the
    # physician worked (D01 is on duty in every session of the polyclinic)
    worked = set(log["consult_start_ts"].dt.normalize())
    r = net.roster[net.roster["polyclinic_id"] == LOG_POLYCLINIC]
    roster = r[pd.to_datetime(r["date"]).isin(worked)].assign(doctors=1)
    truth = log.reset_index(drop=True)
    return Shape(
        "consultation_log",
        source,
        _mapping(folder, "consultation_log"),
        truth,
        roster,
        {LOG_POLYCLINIC: LOG_POLYCLINIC},
    )


def _no_booking(folder: Path, net: SyntheticNetwork) -> Shape:
    a = net.attendances
    source = folder / "visits_no_booking.csv"
    a.drop(columns="booking_ts").to_csv(source, index=False)
    ids = {pc: pc for pc in sorted(a["polyclinic_id"].unique())}
    return Shape("no_booking", source, _mapping(folder, "no_booking"), a, net.roster, ids)


def _mapping(folder: Path, name: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(MAPPINGS[name], encoding="utf-8")
    return path


def build(folder: Path, name: str, net: SyntheticNetwork | None = None) -> Shape:
    """Write shape ``name`` of ``net`` (default :func:`network`) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    net = net if net is not None else network()
    make = {"national": _national, "consultation_log": _consultation_log, "no_booking": _no_booking}
    return make[name](folder, net)


def write_own_shape(folder: Path, net: SyntheticNetwork | None = None) -> Path:
    """The same history in polyslot's own shape (attendances and roster), for comparisons."""
    net = net if net is not None else network()
    folder.mkdir(parents=True, exist_ok=True)
    net.attendances.to_parquet(folder / "attendances.parquet", index=False)
    net.roster.to_parquet(folder / "roster.parquet", index=False)
    return folder


def _per_session(roster: pd.DataFrame) -> pd.DataFrame:
    r = roster.assign(
        date=pd.to_datetime(roster["date"]),
        session=np.where(roster["start_time"].astype(str) < "12:00", "AM", "PM"),
    )
    r["weekday"] = r["date"].dt.weekday
    out = r.groupby(["polyclinic_id", "weekday", "session"], as_index=False)["doctors"].mean()
    return out.assign(polyclinic_id=out["polyclinic_id"].astype(str))


def session_truth(shape: Shape) -> pd.DataFrame:
    """Mean doctors on duty per polyclinic x weekday x session (AM/PM) in the generator."""
    return _per_session(shape.roster)


def session_inferred(store: Path) -> pd.DataFrame:
    """Mean doctors per polyclinic x weekday x session of the store's (inferred) roster."""
    with duckdb.connect(str(Path(store) / "polyslot.duckdb"), read_only=True) as con:
        roster = con.execute("SELECT * FROM roster").df()
    return _per_session(roster)


def session_errors(shape: Shape, store: Path) -> pd.DataFrame:
    """Inferred minus true doctors per polyclinic x weekday x session (every true session;
    a session the store lacks counts as 0 doctors inferred)."""
    m = session_truth(shape).merge(
        session_inferred(store),
        on=["polyclinic_id", "weekday", "session"],
        how="left",
        suffixes=("_true", "_inferred"),
    )
    m["doctors_inferred"] = m["doctors_inferred"].fillna(0.0)
    return m.assign(error=m["doctors_inferred"] - m["doctors_true"])
