"""Generate the history of one synthetic polyclinic, day by day.

For every open day: doctors on duty (roster, random whole-day absences), appointment
requests per visit type (negative binomial), booking into the day's template slots (nearest
free slot to the preferred time, in booking order; overflow is lost), patients, cancellations
and no-shows (true logistic model), punctuality, walk-ins, and finally the clinic day run as a
queue (:func:`polyslot.synthetic.clinic_day.run_clinic_day`) to get the observed timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from polyslot.synthetic import parameters as P
from polyslot.synthetic.booking import book_day, booking_seconds, walk_ins
from polyslot.synthetic.clinic_day import run_clinic_day
from polyslot.synthetic.current_template import build_template, daily_means, hhmm, sessions_for
from polyslot.synthetic.kinds import PolyclinicSpec, draw_polyclinic_spec, polyclinic_truth
from polyslot.synthetic.patients import PatientRegistry

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
_COLS = ("vt", "pid", "booking", "appt", "arrival", "start", "end", "dur", "doctor", "status", "p")
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
    out = rng.uniform(float(early["low"]), float(early["high"]), size=n)
    out = np.where(comp == 1, rng.uniform(float(late["low"]), float(late["high"]), size=n), out)
    very_late = float(very["low"]) + rng.exponential(float(very["scale"]), size=n)
    return np.where(comp == 2, very_late, out)


def _durations(rng: np.random.Generator, vt: np.ndarray, factor: float) -> np.ndarray:
    """Consultation times in whole seconds (minutes rounded to 0.1, in [0.1, MAX_MINUTES])."""
    sigma2 = np.log1p(_CV[vt] ** 2)
    mu = np.log(_MEAN[vt] * factor) - sigma2 / 2.0
    minutes = np.clip(np.round(rng.lognormal(mu, np.sqrt(sigma2)), 1), 0.1, MAX_MINUTES)
    return np.round(minutes * 60.0).astype(np.int64)


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
    spec = draw_polyclinic_spec(np.random.default_rng(s_spec), index)
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
    priors = np.zeros((len(_VT), P.HISTORY_CAP + 1), dtype=np.int64)
    roster_rows: list[tuple] = []
    cols: dict[str, list[np.ndarray]] = {k: [] for k in _COLS}
    for di, day in enumerate(days):
        w = day.weekday()
        sessions = sessions_for(spec, w)
        if day in closed or not sessions:
            continue
        on_duty, duty = _roster_day(rng, spec, sessions)
        roster_rows += [
            (spec.polyclinic_id, day, hhmm(s.start), hhmm(s.end), len(docs))
            for s, docs in zip(sessions, on_duty, strict=True)
        ]
        base = (day.toordinal() - _EPOCH) * 86400
        # --- appointment requests and booking -------------------------------------------
        bk, req_today, lost_today = book_day(
            rng, mean_arr[:, w] * season[di], by_wd[w], duty, sessions, spec.kind.hour_preference
        )
        requests += req_today
        lost += lost_today
        vt, appt, sess = bk["vt"], bk["appt"], bk["session"]
        booking = booking_seconds(appt, bk["lead"], bk["u"])
        # --- patients, cancellations, no-shows ----------------------------------------------
        nb = vt.size
        today = day.toordinal()
        pid = reg.assign(_NAMES[vt].tolist(), today)
        age = np.array([reg.age[x] for x in pid.tolist()], dtype=np.int64)
        prior = np.array([reg.no_shows[x] for x in pid.tolist()], dtype=np.int64)
        np.add.at(priors, (vt, np.minimum(prior, P.HISTORY_CAP)), 1)
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
        wa, ws, wvt = walk_ins(rng, sessions, w, season[di], spec.kind.walk_in_factor)
        nw = wa.size
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
        doctor_of = np.full(nb, -1, dtype=np.int64)
        nc = int(came.sum())
        start[came], end[came], dur[came], doctor_of[came] = (
            t0[:nc],
            t1[:nc],
            q_dur[:nc] / 60,
            doc[:nc],
        )
        # --- collect ----------------------------------------------------------------------
        cols["vt"] += [vt, wvt]
        cols["pid"] += [pid, wpid]
        cols["booking"] += [booking + base, wa + base]
        cols["appt"] += [appt + base, np.full(nw, NAT)]
        cols["arrival"] += [_shift(arrival, base), wa + base]
        cols["start"] += [_shift(start, base), t0[nc:] + base]
        cols["end"] += [_shift(end, base), t1[nc:] + base]
        cols["dur"] += [dur, q_dur[nc:] / 60]
        cols["doctor"] += [doctor_of, doc[nc:]]
        cols["status"] += [status, np.full(nw, 3)]
        cols["p"] += [p, np.full(nw, np.nan)]
        # --- patient history after the day ------------------------------------------------
        for x in pid[no_show].tolist():
            reg.no_shows[x] += 1
        reg.after_chronic_visits(pid[vt == _CODE["chronic_followup"]].tolist(), today)
        reg.after_new_visits(pid[vt == _CODE["new_patient"]].tolist(), today)
    return _assemble(spec, template, means, cols, roster_rows, reg, (requests, lost, priors))


def _roster_day(
    rng: np.random.Generator, spec: PolyclinicSpec, sessions: list
) -> tuple[list[list[int]], np.ndarray]:
    """Doctors on duty per session today (whole-day absences; a session keeps one doctor)
    and the same as a sessions x doctors boolean matrix."""
    present = rng.random(spec.doctors) >= spec.absence_prob
    on_duty = [[d for d in range(s.doctors) if present[d]] or [0] for s in sessions]
    duty = np.zeros((len(sessions), spec.doctors), dtype=bool)
    for k, docs in enumerate(on_duty):
        duty[k, docs] = True
    return on_duty, duty


def _shift(x: np.ndarray, base: int) -> np.ndarray:
    return np.where(x == NAT, NAT, x + base)


def _ts(parts: list[np.ndarray]) -> np.ndarray:
    secs = np.concatenate(parts).astype(np.int64)
    return secs.view("datetime64[s]").astype("datetime64[ns]")


def _assemble(spec, template, means, cols, roster_rows, reg, counts) -> ClinicHistory:
    requests, lost, priors = counts
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
    share = priors / np.maximum(priors.sum(axis=1, keepdims=True), 1)
    truth = {
        **polyclinic_truth(spec),
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
        "prior_no_shows_share": {
            v.name: [round(float(x), 6) for x in share[k]] for k, v in enumerate(_VT)
        },
    }
    public = template.drop(columns=["start_minute", "session", "doctor"])
    return ClinicHistory(frame, roster, public, np.concatenate(cols["p"])[order], means, truth)
