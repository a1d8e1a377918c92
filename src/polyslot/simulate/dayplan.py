"""The inputs of one simulated clinic day, and sampling them from a ClinicModel and a template.

A :class:`DayPlan` lists the doctor sessions on duty (each a server from ``start`` to ``end``,
minutes after midnight) and every patient of the day: appointment time (NaN for walk-ins),
arrival time (NaN for no-shows), consultation minutes, visit type and booked session.

Sampling (:func:`sample_day`): every slot of the weekday's template is booked by one patient;
the patient does not come with probability ``model.no_show_rate(visit_type, weekday, hour)``;
otherwise arrives at appointment + an offset drawn from the visit type's punctuality PMF
(slots x ``slot_minutes``). Walk-ins per hour are Poisson with the model's ``walk_ins`` mean,
uniform within the hour. Consultation minutes come from a uniform ``u`` per patient through
:class:`ServiceSampler`. Each kind of draw has its own random stream (derived from ``rng``), so
two templates simulated with the same seed share the walk-ins and their consultation times, and
the booked patient of the i-th slot gets the same no-show, punctuality and service draws
(common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from polyslot.clinic_model import ClinicModel
from polyslot.errors import InputError
from polyslot.template import ANY_VISIT_TYPE, SlotTemplate
from polyslot.unreserved import mixed_service

__all__ = ["Server", "DayPlan", "ServiceSampler", "servers_for", "sample_day"]


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

    ``mode="pmf"`` uses the ClinicModel's slot-grid PMF (i slots -> i * slot_minutes minutes);
    ``mode="lognormal"`` a continuous lognormal with the visit type's ``mean_minutes`` and ``cv``.
    """

    def __init__(self, model: ClinicModel, mode: str = "pmf") -> None:
        if mode not in ("pmf", "lognormal"):
            raise InputError("must be 'pmf' or 'lognormal'", field="service_mode", value=mode)
        self.mode = mode
        self.slot = float(model.slot_minutes)
        services = list(model.service)
        if model.visit_types and ANY_VISIT_TYPE not in {s.visit_type for s in services}:
            # unreserved slots draw from the visit-type mix (with_unreserved's service row)
            services.append(mixed_service(model))
        self._cdf = {s.visit_type: np.cumsum(s.pmf) for s in services}
        self._ln = {}
        for s in services:
            sigma2 = np.log1p(s.cv**2)
            self._ln[s.visit_type] = (np.log(s.mean_minutes) - sigma2 / 2, np.sqrt(sigma2))

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


def servers_for(model: ClinicModel, template: SlotTemplate, weekday: int) -> tuple[Server, ...]:
    """Doctor sessions of ``weekday``: the model's roster sessions, else the template's spans."""
    known = {s.session_id: s for s in model.sessions if s.weekday == weekday}
    out = []
    for sid, slots in template.for_weekday(weekday).sessions().items():
        if sid in known:
            out.append(Server(sid, known[sid].start_minute, known[sid].end_minute))
        else:
            out.append(
                Server(
                    sid,
                    slots[0].start_minute,
                    max(s.start_minute + s.duration_minutes for s in slots),
                )
            )
    for sid, s in known.items():
        if sid not in {o.name for o in out}:
            out.append(Server(sid, s.start_minute, s.end_minute))
    return tuple(sorted(out, key=lambda s: (s.start, s.name)))


def sample_day(
    model: ClinicModel,
    template: SlotTemplate,
    weekday: int,
    rng: np.random.Generator,
    *,
    service: ServiceSampler | None = None,
    walk_in_visit_type: str | None = None,
) -> DayPlan:
    """Draw one day's patients for ``template`` on ``weekday`` (see module docstring)."""
    servers = servers_for(model, template, weekday)
    if not servers:
        raise InputError("no doctor session on this weekday", field="weekday", value=weekday)
    index = {s.name: i for i, s in enumerate(servers)}
    slots = template.for_weekday(weekday).slots
    sampler = service or ServiceSampler(model)
    wvt = walk_in_visit_type or model.visit_types[0]
    appt = np.array([s.start_minute for s in slots], dtype=np.float64)
    vts = [s.visit_type for s in slots]
    booked = np.array([index[s.doctor_session] for s in slots], dtype=np.int64)
    p = np.array([model.no_show_rate(s.visit_type, weekday, s.hour) for s in slots])
    # separate streams (common random numbers): the walk-ins and their consultation times do not
    # depend on the template; booked patient i's draws depend only on their slot's rank i
    r_show, r_punct, r_walk, r_svc, r_wsvc = (
        np.random.default_rng(int(x)) for x in rng.integers(0, 2**63 - 1, size=5)
    )
    came = r_show.random(appt.size) >= p
    offset = np.zeros(appt.size)
    u_off = r_punct.random(appt.size)
    for v in set(vts):
        pu = model.punctuality_for(v)
        mask = np.array([x == v for x in vts], dtype=bool)
        cdf = np.cumsum(pu.pmf)
        j = np.minimum(np.searchsorted(cdf, u_off[mask], side="right"), cdf.size - 1)
        offset[mask] = np.asarray(pu.offsets, dtype=np.float64)[j] * model.slot_minutes
    arrival = np.where(came, appt + offset, np.nan)
    w_times: list[float] = []
    w_vts: list[str] = []
    for hv in sorted(model.walk_ins, key=lambda h: (h.hour, h.visit_type or "")):
        if hv.weekday != weekday or hv.value <= 0:
            continue
        n = int(r_walk.poisson(hv.value))
        w_times.extend((hv.hour * 60 + 60 * r_walk.random(n)).tolist())
        w_vts.extend([hv.visit_type or wvt] * n)
    order = np.argsort(np.asarray(w_times), kind="stable")
    w_arr = np.asarray(w_times, dtype=np.float64)[order]
    w_vts = [w_vts[i] for i in order]
    all_vts = tuple(vts + w_vts)
    u = np.concatenate((r_svc.random(appt.size), r_wsvc.random(w_arr.size)))
    minutes = sampler(all_vts, u)
    return DayPlan(
        servers=servers,
        appointment=np.concatenate((appt, np.full(w_arr.size, np.nan))),
        arrival=np.concatenate((arrival, w_arr)),
        service=minutes,
        visit_type=all_vts,
        booked_server=np.concatenate((booked, np.full(w_arr.size, -1, dtype=np.int64))),
    )
