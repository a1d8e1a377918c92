"""An independent simulator of a synthetic polyclinic, written only from ``truth.json``.

It does not import polyslot: every rule below is read from the truth sidecar (docs/synthetic.md),
so that it can check polyslot's claims from outside. One call simulates ``days`` clinic days
of one weekday under a slot template (rows with ``start_time`` "HH:MM", ``visit_type``,
``doctor_session`` "Mon-AM-D03") and returns per-day KPIs. Two templates simulated with the
same ``seed`` share their random numbers day by day (demand, absences, preferred times, walk-ins,
consultation times), so their difference is paired.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass

import numpy as np

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


@dataclass(frozen=True)
class DayKPIs:
    """KPIs of one simulated day."""

    waits: np.ndarray  # minutes, every patient seen (booked and walk-in)
    booked_seen: int
    walk_ins: int
    busy: float  # consultation minutes
    duty: float  # rostered doctor-minutes of the doctors present
    overtime: float  # minutes of the last consultation end after the last session end
    lost: int  # requests that found no free slot


class TruthClinic:
    """One polyclinic of a synthetic network, rebuilt from its truth sidecar.

    Parameters
    ----------
    truth : dict
        The whole ``truth.json``.
    polyclinic_id : str
        Which polyclinic.
    """

    def __init__(self, truth: dict, polyclinic_id: str) -> None:
        self.t = truth
        self.pc = truth["polyclinics"][polyclinic_id]
        self.vts = list(truth["visit_types"])
        self.wd_factor = truth["demand"]["weekday_factor"]
        self.dispersion = float(truth["demand"]["dispersion"])
        nm = truth["no_show_model"]
        self.age_groups = truth["age_groups"]["groups"]
        self.age_effect = np.array([nm["age_effect"][g] for g in self.age_groups])
        self.hist_coef, self.hist_cap = float(nm["history_coef"]), int(nm["history_cap"])
        self.mix_general = np.array(truth["age_groups"]["general_mix"], dtype=float)
        self.mix_chronic = np.array(truth["age_groups"]["chronic_mix"], dtype=float)
        comps = truth["punctuality"]["components"]
        self.punct = [comps[k] for k in ("early", "late", "very_late")]
        self.walk_share = truth["walk_ins"]["visit_type_share"]

    # --- one day ------------------------------------------------------------------------------
    def sessions(self, weekday: int) -> list[tuple[str, int, int, int]]:
        """(name, start, end, nominal doctors) of the weekday's sessions."""
        out = []
        for s in self.pc["roster"]["sessions"]:
            if WEEKDAYS[weekday] in s["weekdays"]:
                out.append((s["session"], _minutes(s["start"]), _minutes(s["end"]), s["doctors"]))
        return sorted(out, key=lambda x: x[1])

    def simulate(
        self, template: list[dict], weekday: int, days: int, seed: int, season: float = 1.0
    ) -> list[DayKPIs]:
        """Simulate ``days`` days of ``weekday`` (0 = Monday) under ``template``.

        ``season`` multiplies the mean requests and walk-ins (the truth's seasonal factor of
        the days being reproduced; 1 = the annual average).
        """
        sessions = self.sessions(weekday)
        names = [s[0] for s in sessions]
        slots = []  # (minute, visit type, session index, doctor index)
        for r in template:
            _, sess, doc = r["doctor_session"].split("-")
            slots.append(
                (_minutes(r["start_time"]), r["visit_type"], names.index(sess), int(doc[1:]) - 1)
            )
        out = []
        for d in range(days):
            rng = np.random.default_rng([seed, weekday, d])
            out.append(self._day(rng, weekday, sessions, slots, season))
        return out

    def _day(self, rng, weekday, sessions, slots, season) -> DayKPIs:
        streams = [np.random.default_rng(rng.integers(0, 2**63)) for _ in range(6)]
        r_abs, r_req, r_pat, r_walk, r_dur, r_pun = streams
        n_doc = max(s[3] for s in sessions)
        present = r_abs.random(n_doc) >= self.pc["roster"]["absence_prob"]
        on_duty = []
        for _, _, _, k in sessions:
            docs = [i for i in range(k) if present[i]] or [0]
            on_duty.append(set(docs))
        # --- requests, booking ---------------------------------------------------------------
        hours, hp = self._open_hours(sessions)
        booked = []  # (minute, visit type, session, lead_days)
        lost = 0
        for vt in self.vts:
            m = self.pc["daily_mean"][vt][WEEKDAYS[weekday]] * season
            n = (
                int(
                    r_req.negative_binomial(
                        self.dispersion, self.dispersion / (self.dispersion + m)
                    )
                )
                if m > 0
                else 0
            )
            free = sorted(
                (t, i) for i, (t, v, s, doc) in enumerate(slots) if v == vt and doc in on_duty[s]
            )
            lead_spec = self.t["visit_types"][vt]["lead_days"]
            shape, mean = lead_spec["shape"], lead_spec["mean"]
            lead = np.floor(r_req.gamma(shape, mean / shape, n))
            tie = r_req.random(n)
            pref = r_req.choice(hours, size=n, p=hp) * 60.0 + r_req.uniform(0, 60, n)
            for i in np.lexsort((tie, -lead)):
                if not free:
                    lost += 1
                    continue
                t, k = free.pop(_nearest(free, pref[i]))
                booked.append((t, vt, slots[k][2], lead[i], tie[i]))
        # --- who comes, when -------------------------------------------------------------------
        arrivals, vts_q, sess_q = [], [], []
        for t, vt, s, lead, u in booked:
            lead_days = self._lead_days(t, lead, u)
            if r_pat.random() < self.pc["cancellations"]["prob"][vt]:
                continue
            p = self._no_show_p(r_pat, vt, lead_days)
            if r_pat.random() < p:
                continue
            arrivals.append(t + self._punctuality(r_pun))
            vts_q.append(vt)
            sess_q.append(s)
        n_booked = len(arrivals)
        for k, (_, start, end, doctors) in enumerate(sessions):
            for h, rate in self.pc["walk_ins"]["per_doctor_per_hour"].items():
                lo, hi = max(int(h) * 60, start), min(int(h) * 60 + 60, end - 30)
                if hi <= lo:
                    continue
                lam = rate * doctors * self.wd_factor[WEEKDAYS[weekday]] * season * (hi - lo) / 60
                for _ in range(int(r_walk.poisson(lam))):
                    arrivals.append(lo + r_walk.uniform(0, hi - lo))
                    vt = "acute" if r_walk.random() < self.walk_share["acute"] else "vaccination"
                    vts_q.append(vt)
                    sess_q.append(k)
        dur = [self._duration(r_dur, vt) for vt in vts_q]
        waits, last_end, busy = self._queue(arrivals, dur, sess_q, sessions, on_duty)
        duty = sum((end - start) * len(on_duty[k]) for k, (_, start, end, _) in enumerate(sessions))
        return DayKPIs(
            waits=np.array(waits),
            booked_seen=n_booked,
            walk_ins=len(arrivals) - n_booked,
            busy=busy,
            duty=float(duty),
            overtime=max(0.0, last_end - sessions[-1][2]),
            lost=lost,
        )

    def _open_hours(self, sessions):
        pref = {int(h): w for h, w in self.pc["hour_preference"].items()}
        hours = sorted(
            {h for h in pref for _, s, e, _ in sessions if s < h * 60 + 60 and h * 60 < e}
        )
        w = np.array([pref[h] for h in hours])
        return np.array(hours), w / w.sum()

    @staticmethod
    def _lead_days(appt_minute: float, lead: float, u: float) -> float:
        """(appointment - booking) in days, as the truth's booking-time rule makes it."""
        if lead > 0:
            booking = -lead * 1440 + round((8 + 12 * u) * 60)
        else:
            booking = max(appt_minute - round(30 + 90 * u), 360)
        return (appt_minute - booking) / 1440.0

    def _no_show_p(self, rng, vt: str, lead_days: float) -> float:
        spec = self.t["visit_types"][vt]["no_show"]
        mix = self.mix_chronic if vt == "chronic_followup" else self.mix_general
        age = rng.choice(len(mix), p=mix / mix.sum())
        shares = np.array(self.pc["prior_no_shows_share"][vt], dtype=float)
        prior = rng.choice(len(shares), p=shares / shares.sum()) if shares.sum() > 0 else 0
        z = (
            spec["intercept"]
            + spec["lead_slope"] * lead_days
            + self.age_effect[age]
            + self.hist_coef * min(prior, self.hist_cap)
        )
        return 1.0 / (1.0 + math.exp(-z))

    def _punctuality(self, rng) -> float:
        w = np.array([c["weight"] for c in self.punct], dtype=float)
        c = self.punct[rng.choice(3, p=w / w.sum())]
        if c["dist"] == "uniform":
            return rng.uniform(c["low"], c["high"])
        return c["low"] + rng.exponential(c["scale"])

    def _duration(self, rng, vt: str) -> float:
        spec = self.pc["consultation_minutes"][vt]
        s2 = math.log1p(spec["cv"] ** 2)
        x = rng.lognormal(math.log(spec["mean"]) - s2 / 2, math.sqrt(s2))
        lo, hi = spec["clip"]
        return min(max(round(x, 1), lo), hi)

    @staticmethod
    def _queue(arrivals, dur, sess, sessions, on_duty):
        """Pooled FCFS by arrival within each session (the truth's clinic-day rule)."""
        waits, busy, last_end = [], 0.0, 0.0
        finished: dict[int, float] = {}
        order = sorted(range(len(arrivals)), key=lambda i: (arrivals[i], i))
        for k, (_, start, _, _) in enumerate(sessions):
            heap = [(max(start, finished.get(d, start)), d) for d in sorted(on_duty[k])]
            heapq.heapify(heap)
            for i in order:
                if sess[i] != k:
                    continue
                free, d = heapq.heappop(heap)
                t0 = max(arrivals[i], free)
                waits.append(t0 - arrivals[i])
                busy += dur[i]
                last_end = max(last_end, t0 + dur[i])
                heapq.heappush(heap, (t0 + dur[i], d))
            for free, d in heap:
                finished[d] = free
        return waits, last_end, busy


