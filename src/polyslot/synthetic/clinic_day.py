"""One clinic day run as a queue: pooled first-come-first-served among the doctors on duty.

The discipline (the SimPy simulator models the same one; see docs/synthetic.md):

* Every patient belongs to one session of the day (AM or PM): a booked patient to the session
  of the booked slot, a walk-in to the session open when they arrive.
* The doctors on duty in a session (from the roster) start it at the session start.  A doctor
  who is also on duty in the afternoon starts the PM session at
  ``max(pm_start, the moment they finished their last morning consultation)``: the lunch break
  is the gap between the two sessions and is shortened by morning overtime.
* Within a session, patients are taken strictly in order of arrival time (ties: in input
  order), whether punctual, late or walk-in.  A patient arriving before the session start
  waits for it.  The next patient in line goes to the doctor who became free earliest (ties:
  lowest doctor index); the consultation starts at ``max(arrival, doctor free)`` and lasts
  the patient's consultation time.  There is no cut-off: a session runs on until everyone in
  it has been seen (overtime).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np

__all__ = ["run_clinic_day"]


def run_clinic_day(
    arrival: np.ndarray,
    duration: np.ndarray,
    session: np.ndarray,
    session_start: Sequence[int],
    on_duty: Sequence[Sequence[int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consultation start, end and doctor of every patient of one clinic day.

    Parameters
    ----------
    arrival : ndarray of int
        Arrival times (any common unit, e.g. seconds after midnight).
    duration : ndarray of int
        Consultation times in the same unit.
    session : ndarray of int
        Session index of each patient (0 = first session of the day, 1 = second).
    session_start : sequence of int
        Start time of each session.
    on_duty : sequence of sequences of int
        Doctor indices on duty in each session (a doctor keeps their index across sessions).

    Returns
    -------
    start, end, doctor : ndarray of int
        Per patient, in input order.
    """
    arrival = np.asarray(arrival, dtype=np.int64)
    duration = np.asarray(duration, dtype=np.int64)
    session = np.asarray(session, dtype=np.int64)
    n = arrival.size
    start = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    doctor = np.full(n, -1, dtype=np.int64)
    finished: dict[int, int] = {}
    order_all = np.lexsort((np.arange(n), arrival))
    for s, s_start in enumerate(session_start):
        docs = list(on_duty[s])
        if not docs:
            if np.any(session == s):
                raise ValueError(f"session {s} has patients but no doctor on duty")
            continue
        heap = [(max(int(s_start), finished.get(d, int(s_start))), d) for d in docs]
        heapq.heapify(heap)
        arr = arrival.tolist()
        dur = duration.tolist()
        for i in order_all[session[order_all] == s].tolist():
            free, d = heapq.heappop(heap)
            t0 = arr[i] if arr[i] > free else free
            t1 = t0 + dur[i]
            start[i] = t0
            end[i] = t1
            doctor[i] = d
            heapq.heappush(heap, (t1, d))
        for free, d in heap:
            finished[d] = free
    return start, end, doctor
