"""Single-doctor-session schedules: the typed form of the JSON read by ``polyslot evaluate``,
``polyslot simulate`` and written by ``polyslot sequence``.

All times are in slots of ``slot_minutes`` minutes. A patient's consultation time is a PMF over
whole slots (``pmf[i]`` = P(B = i) for a patient who comes); a parametric service
(``{"lognormal": {"mean": m, "cv": c}}`` or ``{"gamma": ...}``, mean in slots) is discretised
with :func:`polyslot.distributions.discretize` (nearest whole slot, tail mass 1e-6 folded into
the last bin). Patients are kept in appointment order; ties keep the order listed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from polyslot.distributions import FAMILIES, discretize
from polyslot.errors import InputError

__all__ = [
    "ArrivalOffsets",
    "PatientSpec",
    "Schedule",
    "parse_schedule",
    "parse_patient",
    "check_request",
    "check_int",
]

PMF_TOL = 1e-6
_SCHEDULE_KEYS = {"session_end", "doctor_start", "slot_minutes", "patients"}
_PATIENT_KEYS = {"appointment", "service", "no_show", "punctuality", "visit_type"}


@dataclass(frozen=True)
class ArrivalOffsets:
    """Arrival-offset PMF of one patient, in slots (negative = early).

    The per-visit-type estimate it is drawn from is :class:`polyslot.clinic_model.Punctuality`.
    """

    offsets: tuple[int, ...]
    pmf: tuple[float, ...]


@dataclass(frozen=True)
class PatientSpec:
    """One patient of a session.

    Parameters
    ----------
    appointment : int
        Appointment slot (>= 0). ``-1`` only in sequencing requests, before times are set.
    service : tuple of float
        PMF of the consultation time in slots, for a patient who comes.
    no_show : float
        Probability the patient does not come.
    punctuality : ArrivalOffsets or None
        Arrival-offset PMF; None = punctual.
    visit_type : str or None
        Optional label.
    """

    appointment: int
    service: tuple[float, ...]
    no_show: float = 0.0
    punctuality: ArrivalOffsets | None = None
    visit_type: str | None = None

    def service_array(self) -> np.ndarray:
        """The service PMF as a float64 array."""
        return np.asarray(self.service, dtype=np.float64)


@dataclass(frozen=True)
class Schedule:
    """A doctor session: patients (in appointment order), session end, doctor arrival slot."""

    session_end: int
    patients: tuple[PatientSpec, ...]
    doctor_start: int = 0
    slot_minutes: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_int(self.session_end, "session_end", minimum=0)
        check_int(self.doctor_start, "doctor_start", minimum=0)
        if not (math.isfinite(self.slot_minutes) and self.slot_minutes > 0):
            raise InputError("must be a number > 0", field="slot_minutes", value=self.slot_minutes)
        if not self.patients:
            raise InputError("must list at least one patient", field="patients", value=[])
        for k, p in enumerate(self.patients):
            check_int(p.appointment, f"patients[{k}].appointment", minimum=0)
        order = sorted(range(len(self.patients)), key=lambda k: self.patients[k].appointment)
        object.__setattr__(self, "patients", tuple(self.patients[k] for k in order))

    @property
    def appointments(self) -> np.ndarray:
        """Appointment slots in order (int64 array)."""
        return np.array([p.appointment for p in self.patients], dtype=np.int64)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form read by ``polyslot evaluate`` (services as explicit PMFs)."""
        out: list[dict[str, Any]] = []
        for p in self.patients:
            d: dict[str, Any] = {
                "appointment": int(p.appointment),
                "service": {"pmf": [float(x) for x in p.service]},
                "no_show": float(p.no_show),
            }
            if p.punctuality is not None:
                d["punctuality"] = {
                    "offsets": list(p.punctuality.offsets),
                    "pmf": list(p.punctuality.pmf),
                }
            if p.visit_type is not None:
                d["visit_type"] = p.visit_type
            out.append(d)
        return {
            "session_end": int(self.session_end),
            "doctor_start": int(self.doctor_start),
            "slot_minutes": self.slot_minutes,
            "patients": out,
        }


