"""The inputs of one simulated clinic day, and sampling them from a ClinicDay.

A :class:`DayPlan` lists the doctor sessions on duty (each a server from ``start`` to ``end``,
minutes after midnight) and every patient of the day: appointment time (NaN for walk-ins),
arrival time (NaN for no-shows), consultation minutes, visit type and booked session.

Sampling (:func:`sample_day`) follows the :class:`~polyslot.day.spec.ClinicDay` it is given (the
one specification of a clinic day, :mod:`polyslot.day`), with numpy's generators (independently
of the fast evaluator's counter-based numbers, so the two engines check each other): slot ``j``
holds a patient with probability ``booked x kept`` (booked and not cancelled late); the patient
does not come with probability ``no_show``; otherwise arrives at appointment + an offset drawn
from the visit type's punctuality PMF (slots x ``slot_minutes``). Walk-ins per hour are Poisson
with the stream's rate, uniform within the hour. Consultation minutes come from a uniform ``u``
per patient through :class:`ServiceSampler`. Each kind of draw has its own random stream (derived
from ``rng``), so two days simulated with the same seed share the walk-ins and their consultation
times, and the patient of the i-th slot gets the same booking, no-show, punctuality and service
draws (common random numbers). Absences (:attr:`ClinicDay.absence`): each doctor is absent with
that probability; a session nobody present covers is kept; an absent doctor's booked patient is
lost with ``absence_lost``, else seen by the stand-in session the ClinicDay's rule names; only
the sessions on duty are servers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from polyslot.day.spec import ClinicDay, VisitTypeSpec
from polyslot.errors import InputError

__all__ = ["Server", "DayPlan", "ServiceSampler", "servers_of", "on_duty", "stand_in", "sample_day"]


@dataclass(frozen=True)
class Server:
    """One doctor session: a server on duty from ``start`` to ``end`` (minutes)."""

    name: str
    start: float
    end: float

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise InputError(
                "end must be after start",
                field=f"server[{self.name}]",
                value=(self.start, self.end),
            )


@dataclass(frozen=True)
class DayPlan:
    """Everything one simulated day needs (arrays have one entry per patient)."""

    servers: tuple[Server, ...]
    appointment: np.ndarray  # float minutes, NaN for walk-ins
    arrival: np.ndarray  # float minutes, NaN for no-shows
    service: np.ndarray  # float minutes
    visit_type: tuple[str, ...]
    booked_server: np.ndarray  # int index into servers, -1 for walk-ins

    def __post_init__(self) -> None:
        if not self.servers:
            raise InputError("a day needs at least one doctor session", field="servers", value=())
        n = self.appointment.size
        for name in ("arrival", "service", "booked_server"):
            if getattr(self, name).size != n:
                raise InputError(
                    f"must have {n} entries (one per patient)",
                    field=name,
                    value=getattr(self, name).size,
                )
        if len(self.visit_type) != n:
            raise InputError(
                f"must have {n} entries (one per patient)",
                field="visit_type",
                value=len(self.visit_type),
            )
        b = self.booked_server
        if b.size and (b.min() < -1 or b.max() >= len(self.servers)):
            raise InputError(
                "must index the servers (or be -1 for walk-ins)",
                field="booked_server",
                value=int(b.max()),
            )

    @property
    def size(self) -> int:
        """Number of patients (booked and walk-in)."""
        return int(self.appointment.size)


class ServiceSampler:
    """Consultation minutes per visit type from uniforms (inverse CDF, so CRN work).

    ``mode="pmf"`` uses the day's slot-grid PMF (i slots -> i * slot_minutes minutes);
    ``mode="lognormal"`` a continuous lognormal with the visit type's ``mean_minutes`` and ``cv``.
    """

    def __init__(
        self, visit_types: Sequence[VisitTypeSpec], slot_minutes: float, mode: str = "pmf"
    ) -> None:
        if mode not in ("pmf", "lognormal"):
            raise InputError("must be 'pmf' or 'lognormal'", field="service_mode", value=mode)
        self.mode = mode
        self.slot = float(slot_minutes)
        self._cdf = {v.name: np.cumsum(v.service_pmf) for v in visit_types}
        self._ln = {}
        for v in visit_types:
            sigma2 = np.log1p(v.cv**2)
            self._ln[v.name] = (np.log(v.mean_minutes) - sigma2 / 2, np.sqrt(sigma2))

    def __call__(self, visit_types: tuple[str, ...] | list[str], u: np.ndarray) -> np.ndarray:
        """Minutes for patients of ``visit_types`` with uniforms ``u``."""
        out = np.empty(len(visit_types))
        vt = np.asarray(visit_types, dtype=object)
        for v in set(visit_types):
            if v not in self._cdf:
                raise InputError("no service-time distribution", field="visit_type", value=v)
            mask = vt == v
            if self.mode == "pmf":
                cdf = self._cdf[v]
                idx = np.minimum(np.searchsorted(cdf, u[mask], side="right"), cdf.size - 1)
                out[mask] = idx * self.slot
            else:
                mu, sig = self._ln[v]
                out[mask] = np.exp(mu + sig * ndtri(np.clip(u[mask], 1e-12, 1 - 1e-12)))
        return out


def servers_of(day: ClinicDay) -> tuple[Server, ...]:
    """The day's doctor sessions as servers (in the day's order)."""
    return tuple(Server(s.name, s.start, s.end) for s in day.sessions)


def on_duty(day: ClinicDay, rng: np.random.Generator) -> list[bool]:
    """Which sessions of ``day`` are on duty: each doctor absent with ``day.absence``; a
    session nobody present covers is kept (in session order)."""
    n = len(day.sessions)
    if day.absence <= 0:
        return [True] * n
    gone = {d: bool(u < day.absence) for d, u in zip(day.doctors, rng.random(len(day.doctors)),
                                                     strict=True)}
    present = [not gone[s.doctor] for s in day.sessions]
    for i, s in enumerate(day.sessions):
        if not present[i] and not any(
            present[o] and t.start < s.end and s.start < t.end
            for o, t in enumerate(day.sessions)
        ):
            present[i] = True
    return present


def stand_in(day: ClinicDay, present: Sequence[bool], minute: float, rank: int) -> int:
    """The session on duty that sees the patient of an absent doctor's slot of rank ``rank``:
    of the present sessions covering ``minute`` (else of all present), index ``rank mod count``."""
    cover = [i for i, s in enumerate(day.sessions) if present[i] and s.start <= minute < s.end]
    pool = cover or [i for i in range(len(day.sessions)) if present[i]]
    return pool[rank % len(pool)]


def sample_day(
    day: ClinicDay,
    rng: np.random.Generator,
    *,
    service: ServiceSampler | None = None,
) -> DayPlan:
    """Draw one day's patients of ``day`` (see the module docstring)."""
    if not day.sessions:
        raise InputError("no doctor session on this weekday", field="weekday", value=day.weekday)
    sampler = service or ServiceSampler(day.visit_types, day.slot_minutes)
    slots = day.slots
    appt = np.array([s.minute for s in slots], dtype=np.float64)
    vts = [s.visit_type for s in slots]
    booked = np.array([s.session for s in slots], dtype=np.int64)
    hold = np.array([s.booked * s.kept for s in slots])
    p = np.array([s.no_show for s in slots])
    # separate streams (common random numbers): the walk-ins and their consultation times do not
    # depend on the template; booked patient i's draws depend only on their slot's rank i
    r_book, r_show, r_punct, r_walk, r_svc, r_wsvc, r_abs, r_lost = (
        np.random.default_rng(int(x)) for x in rng.integers(0, 2**63 - 1, size=8)
    )
    held = r_book.random(appt.size) < hold
    present = on_duty(day, r_abs)
    u_lost = r_lost.random(appt.size)
    for j in range(appt.size):
        if held[j] and not present[booked[j]]:
            if u_lost[j] < day.absence_lost:
                held[j] = False
            else:
                booked[j] = stand_in(day, present, appt[j], j)
    # only the sessions on duty serve: renumber them
    index = np.cumsum(present) - 1
    servers = tuple(
        Server(s.name, s.start, s.end) for s, on in zip(day.sessions, present, strict=True) if on
    )
    booked = index[booked] if booked.size else booked
    came = r_show.random(appt.size) >= p
    offset = np.zeros(appt.size)
    u_off = r_punct.random(appt.size)
    for v in day.visit_types:
        mask = np.array([x == v.name for x in vts], dtype=bool)
        if not mask.any():
            continue
        cdf = np.cumsum(v.punctuality_pmf)
        j = np.minimum(np.searchsorted(cdf, u_off[mask], side="right"), cdf.size - 1)
        offset[mask] = np.asarray(v.punctuality_offsets, dtype=np.float64)[j] * day.slot_minutes
    arrival = np.where(came, appt + offset, np.nan)
    u_svc = r_svc.random(appt.size)
    keep = np.flatnonzero(held)
    w_times: list[float] = []
    w_vts: list[str] = []
    for w in day.walk_ins:
        n = int(r_walk.poisson(w.rate)) if w.rate > 0 else 0
        w_times.extend((w.hour * 60 + 60 * r_walk.random(n)).tolist())
        w_vts.extend([w.visit_type] * n)
    order = np.argsort(np.asarray(w_times), kind="stable")
    w_arr = np.asarray(w_times, dtype=np.float64)[order]
    w_vts = [w_vts[i] for i in order]
    b_vts = [vts[i] for i in keep]
    all_vts = tuple(b_vts + w_vts)
    u = np.concatenate((u_svc[keep], r_wsvc.random(w_arr.size)))
    minutes = sampler(all_vts, u)
    return DayPlan(
        servers=servers,
        appointment=np.concatenate((appt[keep], np.full(w_arr.size, np.nan))),
        arrival=np.concatenate((arrival[keep], w_arr)),
        service=minutes,
        visit_type=all_vts,
        booked_server=np.concatenate((booked[keep], np.full(w_arr.size, -1, dtype=np.int64))),
    )
