"""The inputs of one polyclinic x weekday's allocation MIP, read off a ClinicModel.

Buckets of ``bucket_minutes`` over the opening hours, doctors on duty per bucket, visit types with
their consultation means, no-show rates, demand (mean and variance), preferred hours, the slots
allowed in each bucket and the current template's counts (:class:`WeekdayInputs`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from polyslot.clinic_model import ClinicModel
from polyslot.distributions import expected_unmet
from polyslot.optimize.config import OptimizeConfig
from polyslot.template import ANY_VISIT_TYPE, WEEKDAYS
from polyslot.unreserved import apportion

__all__ = ["WeekdayInputs", "weekday_inputs", "current_throughput", "bucket_label", "safe_name"]


def bucket_label(weekday: int, start: int, minutes: int) -> str:
    """``"Mon 09:00-10:00"``."""
    end = start + minutes
    return f"{WEEKDAYS[weekday]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


@dataclass(frozen=True)
class WeekdayInputs:
    """Everything the MIP of one weekday needs (plain numbers; build one by hand in tests).

    Attributes
    ----------
    weekday : int
    bucket_minutes : int
    buckets : tuple of int
        Bucket start minutes (after midnight), in order, within opening hours.
    servers : tuple of float
        Doctors consulting per bucket: doctor-minutes of the day's sessions inside the bucket
        / bucket minutes (staffing when there are no sessions), capped by rooms; 0 = break.
    block_end : tuple of bool
        True for the last bucket before a break or closing (backlog there is overtime).
    visit_types : tuple of str
    mean_service : tuple of float
        Mean consultation minutes per visit type.
    no_show : tuple of tuple of float
        ``no_show[h][v]``.
    demand_mean, demand_var : tuple of float
        Per visit type, requests per day.
    preference : tuple of tuple of float
        ``preference[h][v]`` share of v's requests preferring bucket h.
    allowed : tuple of tuple of bool
        ``allowed[h][v]``: visit type v may be booked in bucket h.
    current : tuple of tuple of int
        ``current[h][v]`` slots in today's template.
    walk_in_load : tuple of float
        Expected walk-in workload minutes per bucket.
    """

    weekday: int
    bucket_minutes: int
    buckets: tuple[int, ...]
    servers: tuple[float, ...]
    block_end: tuple[bool, ...]
    visit_types: tuple[str, ...]
    mean_service: tuple[float, ...]
    no_show: tuple[tuple[float, ...], ...]
    demand_mean: tuple[float, ...]
    demand_var: tuple[float, ...]
    preference: tuple[tuple[float, ...], ...]
    allowed: tuple[tuple[bool, ...], ...]
    current: tuple[tuple[int, ...], ...]
    walk_in_load: tuple[float, ...] = field(default=())

    def label(self, h: int) -> str:
        """Readable label of bucket index ``h``."""
        return bucket_label(self.weekday, self.buckets[h], self.bucket_minutes)

    def capacity(self, h: int) -> float:
        """Doctor minutes available in bucket ``h``."""
        return self.servers[h] * self.bucket_minutes

    def need(self, v: int, epsilon: float) -> int:
        """Chance-constraint slots of visit type ``v``: the (1 - epsilon) demand quantile."""
        q = self.demand_mean[v] + stats.norm.ppf(1 - epsilon) * math.sqrt(
            max(self.demand_var[v], 0.0)
        )
        return max(0, int(math.ceil(q - 1e-9)))


def current_throughput(inp: WeekdayInputs) -> float:
    """Expected requests served by the current template: sum_v E[min(D_v, current_v)]."""
    total = 0.0
    for v in range(len(inp.visit_types)):
        cur = sum(inp.current[h][v] for h in range(len(inp.buckets)))
        total += inp.demand_mean[v] - expected_unmet(inp.demand_mean[v], inp.demand_var[v], cur)
    return total


def weekday_inputs(model: ClinicModel, weekday: int, config: OptimizeConfig) -> WeekdayInputs:
    """Extract the MIP inputs of ``weekday`` from a ClinicModel."""
    bm = config.bucket_minutes
    if weekday in model.opening:
        open_m, close_m = model.opening[weekday]
    else:
        starts = [s.start_minute for s in model.sessions if s.weekday == weekday]
        ends = [s.end_minute for s in model.sessions if s.weekday == weekday]
        open_m, close_m = (min(starts), max(ends)) if starts else (0, 0)
    buckets = tuple(range(open_m // bm * bm, close_m, bm))
    vts = model.visit_types
    day_sessions = [s for s in model.sessions if s.weekday == weekday]
    servers = []
    for b in buckets:
        if day_sessions:  # doctor-minutes of the roster's sessions inside the bucket
            minutes = sum(
                max(0, min(s.end_minute, b + bm) - max(s.start_minute, b)) for s in day_sessions
            )
            doctors = minutes / bm
        else:
            doctors = model.doctors_on_duty(weekday, b // 60)
        if config.rooms is not None:
            doctors = min(doctors, config.rooms)
        servers.append(float(doctors))
    block_end = tuple(
        servers[h] > 0 and (h + 1 == len(buckets) or servers[h + 1] == 0)
        for h in range(len(buckets))
    )
    mean_service = tuple(
        float(np.dot(np.arange(len(model.service_for(v).pmf)), model.service_for(v).pmf))
        * model.slot_minutes
        for v in vts
    )
    dem = {d.visit_type: d for d in model.demand if d.weekday == weekday}
    demand_mean = tuple(float(dem[v].mean) if v in dem else 0.0 for v in vts)
    demand_var = tuple(float(dem[v].variance) if v in dem else 0.0 for v in vts)
    pref_raw = {(p.visit_type, p.hour): p.value for p in model.preference if p.weekday == weekday}
    preference = []
    for b in buckets:
        row = []
        for v in vts:
            share_hour = pref_raw.get((v, b // 60), 0.0)
            row.append(share_hour * bm / 60.0 if bm < 60 else share_hour)
        preference.append(tuple(row))
    allowed = tuple(
        tuple(
            servers[h] > 0 and (v not in config.allowed_hours or b // 60 in config.allowed_hours[v])
            for v in vts
        )
        for h, b in enumerate(buckets)
    )
    cur = {(b, v): 0 for b in buckets for v in vts}
    unreserved: dict[int, int] = {}
    for s in model.current_template.slots:
        if s.weekday == weekday:
            key = (s.start_minute // bm * bm, s.visit_type)
            if key in cur:
                cur[key] += 1
            elif s.visit_type == ANY_VISIT_TYPE and key[0] in buckets:
                unreserved[key[0]] = unreserved.get(key[0], 0) + 1
    for b, n in unreserved.items():  # unreserved slots counted as the visit-type mix
        for v, k in apportion(n, demand_mean, vts).items():
            cur[(b, v)] += k
    mix_mean = float(np.dot(demand_mean, mean_service) / max(sum(demand_mean), 1e-9))
    walk = {(w.hour): w.value for w in model.walk_ins if w.weekday == weekday}
    walk_in_load = tuple(walk.get(b // 60, 0.0) * bm / 60.0 * mix_mean for b in buckets)
    return WeekdayInputs(
        weekday=weekday,
        bucket_minutes=bm,
        buckets=buckets,
        servers=tuple(servers),
        block_end=block_end,
        visit_types=vts,
        mean_service=mean_service,
        no_show=tuple(tuple(model.no_show_rate(v, weekday, b // 60) for v in vts) for b in buckets),
        demand_mean=demand_mean,
        demand_var=demand_var,
        preference=tuple(preference),
        allowed=allowed,
        current=tuple(tuple(cur[(b, v)] for v in vts) for b in buckets),
        walk_in_load=walk_in_load,
    )
