"""The true parameters of the synthetic polyclinic network (what estimation should recover).

Everything the generator draws from is defined here, as plain constants and small pure
functions, so that ``truth.json`` can state the model exactly and tests can recompute it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

__all__ = [
    "VisitTypeSpec",
    "VISIT_TYPES",
    "AGE_GROUPS",
    "AGE_EFFECT",
    "HISTORY_COEF",
    "HISTORY_CAP",
    "PUNCTUALITY",
    "WEEKDAY_FACTOR",
    "SEASON_AMPLITUDE",
    "SEASON_PEAK_DAY",
    "DISPERSION",
    "HOUR_PREFERENCE",
    "WALK_IN_PROFILE",
    "WALK_IN_VISIT_SHARE",
    "REVISIT_INTERVALS",
    "no_show_probability",
    "seasonal_factor",
    "lognormal_params",
    "NO_SHOW_FORMULA",
]


@dataclass(frozen=True)
class VisitTypeSpec:
    """True parameters of one visit type (the same in every polyclinic).

    Parameters
    ----------
    name : str
        Visit type.
    mean_minutes, cv : float
        Lognormal consultation time (before the polyclinic's duration factor).
    slot_minutes : int
        Slot length in the current template.
    share : float
        Share of the template's slots given to this visit type.
    no_show_target : float
        No-show probability (age 40-64, no prior no-show) at the mean lead time.
    lead_slope : float
        Increase of the no-show log-odds per day of booking lead time.
    lead_mean_days, lead_shape : float
        Lead time in whole days is ``floor(Gamma(shape, mean / shape))``.
    cancel_prob : float
        Probability that a booking is cancelled (independent of everything else).
    """

    name: str
    mean_minutes: float
    cv: float
    slot_minutes: int
    share: float
    no_show_target: float
    lead_slope: float
    lead_mean_days: float
    lead_shape: float
    cancel_prob: float

    @property
    def no_show_intercept(self) -> float:
        """Intercept of the no-show logit (chosen so the target holds at the mean lead)."""
        p = self.no_show_target
        return math.log(p / (1.0 - p)) - self.lead_slope * self.lead_mean_days


VISIT_TYPES: tuple[VisitTypeSpec, ...] = (
    VisitTypeSpec("acute", 10.0, 0.6, 10, 0.34, 0.07, 0.10, 1.0, 0.8, 0.02),
    VisitTypeSpec("chronic_followup", 15.0, 0.4, 15, 0.30, 0.14, 0.02, 28.0, 6.0, 0.06),
    VisitTypeSpec("new_patient", 22.0, 0.5, 20, 0.10, 0.22, 0.04, 10.0, 2.0, 0.05),
    VisitTypeSpec("health_screening", 18.0, 0.3, 20, 0.10, 0.24, 0.03, 14.0, 3.0, 0.08),
    VisitTypeSpec("vaccination", 7.0, 0.35, 10, 0.16, 0.10, 0.05, 7.0, 2.0, 0.05),
)

AGE_GROUPS: tuple[str, ...] = ("0-17", "18-39", "40-64", "65+")
#: Additive no-show log-odds effect of the patient's age group.
AGE_EFFECT: dict[str, float] = {"0-17": 0.10, "18-39": 0.40, "40-64": 0.0, "65+": -0.30}
#: Age mix of the general patient population and of chronic patients.
AGE_MIX_GENERAL: tuple[float, ...] = (0.20, 0.35, 0.30, 0.15)
AGE_MIX_CHRONIC: tuple[float, ...] = (0.02, 0.10, 0.45, 0.43)
#: Additive log-odds per earlier no-show of the same patient, counted up to HISTORY_CAP.
HISTORY_COEF = 0.35
HISTORY_CAP = 3
NO_SHOW_FORMULA = (
    "p = 1 / (1 + exp(-(intercept[visit_type] + lead_slope[visit_type] * lead_days"
    " + age_effect[age_group] + history_coef * min(prior_no_shows, history_cap))))"
    "; lead_days = (appointment_ts - booking_ts) in days; prior_no_shows = the patient's"
    " no-shows on earlier days at the same polyclinic; applies to bookings not cancelled"
)

#: Arrival minus appointment (minutes): a mixture of three uniform/shifted components.
PUNCTUALITY: dict[str, dict[str, float | str]] = {
    "early": {"weight": 0.72, "dist": "uniform", "low": -20.0, "high": 0.0},
    "late": {"weight": 0.22, "dist": "uniform", "low": 0.0, "high": 15.0},
    "very_late": {"weight": 0.06, "dist": "15 + exponential", "low": 15.0, "scale": 12.0},
}

#: Relative demand by weekday (Mon..Sat); Sunday closed.  The daily mean of a weekday is
#: ``utilisation[kind] * WEEKDAY_FACTOR[w] * template slots of that visit type on w``.
WEEKDAY_FACTOR: tuple[float, ...] = (1.20, 0.97, 0.93, 0.93, 0.97, 1.0)
SEASON_AMPLITUDE = 0.08
SEASON_PEAK_DAY = 15  # day of year of the seasonal peak
#: Negative binomial size parameter of daily request counts: var = m + m**2 / DISPERSION.
DISPERSION = 30.0

#: Preference weight of each hour of the day for booked appointments (morning peak) of the
#: overloaded and well-run kinds (the congested kind prefers mornings more, see ``kinds``);
#: renormalised over the hours the polyclinic is open that day.
HOUR_PREFERENCE: dict[int, float] = {
    8: 0.17,
    9: 0.18,
    10: 0.15,
    11: 0.11,
    12: 0.03,
    13: 0.07,
    14: 0.11,
    15: 0.10,
    16: 0.08,
}

#: Walk-ins per hour per nominal doctor of the polyclinic, by hour of day (times the kind's
#: walk-in factor, weekday factor and seasonal factor); walk-ins arrive only while a session
#: is open.
WALK_IN_PROFILE: dict[int, float] = {
    8: 0.45,
    9: 0.40,
    10: 0.30,
    11: 0.20,
    13: 0.20,
    14: 0.20,
    15: 0.15,
    16: 0.10,
}
WALK_IN_VISIT_SHARE: dict[str, float] = {"acute": 0.85, "vaccination": 0.15}

#: Revisit interval (days) of a chronic patient: one of these, fixed per patient, plus a
#: uniform jitter of -3..+3 days at each revisit.
REVISIT_INTERVALS: dict[int, float] = {28: 0.30, 42: 0.30, 56: 0.25, 84: 0.15}
REVISIT_JITTER = 3
CHRONIC_EXIT_PROB = 0.02  # chance a chronic patient leaves the pool after a visit
NEW_TO_CHRONIC_PROB = 0.06  # chance a new patient becomes a chronic follow-up patient
CHRONIC_EARLY_DAYS = 7  # a chronic patient may be booked up to this many days before due


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with the given mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def seasonal_factor(days: np.ndarray | list[date]) -> np.ndarray:
    """Smooth yearly factor ``1 + A cos(2 pi (doy - peak) / 365.25)`` for each date."""
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    return 1.0 + SEASON_AMPLITUDE * np.cos(2.0 * np.pi * (doy - SEASON_PEAK_DAY) / 365.25)


_INTERCEPT = {v.name: v.no_show_intercept for v in VISIT_TYPES}
_SLOPE = {v.name: v.lead_slope for v in VISIT_TYPES}


def no_show_probability(
    visit_type: np.ndarray,
    lead_days: np.ndarray,
    age_group: np.ndarray,
    prior_no_shows: np.ndarray,
) -> np.ndarray:
    """True no-show probability (see :data:`NO_SHOW_FORMULA`), vectorised."""
    vt = np.asarray(visit_type, dtype=object)
    ag = np.asarray(age_group, dtype=object)
    a = np.array([_INTERCEPT[v] for v in vt], dtype=float)
    b = np.array([_SLOPE[v] for v in vt], dtype=float)
    e = np.array([AGE_EFFECT[g] for g in ag], dtype=float)
    h = np.minimum(np.asarray(prior_no_shows, dtype=float), HISTORY_CAP)
    z = a + b * np.asarray(lead_days, dtype=float) + e + HISTORY_COEF * h
    return 1.0 / (1.0 + np.exp(-z))


def truth_constants() -> dict[str, object]:
    """The network-wide part of ``truth.json``."""
    return {
        "visit_types": {
            v.name: {
                "duration": {
                    "distribution": "lognormal",
                    "mean_minutes": v.mean_minutes,
                    "cv": v.cv,
                    "note": "times the polyclinic's duration_factor; rounded to 0.1 min",
                },
                "slot_minutes": v.slot_minutes,
                "template_share": v.share,
                "no_show": {
                    "intercept": v.no_show_intercept,
                    "lead_slope": v.lead_slope,
                    "target_at_mean_lead": v.no_show_target,
                },
                "lead_days": {
                    "distribution": "floor(gamma(shape, mean/shape))",
                    "mean": v.lead_mean_days,
                    "shape": v.lead_shape,
                },
                "cancel_prob": v.cancel_prob,
            }
            for v in VISIT_TYPES
        },
        "no_show_model": {
            "formula": NO_SHOW_FORMULA,
            "age_effect": dict(AGE_EFFECT),
            "history_coef": HISTORY_COEF,
            "history_cap": HISTORY_CAP,
        },
        "age_groups": {
            "groups": list(AGE_GROUPS),
            "general_mix": list(AGE_MIX_GENERAL),
            "chronic_mix": list(AGE_MIX_CHRONIC),
        },
        "punctuality": {
            "offset": "arrival_ts - appointment_ts in minutes (negative = early)",
            "components": PUNCTUALITY,
        },
        "demand": {
            "daily_requests": "negative binomial, mean m, variance m + m^2 / dispersion",
            "dispersion": DISPERSION,
            "mean": "daily_mean[polyclinic][visit_type][weekday] * seasonal_factor(date)",
            "weekday_factor": dict(
                zip(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], WEEKDAY_FACTOR, strict=True)
            ),
            "utilisation": "per polyclinic: polyclinics[id].utilisation",
            "seasonality": {
                "formula": "1 + amplitude * cos(2 pi (day_of_year - peak_day) / 365.25)",
                "amplitude": SEASON_AMPLITUDE,
                "peak_day": SEASON_PEAK_DAY,
            },
            "hour_preference": {str(h): w for h, w in HOUR_PREFERENCE.items()},
            "hour_preference_note": "the default; each polyclinic's own weights are "
            "polyclinics[id].hour_preference",
            "overflow": "requests that find no free slot of their visit type that day are lost",
        },
        "booking": {
            "preferred_time": "clock hour drawn with polyclinics[id].hour_preference "
            "renormalised over the hours a session of the day overlaps, then a uniform minute",
            "order": "requests of a day are booked longest lead first; same lead in random order",
            "rule": "each takes the free slot of its visit type, among the sessions of doctors on "
            "duty that day, whose start time is nearest its preferred time (ties: the earlier "
            "slot, then the first in template order); none free: the request is lost",
            "booking_time": "lead >= 1: lead days before at uniform 08:00-20:00; lead 0: 30-120 "
            "minutes (uniform) before the appointment, not before 06:00",
        },
        "clinic_day": {
            "session_of_patient": "booked: the session of the booked slot; walk-in: the session "
            "open at arrival",
            "doctors": "the roster's present doctors of the session; AM doctors start at the "
            "session start; a PM doctor starts at max(PM start, end of their last morning "
            "consultation)",
            "order": "first come first served by arrival time within a session (ties: input "
            "order), whatever the punctuality; early patients may be seen before their "
            "appointment time",
            "assignment": "next patient to the doctor free earliest (ties: lowest number); "
            "start = max(arrival, doctor free)",
            "cut_off": "none: a session runs until everyone in it has been seen",
            "wait": "consult_start_ts - arrival_ts",
        },
        "walk_ins": {
            "per_doctor_per_hour": {str(h): r for h, r in WALK_IN_PROFILE.items()},
            "mean": "per_doctor_per_hour[hour] * walk_in factor of the polyclinic * nominal "
            "session doctors * weekday_factor * seasonal_factor * covered fraction of the hour",
            "arrival": "uniform over the part of the hour inside the session and before 30 "
            "minutes to its end",
            "per_polyclinic": "polyclinics[id].walk_ins.per_doctor_per_hour (factor applied)",
            "visit_type_share": WALK_IN_VISIT_SHARE,
        },
        "patients": {
            "revisit_interval_days": {str(k): p for k, p in REVISIT_INTERVALS.items()},
            "revisit_jitter_days": REVISIT_JITTER,
            "chronic_exit_prob": CHRONIC_EXIT_PROB,
            "new_to_chronic_prob": NEW_TO_CHRONIC_PROB,
            "chronic_early_days": CHRONIC_EARLY_DAYS,
        },
    }
