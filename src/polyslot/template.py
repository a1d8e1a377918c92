"""SlotTemplate: the appointment-slot template of one polyclinic (current and recommended alike).

A template is a set of slots, one row per bookable appointment: weekday, start time, duration,
visit type, the doctor session it belongs to, and whether it is an overbooked slot (a second
patient on a time already booked, placed to absorb expected no-shows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from polyslot.errors import InputError

__all__ = [
    "ANY_VISIT_TYPE",
    "Slot",
    "SlotTemplate",
    "WEEKDAYS",
    "is_unreserved",
    "normalise_visit_type",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Visit type of an unreserved slot: open to every visit type (empty input means the same).
ANY_VISIT_TYPE = "any"


def is_unreserved(visit_type: object) -> bool:
    """True when ``visit_type`` marks an unreserved slot (empty, None or ``"any"``)."""
    if visit_type is None:
        return True
    text = str(visit_type).strip()
    return text == "" or text.lower() == ANY_VISIT_TYPE or text.lower() == "nan"


def normalise_visit_type(visit_type: object) -> str:
    """A template slot's visit type as stored: :data:`ANY_VISIT_TYPE` when unreserved."""
    return ANY_VISIT_TYPE if is_unreserved(visit_type) else str(visit_type).strip()


_SLOT_COLUMNS = (
    "weekday",
    "start_minute",
    "duration_minutes",
    "visit_type",
    "doctor_session",
    "overbooked",
)


@dataclass(frozen=True)
class Slot:
    """One bookable appointment slot.

    Parameters
    ----------
    weekday : int
        0 = Monday ... 6 = Sunday.
    start_minute : int
        Appointment time in minutes after midnight (e.g. 510 = 08:30).
    duration_minutes : int
        Nominal slot length in minutes (> 0).
    visit_type : str
        Visit type the slot is reserved for; :data:`ANY_VISIT_TYPE` (``"any"``) for an
        unreserved slot open to every visit type.
    doctor_session : str
        Identifier of the doctor session (one doctor, one contiguous block of a day) serving it.
    overbooked : bool
        True when the slot double-books a time already booked in the same doctor session.
    """

    weekday: int
    start_minute: int
    duration_minutes: int
    visit_type: str
    doctor_session: str
    overbooked: bool = False

    def __post_init__(self) -> None:
        if not 0 <= int(self.weekday) <= 6:
            raise InputError("must be 0..6 (Mon..Sun)", field="weekday", value=self.weekday)
        if not 0 <= int(self.start_minute) < 24 * 60:
            raise InputError(
                f"must be in [0, 1440), got {self.start_minute}",
                field="start_minute",
                value=self.start_minute,
            )
        if int(self.duration_minutes) <= 0:
            raise InputError(
                f"must be > 0, got {self.duration_minutes}",
                field="duration_minutes",
                value=self.duration_minutes,
            )
        if not self.visit_type:
            raise InputError(
                "must be a non-empty string", field="visit_type", value=self.visit_type
            )

    @property
    def hour(self) -> int:
        """Hour of day of the appointment time."""
        return self.start_minute // 60

    @property
    def start_time(self) -> str:
        """Appointment time as ``HH:MM``."""
        return f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}"


@dataclass(frozen=True)
class SlotTemplate:
    """All slots of one polyclinic's weekly template.

    Parameters
    ----------
    polyclinic_id : str
        The polyclinic this template belongs to.
    slots : tuple of Slot
        The slots, kept sorted by (weekday, doctor_session, start_minute).
    bucket_minutes : int
        Bucket length used when counting slots per bucket (60 = per hour).
    label : str
        Free label, e.g. ``"current"`` or ``"recommended"``.
    """

    polyclinic_id: str
    slots: tuple[Slot, ...] = field(default_factory=tuple)
    bucket_minutes: int = 60
    label: str = "current"

    def __post_init__(self) -> None:
        if self.bucket_minutes <= 0 or 1440 % self.bucket_minutes:
            raise InputError(
                "must divide 1440 and be > 0", field="bucket_minutes", value=self.bucket_minutes
            )
        ordered = tuple(
            sorted(self.slots, key=lambda s: (s.weekday, s.doctor_session, s.start_minute))
        )
        object.__setattr__(self, "slots", ordered)

    # -- views -------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per slot with the columns of :data:`_SLOT_COLUMNS` plus ``start_time``."""
        rows = [asdict(s) for s in self.slots]
        frame = pd.DataFrame(rows, columns=list(_SLOT_COLUMNS))
        frame["start_time"] = [s.start_time for s in self.slots]
        return frame

    def counts(self) -> pd.DataFrame:
        """Slots per weekday x bucket x visit type.

        Columns: weekday, bucket_start, visit_type, slots.

        ``bucket_start`` is in minutes after midnight.
        """
        frame = self.to_frame()
        if frame.empty:
            return pd.DataFrame(columns=["weekday", "bucket_start", "visit_type", "slots"])
        frame["bucket_start"] = frame["start_minute"] // self.bucket_minutes * self.bucket_minutes
        out = (
            frame.groupby(["weekday", "bucket_start", "visit_type"], as_index=False)
            .size()
            .rename(columns={"size": "slots"})
        )
        return out.sort_values(["weekday", "bucket_start", "visit_type"]).reset_index(drop=True)

    def sessions(self) -> dict[str, tuple[Slot, ...]]:
        """Slots grouped by doctor session, each group in appointment order."""
        out: dict[str, list[Slot]] = {}
        for s in self.slots:
            out.setdefault(s.doctor_session, []).append(s)
        return {k: tuple(sorted(v, key=lambda s: s.start_minute)) for k, v in out.items()}

    def for_weekday(self, weekday: int) -> SlotTemplate:
        """The sub-template of one weekday."""
        return SlotTemplate(
            self.polyclinic_id,
            tuple(s for s in self.slots if s.weekday == weekday),
            self.bucket_minutes,
            self.label,
        )

    @property
    def weekdays(self) -> tuple[int, ...]:
        """Weekdays that have at least one slot."""
        return tuple(sorted({s.weekday for s in self.slots}))

    # -- (de)serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` inverts it."""
        return {
            "polyclinic_id": self.polyclinic_id,
            "bucket_minutes": self.bucket_minutes,
            "label": self.label,
            "slots": [asdict(s) for s in self.slots],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlotTemplate:
        """Build from the output of :meth:`to_dict`."""
        return cls(
            polyclinic_id=str(data["polyclinic_id"]),
            slots=tuple(Slot(**s) for s in data.get("slots", ())),
            bucket_minutes=int(data.get("bucket_minutes", 60)),
            label=str(data.get("label", "current")),
        )

    @classmethod
    def from_frame(
        cls,
        polyclinic_id: str,
        frame: pd.DataFrame,
        *,
        bucket_minutes: int = 60,
        label: str = "current",
    ) -> SlotTemplate:
        """Build from a frame with the slot columns (``overbooked`` optional)."""
        records: Iterable[dict[str, Any]] = frame.to_dict("records")
        slots = tuple(
            Slot(
                weekday=int(r["weekday"]),
                start_minute=int(r["start_minute"]),
                duration_minutes=int(r["duration_minutes"]),
                visit_type=str(r["visit_type"]),
                doctor_session=str(r["doctor_session"]),
                overbooked=bool(r.get("overbooked", False)),
            )
            for r in records
        )
        return cls(polyclinic_id, slots, bucket_minutes, label)
