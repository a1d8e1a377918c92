"""Generate the history of one synthetic polyclinic, day by day.

For every open day: doctors on duty (roster, random whole-day absences), appointment
requests per visit type (negative binomial), booking into the day's template slots (nearest
free slot to the preferred time, in booking order; overflow is lost), patients, cancellations
and no-shows (true logistic model), punctuality, walk-ins, and finally the clinic day run as a
queue (:func:`polyslot.data.synthetic_day.run_clinic_day`) to get the observed timestamps.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from polyslot.data import synthetic_params as P
from polyslot.data.synthetic_day import run_clinic_day
from polyslot.data.synthetic_patients import PatientRegistry
from polyslot.data.synthetic_template import build_template, daily_means, hhmm, sessions_for

__all__ = ["ClinicHistory", "generate_polyclinic", "STATUSES", "NAT"]

NAT = np.iinfo(np.int64).min
MAX_MINUTES = 180.0  # consultation times are capped here (probability < 1e-6 per visit)
STATUSES = ("attended", "no_show", "cancelled", "walk_in")
_VT = P.VISIT_TYPES
_NAMES = np.array([v.name for v in _VT], dtype=object)
_CODE = {v.name: k for k, v in enumerate(_VT)}
_CANCEL = np.array([v.cancel_prob for v in _VT])
_MEAN = np.array([v.mean_minutes for v in _VT])
_CV = np.array([v.cv for v in _VT])
_AGE = np.array(P.AGE_GROUPS, dtype=object)
_EPOCH = date(1970, 1, 1).toordinal()
_WALK_VT = np.array([_CODE[k] for k in P.WALK_IN_VISIT_SHARE])
_WALK_P = np.array(list(P.WALK_IN_VISIT_SHARE.values()))
_PUNCT_W = np.array([c["weight"] for c in P.PUNCTUALITY.values()], dtype=float)


@dataclass(frozen=True)
class ClinicHistory:
    """Everything generated for one polyclinic (frames in contract columns, plus truth)."""

    attendances: pd.DataFrame
    roster: pd.DataFrame
    slot_template: pd.DataFrame
    true_p: np.ndarray  # true no-show probability per attendance row (nan for walk-ins)
    daily_mean: dict[str, list[float]]
    truth: dict


def _punctuality(rng: np.random.Generator, n: int) -> np.ndarray:
    """Arrival minus appointment, minutes, drawn from the true mixture."""
    comp = rng.choice(3, size=n, p=_PUNCT_W / _PUNCT_W.sum())
    early, late, very = P.PUNCTUALITY["early"], P.PUNCTUALITY["late"], P.PUNCTUALITY["very_late"]
    out = rng.uniform(early["low"], early["high"], size=n)
    out = np.where(comp == 1, rng.uniform(late["low"], late["high"], size=n), out)
    return np.where(comp == 2, very["low"] + rng.exponential(very["scale"], size=n), out)


def _durations(rng: np.random.Generator, vt: np.ndarray, factor: float) -> np.ndarray:
    """Consultation times in whole seconds (minutes rounded to 0.1, in [0.1, MAX_MINUTES])."""
    sigma2 = np.log1p(_CV[vt] ** 2)
    mu = np.log(_MEAN[vt] * factor) - sigma2 / 2.0
    minutes = np.clip(np.round(rng.lognormal(mu, np.sqrt(sigma2)), 1), 0.1, MAX_MINUTES)
    return np.round(minutes * 60.0).astype(np.int64)


def _open_hours(sessions: list) -> tuple[np.ndarray, np.ndarray]:
    hours = sorted(
        {h for s in sessions for h in P.HOUR_PREFERENCE if s.start < h * 60 + 60 and h * 60 < s.end}
    )
    w = np.array([P.HOUR_PREFERENCE[h] for h in hours])
    return np.array(hours), w / w.sum()


def _book(times: np.ndarray, pref: np.ndarray, lead: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Slot index of each request (-1 when lost), processed in booking order.

    Each request takes the free slot whose time is nearest to its preferred time (ties: the
    earlier time, then the first slot in template order).
    """
    order = np.lexsort((u, -lead))
    slot = np.full(lead.size, -1, dtype=np.int64)
    free = sorted(zip(times.tolist(), range(times.size), strict=True))
    prefs = pref.tolist()
    for i in order.tolist():
        if not free:
            break
        p = prefs[i]
        pos = bisect.bisect_left(free, (p, -1))
        if pos == len(free) or (pos > 0 and p - free[pos - 1][0] <= free[pos][0] - p):
            pos = bisect.bisect_left(free, (free[pos - 1][0], -1))
        slot[i] = free.pop(pos)[1]
    return slot


