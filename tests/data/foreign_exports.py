"""Foreign-shaped appointment exports for tests: another system's columns, formats and values.

Reusable by any test (``sys.path.insert(0, <tests/data>)``; ``from foreign_exports import ...``).
:func:`history` generates a small, fully known appointment history of three clinics:

- ``North``: one doctor, 15-minute slots 08:00-18:00 (40 slots a day), Mon-Fri;
- ``South``: two doctors, 20-minute slots 08:00-12:00 and 13:00-17:00 (24 a day each), Mon-Fri;
- ``East``:  one doctor, 10-minute slots 09:00-13:00 (24 a day), Mon, Wed, Fri.

Every slot is booked with probability 0.9; outcomes ``Attended`` / ``Did Not Attend`` /
``Cancelled`` and, never used, ``Unknown`` / ``Scheduled`` (excluded by the mapping).
Appointment ids restart at 1 in every clinic. :func:`build` writes the history in one of the
:data:`KINDS` of export, with the mapping that reads it, and the exact expected counts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["KINDS", "CLINICS", "ForeignExport", "history", "foreign_frame", "build", "MAPPING"]

#: clinic -> (doctors, slot minutes, sessions [(start, end)], weekdays)
CLINICS: dict[str, tuple[int, int, tuple[tuple[str, str], ...], tuple[int, ...]]] = {
    "North": (1, 15, (("08:00", "18:00"),), (0, 1, 2, 3, 4)),
    "South": (2, 20, (("08:00", "12:00"), ("13:00", "17:00")), (0, 1, 2, 3, 4)),
    "East": (1, 10, (("09:00", "13:00"),), (0, 2, 4)),
}
VISIT_TYPES = ("New Case", "Follow-up", "Vaccination")
OUTCOMES = ("Attended", "Did Not Attend", "Cancelled", "Unknown", "Scheduled")
_OUTCOME_P = (0.78, 0.1, 0.06, 0.03, 0.03)
KINDS = ("csv", "semicolon_latin1", "bom", "excel", "fhir")

#: The mapping of the foreign CSV / Excel shape (``%d/%m/%Y`` dates, separate clock times).
MAPPING = """\
[attendances]
id_scope = "polyclinic"
timestamp_formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]
[attendances.columns]
attendance_id = "Appointment ID"
polyclinic_id = "Clinic"
patient_id = "Patient No"
visit_type = "Appointment Type"
booking_ts = "Booked On"
appointment_ts = ["Appointment Date", "Appointment Time"]
arrival_ts = ["Appointment Date", "Arrival Time"]
consult_start_ts = ["Appointment Date", "Seen Time"]
consult_end_ts = ["Appointment Date", "Finished Time"]
doctor_id = "Clinician"
status = "Outcome"
[attendances.values.status]
attended = ["attended"]
no_show = ["did not attend", "DNA"]
cancelled = ["cancelled"]
exclude = ["unknown", "scheduled"]
"""


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def history(weeks: int = 8, seed: int = 7, start: dt.date = dt.date(2025, 3, 3)) -> pd.DataFrame:
    """The appointment history in contract shape (plus ``outcome`` and ``clinic_row``).

    Timestamps are ``datetime64``; ``status`` is the contract status or ``excluded``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for clinic, (doctors, minutes, sessions, weekdays) in CLINICS.items():
        n = 0
        for day in range(weeks * 7):
            date = start + dt.timedelta(days=day)
            if date.weekday() not in weekdays:
                continue
            base = dt.datetime.combine(date, dt.time())
            for doc in range(doctors):
                for s, e in sessions:
                    for t in range(_minutes(s), _minutes(e), minutes):
                        if rng.random() >= 0.9:
                            continue
                        n += 1
                        appt = base + dt.timedelta(minutes=t)
                        outcome = OUTCOMES[rng.choice(len(OUTCOMES), p=_OUTCOME_P)]
                        row = {
                            "attendance_id": str(n),
                            "polyclinic_id": clinic,
                            "patient_id": f"p{rng.integers(1, 4000):04d}",
                            "visit_type": VISIT_TYPES[rng.integers(0, 3)],
                            "booking_ts": appt
                            - dt.timedelta(
                                days=int(rng.integers(1, 21)), minutes=int(rng.integers(0, 600))
                            ),
                            "appointment_ts": appt,
                            "arrival_ts": pd.NaT,
                            "consult_start_ts": pd.NaT,
                            "consult_end_ts": pd.NaT,
                            "doctor_id": f"Dr {chr(65 + doc)} {clinic}",
                            "outcome": outcome,
                        }
                        if outcome == "Attended":
                            arrival = appt - dt.timedelta(minutes=int(rng.integers(0, 16)))
                            begin = max(arrival, appt) + dt.timedelta(
                                minutes=int(rng.integers(0, 6))
                            )
                            row["arrival_ts"] = arrival
                            row["consult_start_ts"] = begin
                            row["consult_end_ts"] = begin + dt.timedelta(
                                minutes=int(rng.integers(minutes // 2, minutes + 3))
                            )
                        rows.append(row)
    df = pd.DataFrame(rows)
    df["status"] = (
        df["outcome"]
        .map({"Attended": "attended", "Did Not Attend": "no_show", "Cancelled": "cancelled"})
        .fillna("excluded")
    )
    return df


def _clock(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%H:%M").where(s.notna(), "")


def foreign_frame(h: pd.DataFrame) -> pd.DataFrame:
    """``h`` in the foreign shape: day-first dates, separate clock columns, its own names."""
    return pd.DataFrame(
        {
            "Appointment ID": h["attendance_id"],
            "Clinic": h["polyclinic_id"],
            "Patient No": h["patient_id"],
            "Appointment Type": h["visit_type"],
            "Booked On": h["booking_ts"].dt.strftime("%d/%m/%Y %H:%M"),
            "Appointment Date": h["appointment_ts"].dt.strftime("%d/%m/%Y"),
            "Appointment Time": _clock(h["appointment_ts"]),
            "Arrival Time": _clock(h["arrival_ts"]),
            "Seen Time": _clock(h["consult_start_ts"]),
            "Finished Time": _clock(h["consult_end_ts"]),
            "Clinician": h["doctor_id"],
            "Outcome": h["outcome"],
        }
    )


@dataclass(frozen=True)
class ForeignExport:
    """A written export: where it is, its mapping, and what ingest must make of it.

    Attributes
    ----------
    source : Path
        The export (file or folder) to pass as SOURCE / ``--data``.
    mapping : Path or None
        The mapping file to pass as ``--mapping`` (None: the source needs none).
    expected : dict
        Per clinic: ``read``, ``accepted``, ``quarantined``, ``excluded``.
    truth : DataFrame
        The generated history (contract columns, ``status`` = ``excluded`` for unused rows).
    slots_per_day : dict
        Per clinic: the slots the clinic offers on each of its days (all doctors).
    """

    source: Path
    mapping: Path | None
    expected: dict[str, dict[str, int]]
    truth: pd.DataFrame
    slots_per_day: dict[str, int] = field(
        default_factory=lambda: {"North": 40, "South": 48, "East": 24}
    )


def _expected(h: pd.DataFrame) -> dict[str, dict[str, int]]:
    out = {}
    for clinic, g in h.groupby("polyclinic_id"):
        ex = int((g["status"] == "excluded").sum())
        out[str(clinic)] = {
            "read": len(g),
            "accepted": len(g) - ex,
            "quarantined": 0,
            "excluded": ex,
        }
    return out


def _fhir(h: pd.DataFrame, folder: Path) -> None:
    status = {
        "Attended": "fulfilled",
        "Did Not Attend": "noshow",
        "Cancelled": "cancelled",
        "Unknown": "entered-in-error",
        "Scheduled": "booked",
    }
    iso = "%Y-%m-%dT%H:%M:%S+08:00"
    folder.mkdir(parents=True, exist_ok=True)
    with (
        open(folder / "Appointment.ndjson", "w") as fa,
        open(folder / "Encounter.ndjson", "w") as fe,
    ):
        for r in h.itertuples():
            aid = f"{r.polyclinic_id}-{r.attendance_id}"
            fa.write(
                json.dumps(
                    {
                        "resourceType": "Appointment",
                        "id": aid,
                        "status": status[r.outcome],
                        "serviceType": [{"coding": [{"code": r.visit_type}]}],
                        "start": r.appointment_ts.strftime(iso),
                        "created": r.booking_ts.strftime(iso),
                        "participant": [
                            {
                                "actor": {"reference": f"Patient/{r.patient_id}"},
                                "status": "accepted",
                            },
                            {
                                "actor": {
                                    "reference": f"Practitioner/{r.doctor_id.replace(' ', '-')}"
                                },
                                "status": "accepted",
                            },
                            {
                                "actor": {"reference": f"Location/{r.polyclinic_id}"},
                                "status": "accepted",
                            },
                        ],
                    }
                )
                + "\n"
            )
            if r.outcome == "Attended":
                fe.write(
                    json.dumps(
                        {
                            "resourceType": "Encounter",
                            "id": f"e-{aid}",
                            "status": "finished",
                            "appointment": [{"reference": f"Appointment/{aid}"}],
                            "statusHistory": [
                                {
                                    "status": "arrived",
                                    "period": {
                                        "start": r.arrival_ts.strftime(iso),
                                        "end": r.consult_start_ts.strftime(iso),
                                    },
                                },
                                {
                                    "status": "in-progress",
                                    "period": {
                                        "start": r.consult_start_ts.strftime(iso),
                                        "end": r.consult_end_ts.strftime(iso),
                                    },
                                },
                            ],
                            "period": {
                                "start": r.arrival_ts.strftime(iso),
                                "end": r.consult_end_ts.strftime(iso),
                            },
                        }
                    )
                    + "\n"
                )


def build(folder: Path, kind: str = "csv", *, weeks: int = 8, seed: int = 7) -> ForeignExport:
    """Write the history as export ``kind`` (one of :data:`KINDS`) into ``folder``.

    ``csv``: comma-separated UTF-8; ``semicolon_latin1``: ``;``-separated latin-1 (the clinic
    ``North`` is written ``Nørth``) and the mapping declaring ``encoding = "latin-1"``;
    ``bom``: UTF-8 with a byte-order mark; ``excel``: an ``.xlsx`` workbook (sheet
    ``Appointments``, declared by ``sheet``); ``fhir``: a bulk-export folder
    (Appointment.ndjson + Encounter.ndjson, ids already network-wide, no mapping).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    h = history(weeks, seed)
    mapping_text = MAPPING
    if kind == "fhir":
        _fhir(h, folder / "export")
        return ForeignExport(folder / "export", None, _expected(h), h)
    frame = foreign_frame(h)
    if kind == "semicolon_latin1":
        frame["Clinic"] = frame["Clinic"].replace({"North": "Nørth"})
        h = h.assign(polyclinic_id=h["polyclinic_id"].replace({"North": "Nørth"}))
        src = folder / "export.csv"
        frame.to_csv(src, sep=";", index=False, encoding="latin-1")
        mapping_text = 'encoding = "latin-1"\n' + MAPPING
    elif kind == "bom":
        src = folder / "export.csv"
        frame.to_csv(src, index=False, encoding="utf-8-sig")
    elif kind == "excel":
        src = folder / "export.xlsx"
        frame.to_excel(src, sheet_name="Appointments", index=False)
        mapping_text = 'sheet = "Appointments"\n' + MAPPING
    else:
        src = folder / "export.csv"
        frame.to_csv(src, index=False)
    mapping = folder / "mapping.toml"
    mapping.write_text(mapping_text, encoding="utf-8")
    return ForeignExport(src, mapping, _expected(h), h)
