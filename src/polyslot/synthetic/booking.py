"""Appointment requests, their booking into the day's template slots, and walk-ins.

* Requests of each visit type for a day are negative binomial around the true mean.  Each has
  a lead time in whole days and a preferred time (hour by the true preference weights, then a
  uniform minute).
* Requests are booked in booking order (longest lead first, same lead in random order) into the
  free slot of their visit type, among the sessions of doctors on duty, nearest to the
  preferred time.  A request that finds no free slot is lost.
* Walk-ins arrive as a Poisson stream per clock hour while a session is open (not in its last
  30 minutes).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from polyslot.synthetic import parameters as P

__all__ = ["book_nearest", "book_day", "booking_seconds", "walk_ins", "open_hours"]

_WALK_P = np.array(list(P.WALK_IN_VISIT_SHARE.values()))
_WALK_CODE = np.array([[v.name for v in P.VISIT_TYPES].index(k) for k in P.WALK_IN_VISIT_SHARE])


def book_nearest(
    times: np.ndarray, pref: np.ndarray, lead: np.ndarray, u: np.ndarray
) -> np.ndarray:
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


def open_hours(
    sessions: Sequence, preference: dict[int, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Clock hours overlapping a session and their renormalised preference weights."""
    pref = P.HOUR_PREFERENCE if preference is None else preference
    hours = sorted({h for s in sessions for h in pref if s.start < h * 60 + 60 and h * 60 < s.end})
    w = np.array([pref[h] for h in hours])
    return np.array(hours), w / w.sum()


def book_day(
    rng: np.random.Generator,
    means: np.ndarray,
    slots: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    duty: np.ndarray,
    sessions: Sequence,
    preference: dict[int, float] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Draw and book one day's appointment requests.

    Parameters
    ----------
    rng : numpy.random.Generator
        The day stream.
    means : ndarray
        Mean requests per visit type today (true daily mean x seasonal factor).
    slots : sequence of (start_minute, session index, doctor) arrays, per visit type
        Today's weekday template.
    duty : ndarray of bool, sessions x doctors
        Whether each doctor is on duty in each session.
    sessions : sequence of Session
        Today's sessions.
    preference : dict, optional
        Preference weight of each clock hour (default: the network's ``HOUR_PREFERENCE``).

    Returns
    -------
    booked : dict of arrays
        ``vt`` (visit type index), ``appt`` (seconds after midnight), ``session``, ``lead``
        (whole days), ``u`` (booking-order uniform), sorted by appointment time.
    requested, lost : ndarray of int
        Requests and lost requests per visit type.
    """
    hours, hour_p = open_hours(sessions, preference)
    k_vt = len(P.VISIT_TYPES)
    requested = np.zeros(k_vt, dtype=np.int64)
    lost = np.zeros(k_vt, dtype=np.int64)
    parts: list[tuple[np.ndarray, ...]] = []
    for k, v in enumerate(P.VISIT_TYPES):
        m = means[k]
        n = int(rng.negative_binomial(P.DISPERSION, P.DISPERSION / (P.DISPERSION + m)))
        requested[k] = n
        if n == 0:
            continue
        st, se, dc = slots[k]
        ok = duty[se, dc]
        times, sess_of = st[ok], se[ok]
        lead = np.floor(rng.gamma(v.lead_shape, v.lead_mean_days / v.lead_shape, n))
        u = rng.random(n)
        pref = rng.choice(hours, size=n, p=hour_p) * 60.0 + rng.uniform(0, 60, n)
        slot = book_nearest(times, pref, lead, u)
        got = slot >= 0
        lost[k] = int(n - got.sum())
        parts.append(
            (np.full(int(got.sum()), k), times[slot[got]], sess_of[slot[got]], lead[got], u[got])
        )
    if not parts:
        parts.append(tuple(np.zeros(0) for _ in range(5)))
    vt, minute, sess, lead, u = (np.concatenate(x) for x in zip(*parts, strict=True))
    vt = vt.astype(np.int64)
    appt = (minute * 60).astype(np.int64)
    order = np.lexsort((vt, appt))
    booked = {
        "vt": vt[order],
        "appt": appt[order],
        "session": sess[order].astype(np.int64),
        "lead": lead[order].astype(np.int64),
        "u": u[order],
    }
    return booked, requested, lost


def booking_seconds(appt: np.ndarray, lead: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Booking time (seconds relative to the appointment day's midnight).

    ``lead >= 1``: ``lead`` days earlier at 08:00-20:00; same day: 30-120 minutes before the
    appointment (so before any early arrival), not before 06:00.
    """
    advance = -lead * 86400 + np.round((8 + 12 * u) * 3600).astype(np.int64)
    same_day = np.maximum(appt - np.round((30 + 90 * u) * 60).astype(np.int64), 6 * 3600)
    return np.where(lead > 0, advance, same_day)


def walk_ins(
    rng: np.random.Generator, sessions: Sequence, weekday: int, season: float, factor: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk-in arrivals (seconds after midnight), their session index and visit type index.

    ``factor`` multiplies the network's rate per doctor and hour (the polyclinic's kind).
    """
    arr, sess = [], []
    for k, s in enumerate(sessions):
        for h, r in P.WALK_IN_PROFILE.items():
            lo, hi = max(h * 60, s.start), min(h * 60 + 60, s.end - 30)
            if hi <= lo:
                continue
            rate = r * factor * s.doctors * P.WEEKDAY_FACTOR[weekday] * season * (hi - lo) / 60.0
            c = int(rng.poisson(rate))
            arr.append(lo * 60 + rng.integers(0, (hi - lo) * 60, size=c))
            sess.append(np.full(c, k))
    wa = np.concatenate(arr).astype(np.int64) if arr else np.zeros(0, np.int64)
    ws = np.concatenate(sess).astype(np.int64) if sess else np.zeros(0, np.int64)
    wvt = _WALK_CODE[rng.choice(len(_WALK_CODE), size=wa.size, p=_WALK_P)]
    return wa, ws, wvt