def _nearest(free: list[tuple[int, int]], p: float) -> int:
    """Index in ``free`` (sorted (time, slot)) of the slot nearest ``p``; ties: the earlier
    time, then the first slot in template order."""
    pos = bisect.bisect_left(free, (p, -1))
    if pos == len(free) or (pos > 0 and p - free[pos - 1][0] <= free[pos][0] - p):
        pos = bisect.bisect_left(free, (free[pos - 1][0], -1))
    return pos


def summarise(days: list[DayKPIs]) -> dict[str, float]:
    """Mean wait over all patients seen, patients seen per day, utilisation, overtime."""
    waits = np.concatenate([d.waits for d in days]) if days else np.zeros(0)
    return {
        "wait_mean": float(waits.mean()) if waits.size else 0.0,
        "wait_p90": float(np.quantile(waits, 0.9)) if waits.size else 0.0,
        "seen_per_day": float(np.mean([d.waits.size for d in days])),
        "utilization": float(sum(d.busy for d in days) / sum(d.duty for d in days)),
        "overtime": float(np.mean([d.overtime for d in days])),
        "lost_per_day": float(np.mean([d.lost for d in days])),
    }


def paired_wait_difference(a: list[DayKPIs], b: list[DayKPIs]) -> tuple[float, float, float]:
    """Mean wait of ``a`` minus ``b`` (patient-weighted) and its 95% CI from paired days.

    The ratio estimator's standard error is taken from the day-level linearisation.
    """
    wa = np.array([d.waits.sum() for d in a])
    na = np.array([d.waits.size for d in a], dtype=float)
    wb = np.array([d.waits.sum() for d in b])
    nb = np.array([d.waits.size for d in b], dtype=float)
    ra, rb = wa.sum() / na.sum(), wb.sum() / nb.sum()
    z = (wa - ra * na) / na.mean() - (wb - rb * nb) / nb.mean()
    se = z.std(ddof=1) / math.sqrt(len(z))
    diff = ra - rb
    return diff, diff - 1.96 * se, diff + 1.96 * se


def paired_weekly_total_wait(
    now: dict[str, list[DayKPIs]], new: dict[str, list[DayKPIs]]
) -> tuple[float, float, float]:
    """Total waiting minutes per week of ``new`` minus ``now`` and its 95% CI.

    ``now`` and ``new`` map each weekday to its simulated days (paired day by day); the week
    is the sum of the weekdays' mean daily differences, their variances added.
    """
    mean, var = 0.0, 0.0
    for wd, days in now.items():
        d = np.array([b.waits.sum() - a.waits.sum() for a, b in zip(days, new[wd], strict=True)])
        mean += float(d.mean())
        var += float(d.var(ddof=1)) / d.size
    half = 1.96 * math.sqrt(var)
    return mean, mean - half, mean + half
