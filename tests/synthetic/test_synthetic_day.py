"""The clinic-day queue: hand-computed cases and invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.synthetic.clinic_day import run_clinic_day


def test_single_doctor_is_lindley_recursion() -> None:
    arrival = np.array([0, 5, 6, 40])
    duration = np.array([10, 3, 4, 2])
    start, end, doc = run_clinic_day(arrival, duration, np.zeros(4), [0], [[0]])
    # Lindley: start_i = max(arrival_i, end_{i-1})
    assert start.tolist() == [0, 10, 13, 40]
    assert end.tolist() == [10, 13, 17, 42]
    assert doc.tolist() == [0, 0, 0, 0]


def test_waits_for_session_start_and_fcfs_by_arrival_not_input_order() -> None:
    arrival = np.array([30, -10, 5])  # input order differs from arrival order
    duration = np.array([5, 5, 5])
    start, end, _ = run_clinic_day(arrival, duration, np.zeros(3), [0], [[0]])
    # -10 waits for the start (0), then 5 at 5, then 30 at 30
    assert start.tolist() == [30, 0, 5]


def test_two_doctors_take_the_earliest_free_and_lowest_index_on_ties() -> None:
    arrival = np.array([0, 0, 1, 2])
    duration = np.array([10, 4, 3, 5])
    start, end, doc = run_clinic_day(arrival, duration, np.zeros(4), [0], [[0, 1]])
    assert doc.tolist() == [0, 1, 1, 1]
    assert start.tolist() == [0, 0, 4, 7]


def test_afternoon_starts_after_morning_overtime_and_break() -> None:
    # AM session at 0 (one doctor, runs over to 130); PM at 120 with doctors 0 and 1
    arrival = np.array([0, 1, 118, 119])
    duration = np.array([70, 60, 10, 10])
    session = np.array([0, 0, 1, 1])
    start, end, doc = run_clinic_day(arrival, duration, session, [0, 120], [[0], [0, 1]])
    assert end[:2].tolist() == [70, 130]
    # doctor 1 is free at 120, doctor 0 only at 130 (morning overtime eats the break)
    assert doc[2] == 1 and start[2] == 120
    assert doc[3] == 0 and start[3] == 130


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-30, 300), st.integers(1, 40), st.integers(0, 1)),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_queue_invariants(patients, k_am, k_pm) -> None:
    arrival = np.array([p[0] for p in patients])
    duration = np.array([p[1] for p in patients])
    session = np.array([p[2] for p in patients])
    starts = [0, 150]
    duty = [list(range(k_am)), list(range(k_pm))]
    start, end, doc = run_clinic_day(arrival, duration, session, starts, duty)
    assert np.all(end - start == duration)
    assert np.all(start >= arrival)
    assert np.all(start >= np.array(starts)[session])
    for d in range(max(k_am, k_pm)):
        idx = np.argsort(start[doc == d], kind="stable")
        s, e = start[doc == d][idx], end[doc == d][idx]
        assert np.all(s[1:] >= e[:-1])  # a doctor never sees two patients at once
    for s in (0, 1):
        m = session == s
        assert set(doc[m]) <= set(duty[s])
        order = np.lexsort((np.nonzero(m)[0], arrival[m]))
        assert np.all(np.diff(start[m][order]) >= 0)  # first come, first served
        # work conserving: a patient who waits starts when some doctor frees up
        for i in np.nonzero(m)[0]:
            if start[i] > max(arrival[i], starts[s]):
                assert start[i] in set(end.tolist())


def test_booking_takes_the_nearest_free_slot_in_booking_order() -> None:
    from polyslot.synthetic.booking import book_nearest as _book

    times = np.array([480.0, 480.0, 490.0, 600.0, 600.0])
    pref = np.array([485.0, 485.0, 485.0, 700.0, 700.0, 700.0])
    lead = np.array([0, 1, 2, 3, 4, 5])  # longest lead books first
    slot = _book(times, pref, lead, np.zeros(6))
    # leads 5, 4 take the 10:00 slots; lead 3 the nearest left (08:10); leads 2, 1 the
    # 08:00 block; lead 0 finds nothing and is lost
    assert slot.tolist() == [-1, 1, 0, 2, 4, 3]
