"""ClinicModel: everything the optimizer and the simulator need to know about one polyclinic.

Built by :mod:`polyslot.estimate` from validated history, frozen, and JSON-serialisable so that
optimize and simulate can run from a file. Times are on a slot grid of ``slot_minutes`` minutes
(service PMFs and punctuality offsets are in slots); clock times are minutes after midnight.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from polyslot.errors import InputError
from polyslot.template import SlotTemplate

__all__ = [
    "ServiceTime",
    "Punctuality",
    "NoShowRate",
    "DemandRate",
    "HourlyValue",
    "DoctorSession",
    "BookingModel",
    "QueueModel",
    "AbsenceModel",
    "ClinicModel",
]


def _check_pmf(pmf: tuple[float, ...], field_name: str) -> None:
    if len(pmf) == 0:
        raise InputError("must not be empty", field=field_name, value=pmf)
    if any((not math.isfinite(p)) or p < 0 for p in pmf):
        raise InputError("entries must be finite and >= 0", field=field_name, value=pmf)
    total = math.fsum(pmf)
    if abs(total - 1.0) > 1e-6:
        raise InputError(f"must sum to 1 (got {total:.8f})", field=field_name, value=total)


@dataclass(frozen=True)
class ServiceTime:
    """Consultation-time distribution of one visit type.

    Parameters
    ----------
    visit_type : str
    pmf : tuple of float
        ``pmf[i]`` = P(consultation lasts i slots) for a patient who comes.
    mean_minutes, cv : float
        Mean and coefficient of variation of the (continuous) consultation time.
    family : str
        Chosen parametric family (``lognormal``, ``gamma``, ``weibull``) or ``empirical``.
    params : dict
        Parameters of the family (e.g. ``{"mean": 12.0, "cv": 0.5}``).
    n_obs : int
        Observations behind the estimate at this polyclinic.
    pooled : bool
        True when the estimate was shrunk toward the network-wide distribution (few observations).
    ks_distance : float or None
        Kolmogorov-Smirnov distance of the family to the data, when fitted.
    """

    visit_type: str
    pmf: tuple[float, ...]
    mean_minutes: float
    cv: float
    family: str = "empirical"
    params: dict[str, float] = field(default_factory=dict)
    n_obs: int = 0
    pooled: bool = False
    ks_distance: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pmf", tuple(float(p) for p in self.pmf))
        _check_pmf(self.pmf, f"service[{self.visit_type}].pmf")
        if self.mean_minutes <= 0:
            raise InputError("must be > 0", field="mean_minutes", value=self.mean_minutes)


@dataclass(frozen=True)
class Punctuality:
    """Arrival minus appointment time, in slots (negative = early), for one visit type.

    ``very_late_share`` is the share of arrivals later than the late-arrival threshold.
    """

    visit_type: str
    offsets: tuple[int, ...]
    pmf: tuple[float, ...]
    very_late_share: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "offsets", tuple(int(o) for o in self.offsets))
        object.__setattr__(self, "pmf", tuple(float(p) for p in self.pmf))
        if len(self.offsets) != len(self.pmf):
            raise InputError(
                "offsets and pmf must have the same length",
                field="punctuality",
                value=self.visit_type,
            )
        _check_pmf(self.pmf, f"punctuality[{self.visit_type}].pmf")


@dataclass(frozen=True)
class NoShowRate:
    """No-show probability of a booked appointment of ``visit_type`` on ``weekday`` at ``hour``."""

    visit_type: str
    weekday: int
    hour: int
    rate: float
    n_obs: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise InputError("must be in [0, 1]", field="no_show.rate", value=self.rate)


@dataclass(frozen=True)
class DemandRate:
    """Expected appointment requests per day of one visit type on one weekday.

    ``lower``/``upper`` bound a prediction interval of level ``level``; ``variance`` is the
    day-to-day variance used for chance constraints.
    """

    visit_type: str
    weekday: int
    mean: float
    variance: float
    lower: float
    upper: float
    level: float = 0.9


@dataclass(frozen=True)
class HourlyValue:
    """A value per weekday x hour (optionally per visit type), e.g. doctors on duty, walk-ins,
    or the share of requests preferring that hour."""

    weekday: int
    hour: int
    value: float
    visit_type: str | None = None


@dataclass(frozen=True)
class DoctorSession:
    """One doctor's contiguous block of work on a weekday (minutes after midnight)."""

    weekday: int
    session_id: str
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if self.end_minute <= self.start_minute:
            raise InputError(
                "end_minute must be after start_minute",
                field="doctor_session",
                value=self.session_id,
            )