def check_int(value: Any, name: str, minimum: int | None = None) -> int:
    """``value`` as a whole number of slots (an integral float is accepted), at least
    ``minimum``; else :class:`~polyslot.errors.InputError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(
                f"must be an integer number of slots, got {value!r}", field=name, value=value
            )
    if minimum is not None and value < minimum:
        raise InputError(f"must be >= {minimum}, got {value!r}", field=name, value=value)
    return int(value)


def _check_prob(value: Any, name: str) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"must be a probability in [0, 1], got {value!r}", field=name, value=value
        ) from None
    if not (0.0 <= p <= 1.0):
        raise InputError(f"must be a probability in [0, 1], got {value!r}", field=name, value=value)
    return p


def _check_pmf(values: Any, name: str) -> tuple[float, ...]:
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) == 0:
        raise InputError(
            f"must be a non-empty list of probabilities, got {values!r}", field=name, value=values
        )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("must contain numbers only", field=name, value=values) from None
    if not np.all(np.isfinite(arr)):
        raise InputError("must contain finite numbers only", field=name, value=values)
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        i = int(neg[0])
        raise InputError(f"entry {i} is negative ({arr[i]!r})", field=name, value=float(arr[i]))
    total = float(arr.sum())
    if abs(total - 1.0) > PMF_TOL:
        raise InputError(
            f"must sum to 1 (within {PMF_TOL}), sums to {total!r}", field=name, value=total
        )
    return tuple(float(x) for x in arr)


def _parse_service(data: Any, name: str) -> tuple[float, ...]:
    if not isinstance(data, Mapping) or len(data) != 1:
        raise InputError(
            "must be an object with exactly one of 'pmf', 'lognormal', 'gamma', 'deterministic'",
            field=name,
            value=data,
        )
    ((kind, spec),) = data.items()
    if kind == "pmf":
        return _check_pmf(spec, f"{name}.pmf")
    if kind == "deterministic":
        n = check_int(spec, f"{name}.deterministic", minimum=0)
        return tuple([0.0] * n + [1.0])
    if kind in FAMILIES:
        if not isinstance(spec, Mapping) or set(spec) - {"mean", "cv"} or "mean" not in spec:
            raise InputError("must be {'mean': m, 'cv': c}", field=f"{name}.{kind}", value=spec)
        mean = float(spec["mean"])
        cv = float(spec.get("cv", 1.0))
        dist = FAMILIES[kind](mean, cv)
        return tuple(float(x) for x in discretize(dist, 1.0))
    raise InputError(
        f"unknown service kind {kind!r}; expected 'pmf', 'lognormal', 'gamma' or 'deterministic'",
        field=name,
        value=kind,
    )


def _parse_punctuality(data: Any, name: str) -> ArrivalOffsets:
    if not isinstance(data, Mapping) or set(data) != {"offsets", "pmf"}:
        raise InputError("must be {'offsets': [...], 'pmf': [...]}", field=name, value=data)
    offsets = data["offsets"]
    if not isinstance(offsets, Sequence) or isinstance(offsets, str):
        raise InputError("must be a list of integers", field=f"{name}.offsets", value=offsets)
    offs = tuple(check_int(o, f"{name}.offsets[{i}]") for i, o in enumerate(offsets))
    pmf = _check_pmf(data["pmf"], f"{name}.pmf")
    if len(offs) != len(pmf):
        raise InputError(
            f"offsets ({len(offs)}) and pmf ({len(pmf)}) must have the same length",
            field=name,
            value=len(offs),
        )
    return ArrivalOffsets(offs, pmf)


def parse_patient(data: Any, index: int, *, require_appointment: bool = True) -> PatientSpec:
    """Parse one patient object (field names are reported as ``patients[index].<field>``)."""
    name = f"patients[{index}]"
    if not isinstance(data, Mapping):
        raise InputError("must be an object", field=name, value=data)
    unknown = set(data) - _PATIENT_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"unknown key {key!r}", field=f"{name}.{key}", value=key)
    if "service" not in data:
        raise InputError("is required", field=f"{name}.service", value=None)
    if require_appointment:
        if "appointment" not in data:
            raise InputError("is required", field=f"{name}.appointment", value=None)
        appointment = check_int(data["appointment"], f"{name}.appointment", minimum=0)
    else:
        appointment = check_int(data.get("appointment", 0), f"{name}.appointment", minimum=0)
    punct = data.get("punctuality")
    vt = data.get("visit_type")
    if vt is not None and not isinstance(vt, str):
        raise InputError("must be a string", field=f"{name}.visit_type", value=vt)
    return PatientSpec(
        appointment=appointment,
        service=_parse_service(data["service"], f"{name}.service"),
        no_show=_check_prob(data.get("no_show", 0.0), f"{name}.no_show"),
        punctuality=None if punct is None else _parse_punctuality(punct, f"{name}.punctuality"),
        visit_type=vt,
    )


def check_request(data: Any, keys: Collection[str]) -> Mapping[str, Any]:
    """The top level of a one-session request (``polyslot evaluate``, ``polyslot sequence``):
    a JSON object with no key outside ``keys`` and a ``session_end``.

    Raises
    ------
    polyslot.errors.InputError
        Naming the first unknown key, or ``session_end`` when it is missing.
    """
    if not isinstance(data, Mapping):
        raise InputError("top level must be a JSON object", value=data)
    unknown = set(data) - set(keys)
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"unknown key {key!r}", field=key, value=key)
    if "session_end" not in data:
        raise InputError("is required", field="session_end", value=None)
    return data


def parse_schedule(data: Any, *, source: str | None = None) -> Schedule:
    """Validate the ``polyslot evaluate`` JSON structure and build a :class:`Schedule`.

    Raises
    ------
    polyslot.errors.InputError
        One line naming the field and the value (and ``source`` when given).
    """
    try:
        data = check_request(data, _SCHEDULE_KEYS)
        patients = data.get("patients")
        if not isinstance(patients, Sequence) or isinstance(patients, str) or not patients:
            raise InputError("must be a non-empty list", field="patients", value=patients)
        return Schedule(
            session_end=check_int(data["session_end"], "session_end", minimum=0),
            doctor_start=check_int(data.get("doctor_start", 0), "doctor_start", minimum=0),
            slot_minutes=float(data.get("slot_minutes", 1)),
            patients=tuple(parse_patient(p, k) for k, p in enumerate(patients)),
        )
    except InputError as exc:
        if source and exc.source is None:
            raise InputError(str(exc), source=source, value=exc.value) from None
        raise