def generate_polyclinic(
    index: int, seed: int, days: list[date], closed: set[date]
) -> ClinicHistory:
    """Generate polyclinic ``index`` (0-based) over ``days``; independent of other polyclinics.

    Parameters
    ----------
    index : int
        Polyclinic number; its random streams are ``SeedSequence(seed, spawn_key=(index,))``.
    seed : int
        Network seed.
    days : list of date
        Consecutive calendar days to generate.
    closed : set of date
        Public holidays (the clinic is closed; Sundays are always closed).
    """
    s_spec, s_tmpl, s_days, s_pat = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(4)
    spec = P.draw_polyclinic_spec(np.random.default_rng(s_spec), index)
    template = build_template(spec, np.random.default_rng(s_tmpl))
    means = daily_means(spec, template)
    mean_arr = np.array([means[v.name] for v in _VT])  # visit type x weekday
    rng = np.random.default_rng(s_days)
    chronic_per_day = float(np.sum(means["chronic_followup"])) / 7.0
    reg = PatientRegistry(np.random.default_rng(s_pat), spec, chronic_per_day, days[0].toordinal())
    season = P.seasonal_factor(days)
    by_wd = {}
    for w, grp in template.groupby("weekday"):
        sess_names = [s.name for s in sessions_for(spec, int(w))]
        by_wd[int(w)] = [
            (
                g["start_minute"].to_numpy(float),
                np.array([sess_names.index(x) for x in g["session"]], dtype=np.int64),
                g["doctor"].to_numpy(np.int64),
            )
            for g in (grp[grp["visit_type"] == v.name] for v in _VT)
        ]
    requests = np.zeros(len(_VT), dtype=np.int64)
    lost = np.zeros(len(_VT), dtype=np.int64)
    roster_rows: list[tuple] = []
    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "vt",
            "pid",
            "booking",
            "appt",
            "arrival",
            "start",
            "end",
            "dur",
            "doctor",
            "status",
            "p",
        )
    }
    for di, day in enumerate(days):
        w = day.weekday()
        sessions = sessions_for(spec, w)
        if day in closed or not sessions:
            continue
        present = rng.random(spec.doctors) >= spec.absence_prob
        on_duty = []
        for s in sessions:
            docs = [d for d in range(s.doctors) if present[d]] or [0]
            on_duty.append(docs)
            roster_rows.append((spec.polyclinic_id, day, hhmm(s.start), hhmm(s.end), len(docs)))
        duty = np.zeros((len(sessions), spec.doctors), dtype=bool)
        for k, docs in enumerate(on_duty):
            duty[k, docs] = True
        hours, hour_p = _open_hours(sessions)
        base = (day.toordinal() - _EPOCH) * 86400
        # --- appointment requests and booking -------------------------------------------
        b_vt, b_min, b_sess, b_lead, b_u = [], [], [], [], []
        for k, v in enumerate(_VT):
            m = mean_arr[k, w] * season[di]
            n = int(rng.negative_binomial(P.DISPERSION, P.DISPERSION / (P.DISPERSION + m)))
            requests[k] += n
            if n == 0:
                continue
            st, se, dc = by_wd[w][k]
            ok = duty[se, dc]
            times, sess_of = st[ok], se[ok]
            lead = np.floor(rng.gamma(v.lead_shape, v.lead_mean_days / v.lead_shape, n))
            u = rng.random(n)
            pref = rng.choice(hours, size=n, p=hour_p) * 60.0 + rng.uniform(0, 60, n)
            slot = _book(times, pref, lead, u)
            got = slot >= 0
            lost[k] += int(n - got.sum())
            b_vt.append(np.full(int(got.sum()), k))
            b_min.append(times[slot[got]])
            b_sess.append(sess_of[slot[got]])
            b_lead.append(lead[got])
            b_u.append(u[got])
        if not b_vt:
            b_vt, b_min, b_sess, b_lead, b_u = ([np.zeros(0)] for _ in range(5))
        vt = np.concatenate(b_vt).astype(np.int64)
        appt = (np.concatenate(b_min) * 60).astype(np.int64)
        order = np.lexsort((vt, appt))
        vt, appt = vt[order], appt[order]
        sess = np.concatenate(b_sess)[order]
        lead = np.concatenate(b_lead)[order].astype(np.int64)
        u = np.concatenate(b_u)[order]
        advance = -lead * 86400 + np.round((8 + 12 * u) * 3600).astype(np.int64)
        same_day = np.maximum(appt - np.round((30 + 90 * u) * 60).astype(np.int64), 6 * 3600)
        booking = np.where(lead > 0, advance, same_day)
        # --- patients, cancellations, no-shows ----------------------------------------------
        nb = vt.size
        pid = np.empty(nb, dtype=np.int64)
        gen = reg.general(nb)
        today = day.toordinal()
        for i in range(nb):
            if vt[i] == 1:
                pid[i] = reg.chronic(today)
            elif vt[i] == 2:
                pid[i] = reg.new_patient()
            else:
                pid[i] = gen[i]
        age = np.array([reg.age[x] for x in pid.tolist()], dtype=np.int64)
        prior = np.array([reg.no_shows[x] for x in pid.tolist()], dtype=np.int64)
        p = P.no_show_probability(_NAMES[vt], (appt - booking) / 86400.0, _AGE[age], prior)
        cancel = rng.random(nb) < _CANCEL[vt]
        no_show = ~cancel & (rng.random(nb) < p)
        came = ~cancel & ~no_show
        arrival = np.full(nb, NAT, dtype=np.int64)
        arrival[came] = appt[came] + np.round(_punctuality(rng, int(came.sum())) * 60).astype(
            np.int64
        )
        status = np.where(cancel, 2, np.where(no_show, 1, 0))
        # --- walk-ins ----------------------------------------------------------------------
        w_arr, w_sess = [], []
        for k, s in enumerate(sessions):
            for h, r in P.WALK_IN_PROFILE.items():
                lo, hi = max(h * 60, s.start), min(h * 60 + 60, s.end - 30)
                if hi <= lo:
                    continue
                rate = r * s.doctors * P.WEEKDAY_FACTOR[w] * season[di] * (hi - lo) / 60.0
                c = int(rng.poisson(rate))
                w_arr.append(lo * 60 + rng.integers(0, (hi - lo) * 60, size=c))
                w_sess.append(np.full(c, k))
        wa = np.concatenate(w_arr).astype(np.int64) if w_arr else np.zeros(0, np.int64)
        ws = np.concatenate(w_sess).astype(np.int64) if w_sess else np.zeros(0, np.int64)
        nw = wa.size
        wvt = _WALK_VT[rng.choice(len(_WALK_VT), size=nw, p=_WALK_P)]
        wpid = reg.general(nw)
        # --- the clinic day ----------------------------------------------------------------
        q_arr = np.concatenate([arrival[came], wa])
        q_vt = np.concatenate([vt[came], wvt])
        q_dur = _durations(rng, q_vt, spec.duration_factor)
        q_sess = np.concatenate([sess[came], ws])
        t0, t1, doc = run_clinic_day(
            q_arr, q_dur, q_sess, [s.start * 60 for s in sessions], on_duty
        )
        start = np.full(nb, NAT, dtype=np.int64)
        end = np.full(nb, NAT, dtype=np.int64)
        dur = np.full(nb, np.nan)
        docs = np.full(nb, -1, dtype=np.int64)
        nc = int(came.sum())
        start[came], end[came], dur[came], docs[came] = t0[:nc], t1[:nc], q_dur[:nc] / 60, doc[:nc]
        # --- collect ----------------------------------------------------------------------
        cols["vt"] += [vt, wvt]
        cols["pid"] += [pid, wpid]
        cols["booking"] += [booking + base, wa + base]
        cols["appt"] += [appt + base, np.full(nw, NAT)]
        cols["arrival"] += [_shift(arrival, base), wa + base]
        cols["start"] += [_shift(start, base), t0[nc:] + base]
        cols["end"] += [_shift(end, base), t1[nc:] + base]
        cols["dur"] += [dur, q_dur[nc:] / 60]
        cols["doctor"] += [docs, doc[nc:]]
        cols["status"] += [status, np.full(nw, 3)]
        cols["p"] += [p, np.full(nw, np.nan)]
        # --- patient history after the day ------------------------------------------------
        for x in pid[no_show].tolist():
            reg.no_shows[x] += 1
        reg.after_chronic_visits(pid[vt == 1].tolist(), today)
        reg.after_new_visits(pid[vt == 2].tolist(), today)
    return _assemble(spec, template, means, cols, roster_rows, reg, requests, lost)