@dataclass(frozen=True)
class BookingModel:
    """How the template's slots get booked, learned from the history.

    Parameters
    ----------
    cancellation : dict
        Per visit type, the share of bookings cancelled late (the slot stays empty).
    demand : tuple of DemandRate
        The requests a day that book slots, per weekday x visit type, where they differ from
        :attr:`ClinicModel.demand` (learned so that today's template gets the bookings of the
        history; :mod:`polyslot.estimate.booking`); elsewhere the model's demand books.
    calibration : tuple of dict
        Per weekday x visit type where the history contradicted the demand model under today's
        template, what was changed and why: ``{"weekday", "visit_type", "slots", "observed",
        "full_share", "mean_before", "mean_after", "applies_to"}`` (bookings a day;
        ``full_share`` the share of days whose slots were all booked; ``applies_to``
        ``"demand"`` when the slots were always full, so the requests themselves are at least
        the slots, else ``"booking"``).
    """

    cancellation: dict[str, float] = field(default_factory=dict)
    demand: tuple[DemandRate, ...] = ()
    calibration: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "cancellation", {str(k): float(v) for k, v in sorted(self.cancellation.items())}
        )
        for k, v in self.cancellation.items():
            if not 0.0 <= v <= 1.0:
                raise InputError("must be a share in [0, 1]", field=f"cancellation.{k}", value=v)
        object.__setattr__(self, "calibration", tuple(dict(c) for c in self.calibration))
        object.__setattr__(
            self,
            "demand",
            tuple(r if isinstance(r, DemandRate) else DemandRate(**r) for r in self.demand),
        )


@dataclass(frozen=True)
class AbsenceModel:
    """Doctors absent on the day, learned from the roster (:mod:`polyslot.estimate.absence`).

    Parameters
    ----------
    rate : dict
        Per weekday, the probability a planned doctor is absent for the whole day (absent
        doctor-sessions / planned doctor-sessions of the roster, shrunk towards the polyclinic's
        rate); a weekday not listed has none.
    lost : float
        Probability a booked patient of an absent doctor does not come (the slot was blocked
        and the request lost); the others keep their appointment with a doctor on duty.
    planned, absent : int
        Doctor-sessions planned (the typical roster on each staffed date) and missing.
    source : str
        ``roster``, ``no_roster`` or ``config``.
    evidence : str
        What the roster shows, in words.
    """

    rate: dict[int, float] = field(default_factory=dict)
    lost: float = 0.0
    planned: int = 0
    absent: int = 0
    source: str = "no_roster"
    evidence: str = "no day-to-day roster: every planned doctor assumed present"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "rate", {int(k): float(v) for k, v in sorted(self.rate.items(), key=lambda
                                                                 kv: int(kv[0]))}
        )
        for k, v in self.rate.items():
            if not 0.0 <= v < 1.0:
                raise InputError("must be a probability in [0, 1)", field=f"absence.rate.{k}",
                                 value=v)
        if not 0.0 <= float(self.lost) <= 1.0:
            raise InputError("must be a probability in [0, 1]", field="absence.lost",
                             value=self.lost)
        object.__setattr__(self, "lost", float(self.lost))

    def on(self, weekday: int) -> float:
        """The absence probability of ``weekday``."""
        return self.rate.get(int(weekday), 0.0)


#: Queue disciplines a history can show (see :mod:`polyslot.day.spec`).
QUEUE_DISCIPLINES = ("pooled", "per_doctor", "dedicated")