def _shift(x: np.ndarray, base: int) -> np.ndarray:
    return np.where(x == NAT, NAT, x + base)


def _ts(parts: list[np.ndarray]) -> np.ndarray:
    secs = np.concatenate(parts).astype(np.int64)
    return secs.view("datetime64[s]").astype("datetime64[ns]")


def _assemble(spec, template, means, cols, roster_rows, reg, requests, lost) -> ClinicHistory:
    for k, parts in cols.items():
        if not parts:
            parts.append(np.zeros(0, dtype=float if k in ("dur", "p") else np.int64))
    vt = np.concatenate(cols["vt"]).astype(np.int64)
    pid = np.concatenate(cols["pid"]).astype(np.int64)
    booking = np.concatenate(cols["booking"]).astype(np.int64)
    appt = np.concatenate(cols["appt"]).astype(np.int64)
    arrival = np.concatenate(cols["arrival"]).astype(np.int64)
    key = np.where(appt == NAT, arrival, appt)
    order = np.lexsort((booking, key))
    doctor = np.concatenate(cols["doctor"])[order]
    status = np.concatenate(cols["status"])[order]
    pc = spec.polyclinic_id
    ids = np.array(reg.ids, dtype=object)
    ages = np.array(reg.age, dtype=np.int64)
    doc_names = np.array([f"{pc}-D{d + 1:02d}" for d in range(spec.doctors)] + [None], dtype=object)
    frame = pd.DataFrame(
        {
            "attendance_id": np.array(
                [f"{pc}-{i + 1:07d}" for i in range(order.size)], dtype=object
            ),
            "polyclinic_id": pc,
            "patient_id": ids[pid[order]],
            "visit_type": _NAMES[vt[order]],
            "booking_ts": _ts([booking])[order],
            "appointment_ts": _ts([appt])[order],
            "arrival_ts": _ts([arrival])[order],
            "consult_start_ts": _ts(cols["start"])[order],
            "consult_end_ts": _ts(cols["end"])[order],
            "consultation_duration_minutes": np.round(np.concatenate(cols["dur"])[order], 1),
            "doctor_id": doc_names[np.where(doctor >= 0, doctor, -1)],
            "status": np.array(STATUSES, dtype=object)[status],
            "age_group": _AGE[ages[pid[order]]],
        }
    )
    roster = pd.DataFrame(
        roster_rows, columns=["polyclinic_id", "date", "start_time", "end_time", "doctors"]
    )
    roster["doctors"] = roster["doctors"].astype("int64")
    truth = {
        "doctors": spec.doctors,
        "pm_doctors": spec.pm_doctors,
        "sat_doctors": spec.sat_doctors,
        "sessions": {
            "weekday_am": [hhmm(spec.am_start), hhmm(spec.am_end)],
            "weekday_pm": [hhmm(spec.pm_start), hhmm(spec.pm_end)],
            "saturday_am": [hhmm(spec.am_start), hhmm(spec.am_end)],
        },
        "duration_factor": spec.duration_factor,
        "block_size": spec.block_size,
        "absence_prob": spec.absence_prob,
        "population": spec.population,
        "daily_mean": {
            vt_name: dict(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), row, strict=True))
            for vt_name, row in means.items()
        },
        "requests": {v.name: int(requests[k]) for k, v in enumerate(_VT)},
        "lost_requests": {v.name: int(lost[k]) for k, v in enumerate(_VT)},
        "patients": len(reg.ids),
    }
    public = template.drop(columns=["start_minute", "session", "doctor"])
    return ClinicHistory(frame, roster, public, np.concatenate(cols["p"])[order], means, truth)