@dataclass(frozen=True)
class QueueModel:
    """Which doctor sees whom, estimated from the history.

    Parameters
    ----------
    discipline : str
        ``pooled`` (whichever doctor is free sees the next patient) or ``per_doctor`` (patients
        stay with the doctor they booked); ``dedicated`` only by configuration.
    evidence : str
        What the history shows, in words.
    other_doctor_share : float or None
        Share of booked patients seen by another doctor than the one booked (when the history
        names both).
    overtaken_share : float or None
        Share of patients who waited while a patient who arrived later started first (a pooled
        first-come-first-served queue has none).
    waited : int
        Visits with a wait behind the estimate.
    source : str
        ``booked_doctor``, ``arrival_order``, ``one_doctor``, ``no_history`` or ``config``.
    """

    discipline: str = "pooled"
    evidence: str = "no history: pooled first-come-first-served assumed"
    other_doctor_share: float | None = None
    overtaken_share: float | None = None
    waited: int = 0
    source: str = "no_history"

    def __post_init__(self) -> None:
        if self.discipline not in QUEUE_DISCIPLINES:
            raise InputError(
                f"must be one of {', '.join(QUEUE_DISCIPLINES)}",
                field="queue.discipline",
                value=self.discipline,
            )


@dataclass(frozen=True)
class ClinicModel:
    """All estimated inputs of one polyclinic.

    Parameters
    ----------
    polyclinic_id : str
    slot_minutes : int
        Length of one slot of the time grid, in minutes.
    visit_types : tuple of str
    service : tuple of ServiceTime
        One per visit type.
    punctuality : tuple of Punctuality
        One per visit type.
    no_show : tuple of NoShowRate
        Per visit type x weekday x hour.
    demand : tuple of DemandRate
        Per visit type x weekday.
    preference : tuple of HourlyValue
        Share of a visit type's requests that prefer each weekday x hour (sums to 1 per visit
        type and weekday).
    walk_ins : tuple of HourlyValue
        Expected walk-ins per weekday x hour (``visit_type`` set when known).
    staffing : tuple of HourlyValue
        Doctors on duty per weekday x hour.
    sessions : tuple of DoctorSession
        Doctor sessions of a typical week, from the roster.
    current_template : SlotTemplate
    opening : dict
        ``{weekday: [open_minute, close_minute]}`` as strings of ints in JSON.
    booking : BookingModel
        Late cancellations and the history's calibration of the demand (how full slots get).
    queue : QueueModel
        The queue discipline the history shows.
    absence : AbsenceModel
        Whole-day doctor absences the roster shows.
    meta : dict
        Provenance: sources used (e.g. ``"no_show_source": "supplied_predictions"``), date
        range, counts, flags (pooled visit types, ...).
    """

    polyclinic_id: str
    slot_minutes: int
    visit_types: tuple[str, ...]
    service: tuple[ServiceTime, ...]
    punctuality: tuple[Punctuality, ...]
    no_show: tuple[NoShowRate, ...]
    demand: tuple[DemandRate, ...]
    preference: tuple[HourlyValue, ...]
    walk_ins: tuple[HourlyValue, ...]
    staffing: tuple[HourlyValue, ...]
    sessions: tuple[DoctorSession, ...]
    current_template: SlotTemplate
    opening: dict[int, tuple[int, int]] = field(default_factory=dict)
    booking: BookingModel = field(default_factory=BookingModel)
    queue: QueueModel = field(default_factory=QueueModel)
    absence: AbsenceModel = field(default_factory=AbsenceModel)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.slot_minutes <= 0:
            raise InputError("must be > 0", field="slot_minutes", value=self.slot_minutes)
        for name in (
            "visit_types",
            "service",
            "punctuality",
            "no_show",
            "demand",
            "preference",
            "walk_ins",
            "staffing",
            "sessions",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(
            self, "opening", {int(k): (int(v[0]), int(v[1])) for k, v in self.opening.items()}
        )
        known = set(self.visit_types)
        missing = known - {s.visit_type for s in self.service}
        if missing:
            raise InputError(
                "every visit type needs a service-time distribution",
                field="service",
                value=sorted(missing),
            )

    # -- lookups -----------------------------------------------------------------------------
    def service_for(self, visit_type: str) -> ServiceTime:
        """The consultation-time distribution of ``visit_type``."""
        for s in self.service:
            if s.visit_type == visit_type:
                return s
        raise InputError(
            f"unknown visit type of polyclinic {self.polyclinic_id} "
            f"(known: {', '.join(self.visit_types)}; unreserved slots need "
            "polyslot.unreserved.with_unreserved)",
            field="visit_type",
            value=visit_type,
        )

    def punctuality_for(self, visit_type: str) -> Punctuality:
        """Punctuality of ``visit_type`` (punctual if none was estimated)."""
        for p in self.punctuality:
            if p.visit_type == visit_type:
                return p
        return Punctuality(visit_type, (0,), (1.0,))

    def no_show_rate(self, visit_type: str, weekday: int, hour: int) -> float:
        """No-show probability; falls back to the visit type's mean over all hours, then 0."""
        exact, mean = self._no_show_lookup
        hit = exact.get((visit_type, weekday, hour))
        if hit is not None:
            return hit
        return mean.get(visit_type, 0.0)

    @functools.cached_property
    def _no_show_lookup(self) -> tuple[dict[tuple[str, int, int], float], dict[str, float]]:
        """``(first rate per (visit type, weekday, hour), mean rate per visit type)``: the
        simulator asks for every slot of every replicated day."""
        exact: dict[tuple[str, int, int], float] = {}
        same: dict[str, list[float]] = {}
        for r in self.no_show:
            exact.setdefault((r.visit_type, r.weekday, r.hour), r.rate)
            same.setdefault(r.visit_type, []).append(r.rate)
        return exact, {v: float(sum(xs) / len(xs)) for v, xs in same.items()}

    def booking_demand(self) -> tuple[DemandRate, ...]:
        """The requests a day that book slots: the booking model's where it has one, else
        :attr:`demand` (see :class:`BookingModel`)."""
        if not self.booking.demand:
            return self.demand
        own = {(r.weekday, r.visit_type): r for r in self.booking.demand}
        return tuple(own.get((r.weekday, r.visit_type), r) for r in self.demand)

    def doctors_on_duty(self, weekday: int, hour: int) -> float:
        """Doctors on duty on ``weekday`` during ``hour`` (0 if none)."""
        for s in self.staffing:
            if s.weekday == weekday and s.hour == hour:
                return s.value
        return 0.0

    # -- (de)serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` inverts it."""
        d = asdict(self)
        d["current_template"] = self.current_template.to_dict()
        d["opening"] = {str(k): list(v) for k, v in self.opening.items()}
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClinicModel:
        """Build from the output of :meth:`to_dict`."""
        return cls(
            polyclinic_id=str(data["polyclinic_id"]),
            slot_minutes=int(data["slot_minutes"]),
            visit_types=tuple(data["visit_types"]),
            service=tuple(ServiceTime(**s) for s in data["service"]),
            punctuality=tuple(Punctuality(**p) for p in data.get("punctuality", ())),
            no_show=tuple(NoShowRate(**r) for r in data.get("no_show", ())),
            demand=tuple(DemandRate(**r) for r in data.get("demand", ())),
            preference=tuple(HourlyValue(**r) for r in data.get("preference", ())),
            walk_ins=tuple(HourlyValue(**r) for r in data.get("walk_ins", ())),
            staffing=tuple(HourlyValue(**r) for r in data.get("staffing", ())),
            sessions=tuple(DoctorSession(**r) for r in data.get("sessions", ())),
            current_template=SlotTemplate.from_dict(data["current_template"]),
            opening={int(k): tuple(v) for k, v in data.get("opening", {}).items()},
            booking=BookingModel(**data.get("booking", {})),
            queue=QueueModel(**data.get("queue", {})),
            absence=AbsenceModel(**data.get("absence", {})),
            meta=dict(data.get("meta", {})),
        )

    def to_json(self, path: str | Path) -> Path:
        """Write the model to ``path`` atomically."""
        from polyslot.atomic import write_json

        return write_json(path, self.to_dict())

    @classmethod
    def from_json(cls, path: str | Path) -> ClinicModel:
        """Read a model written by :meth:`to_json`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(
                f"cannot read ClinicModel ({exc.strerror})", source=str(path)
            ) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", source=str(path)) from None
        return cls.from_dict(data)
