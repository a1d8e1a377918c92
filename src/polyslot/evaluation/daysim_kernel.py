"""The compiled clinic-day simulation: many replications of one ClinicDay in one call.

Random numbers are counter based: the uniform of (seed, stream, replication, key) is a hash of
those four numbers (SplitMix64's finaliser applied in turn), so the slot of rank ``j`` draws the
same booking, no-show, punctuality and consultation uniforms in replication ``r`` whatever the
rest of the template is, and the walk-ins of replication ``r`` are the same for every template:
two templates evaluated with one seed are paired replication by replication (common random
numbers) without sharing any generator state. Replications come in antithetic pairs: ``2i + 1``
uses ``1 - u`` wherever ``2i`` uses ``u`` (a busy day is paired with a quiet one; every KPI is
monotone enough in the draws that the pair's mean varies less than one day's), so the
standard errors are computed on the pairs' means (:mod:`polyslot.evaluation.clinic_day`).

The queue follows the semantics of :mod:`polyslot.day.spec` (the SimPy simulator runs the same
day): patients in order of arrival; ``pooled`` servers take the next patient in that order
when free; per-doctor queues route booked patients to their session's doctor and walk-ins (and
late patients) to the doctor on duty with the fewest patients waiting or in consultation; a
doctor stops at the session end when nobody of theirs is on the way and (pooled) nobody waits
or another doctor is on duty, (per doctor) their queue is empty.

Everything here is plain arrays so numba compiles it; :mod:`polyslot.evaluation.clinic_day`
packs a ClinicDay into them and reads the outputs.
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is a dependency; the pure-Python fallback only keeps the module importable
    from numba import njit
except ImportError:  # pragma: no cover
    def njit(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f

__all__ = [
    "STREAM_BOOK",
    "N_KPI",
    "KPI_INDEX",
    "HIST_BIN",
    "HIST_BINS",
    "HIST_BATCH",
    "uniform",
    "stream_base",
    "draw",
    "simulate_range",
]

#: Streams of the counter-based generator.
STREAM_BOOK, STREAM_KEPT, STREAM_SHOW, STREAM_PUNCT, STREAM_SVC = 1, 2, 3, 4, 5
STREAM_WCOUNT, STREAM_WTIME, STREAM_WSVC = 6, 7, 8
STREAM_ABSENT, STREAM_LOST = 9, 10
#: Walk-ins of one stream are keyed ``stream_index * WALK_KEY + k``.
WALK_KEY = 4096

#: Per-replication outputs, in this order (minutes, counts).
KPI_NAMES = (
    "wait_total",  # sum of the waits of the patients seen
    "patients_seen",
    "wait_total_booked",
    "booked_seen",
    "busy",  # consultation minutes (overtime included)
    "duty",  # rostered doctor-minutes
    "idle",  # duty minutes without consultation
    "overtime",  # last consultation end after the last session end
    "doctor_overtime",  # sum over sessions of minutes worked after their end
    "walk_ins_seen",
    "late_as_walk_in",
    "unseen",
    "no_shows",  # kept bookings whose patient did not come
    "booked",  # slots booked and kept
    "wait_p90",  # the day's 90th-percentile wait (linear interpolation, as numpy's default)
)
N_KPI = len(KPI_NAMES)
KPI_INDEX = {name: i for i, name in enumerate(KPI_NAMES)}

#: Wait histogram: bins of HIST_BIN minutes; the last bin holds everything beyond. One
#: histogram per HIST_BATCH replications (the batches give the 90th percentile's error).
HIST_BIN = 0.25
HIST_BINS = 4800
HIST_BATCH = 64

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)


@njit(cache=True)
def _mix(x):
    x = x + _GOLD
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True)
def stream_base(seed, stream, rep):
    """The hash of (seed, stream, replication): one per stream and replication."""
    h = _mix(np.uint64(seed))
    h = _mix(h ^ np.uint64(stream))
    return _mix(h ^ np.uint64(rep))


@njit(cache=True)
def draw(base, key):
    """The uniform in [0, 1) of ``key`` in the stream whose hash is ``base``."""
    h = _mix(base ^ np.uint64(key))
    return float(h >> _S11) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _u(base, key, anti):
    """The uniform of ``key``, or its antithetic ``1 - u`` (kept below 1) when ``anti``."""
    u = draw(base, key)
    if anti:
        u = 1.0 - u
        if u >= 1.0:
            u = 0.9999999999999999
    return u


@njit(cache=True)
def uniform(seed, stream, rep, key):
    """The uniform in [0, 1) of (seed, stream, replication, key)."""
    return draw(stream_base(seed, stream, rep), key)


@njit(cache=True)
def _inverse(cdf, length, u):
    """First index whose cumulative probability exceeds ``u`` (the last one at most)."""
    for k in range(length):
        if u < cdf[k]:
            return k
    return length - 1


@njit(cache=True)
def _poisson(lam, u):
    if lam <= 0.0:
        return 0
    p = math.exp(-lam)
    f = p
    k = 0
    while u > f and k < WALK_KEY - 1:
        k += 1
        p *= lam / k
        f += p
        if p < 1e-300:
            break
    return k


@njit(cache=True)
def _presence(seed, rep, absence, doc_group, start, end, gone, present, anti):
    """Which sessions are on duty in replication ``rep``: each doctor (group) is absent with
    probability ``absence``; a session nobody present covers is kept (sessions in order)."""
    ns = start.shape[0]
    if absence <= 0.0:
        for s in range(ns):
            present[s] = True
        return
    b_abs = stream_base(seed, STREAM_ABSENT, rep)
    for g in range(gone.shape[0]):
        gone[g] = _u(b_abs, g, anti) < absence
    for s in range(ns):
        present[s] = not gone[doc_group[s]]
    for s in range(ns):
        if present[s]:
            continue
        covered = False
        for o in range(ns):
            if present[o] and start[o] < end[s] and start[s] < end[o]:
                covered = True
                break
        if not covered:
            present[s] = True


@njit(cache=True)
def _stand_in(minute, j, present, start, end):
    """The session on duty that takes slot ``j`` of an absent doctor: of the present sessions
    covering ``minute`` (else of all present ones), the one of index ``j mod count``."""
    ns = start.shape[0]
    count = 0
    for s in range(ns):
        if present[s] and start[s] <= minute and minute < end[s]:
            count += 1
    covering = count > 0
    if not covering:
        for s in range(ns):
            if present[s]:
                count += 1
    k = j % count
    for s in range(ns):
        if present[s] and (not covering or (start[s] <= minute and minute < end[s])):
            if k == 0:
                return s
            k -= 1
    return -1


@njit(cache=True)
def _sample(  # noqa: PLR0913
    seed, rep, slot_minute, slot_session, slot_vt, slot_book, slot_kept, slot_show,
    svc_cdf, svc_len, off_val, off_cdf, off_len, slot_minutes,
    w_hour, w_rate, w_vt,
    arr, appt, svc, bsrv, vt, kind,
    present, absence_lost, start, end, anti,
):
    """Fill the patient arrays of one replication; return the number of patients.

    ``kind``: 0 booked and came, 1 booked and no-show (kept), 2 walk-in; slots not booked or
    cancelled are not patients, nor the lost patients of absent doctors (``present``)."""
    n = 0
    nslots = slot_minute.shape[0]
    b_book = stream_base(seed, STREAM_BOOK, rep)
    b_kept = stream_base(seed, STREAM_KEPT, rep)
    b_show = stream_base(seed, STREAM_SHOW, rep)
    b_punct = stream_base(seed, STREAM_PUNCT, rep)
    b_svc = stream_base(seed, STREAM_SVC, rep)
    b_lost = stream_base(seed, STREAM_LOST, rep)
    for j in range(nslots):
        if slot_book[j] < 1.0 and _u(b_book, j, anti) >= slot_book[j]:
            continue
        if slot_kept[j] < 1.0 and _u(b_kept, j, anti) >= slot_kept[j]:
            continue
        sess = slot_session[j]
        if not present[sess]:
            if absence_lost > 0.0 and _u(b_lost, j, anti) < absence_lost:
                continue
            sess = _stand_in(slot_minute[j], j, present, start, end)
        v = slot_vt[j]
        appt[n] = slot_minute[j]
        bsrv[n] = sess
        vt[n] = v
        svc[n] = _inverse(svc_cdf[v], svc_len[v], _u(b_svc, j, anti)) * slot_minutes
        if slot_show[j] > 0.0 and _u(b_show, j, anti) < slot_show[j]:
            arr[n] = np.inf
            kind[n] = 1
        else:
            k = 0 if off_len[v] == 1 else _inverse(off_cdf[v], off_len[v], _u(b_punct, j, anti))
            arr[n] = slot_minute[j] + off_val[v, k] * slot_minutes
            kind[n] = 0
        n += 1
    nw = w_hour.shape[0]
    if nw:
        b_count = stream_base(seed, STREAM_WCOUNT, rep)
        b_time = stream_base(seed, STREAM_WTIME, rep)
        b_wsvc = stream_base(seed, STREAM_WSVC, rep)
        for w in range(nw):
            count = _poisson(w_rate[w], _u(b_count, w, anti))
            v = w_vt[w]
            for k in range(count):
                key = w * WALK_KEY + k
                arr[n] = w_hour[w] * 60.0 + 60.0 * _u(b_time, key, anti)
                appt[n] = np.nan
                bsrv[n] = -1
                vt[n] = v
                svc[n] = _inverse(svc_cdf[v], svc_len[v], _u(b_wsvc, key, anti)) * slot_minutes
                kind[n] = 2
                n += 1
    return n


@njit(cache=True)
def _pick(avail, req, alive, ns):
    best = -1
    for s in range(ns):
        if not alive[s]:
            continue
        if best < 0 or avail[s] < avail[best] or (
            avail[s] == avail[best] and req[s] < req[best]
        ):
            best = s
    return best


@njit(cache=True)
def _on_duty_other(s, t, alive, start, end, ns):
    for o in range(ns):
        if o != s and alive[o] and start[o] <= t and t < end[o]:
            return True
    return False


@njit(cache=True)
def _shortest(t, alive, start, end, qn, busy_until, ns):
    """The on-duty doctor with the fewest patients waiting or in consultation (ties: first);
    else a started one; else the next to start; -1 when none."""
    for stage in range(2):
        best = -1
        best_load = 0
        for s in range(ns):
            if not alive[s] or start[s] > t:
                continue
            if stage == 0 and not t < end[s]:
                continue
            load = qn[s] + (1 if busy_until[s] > t else 0)
            if best < 0 or load < best_load:
                best = s
                best_load = load
        if best >= 0:
            return best
    best = -1
    for s in range(ns):
        if start[s] > t and (best < 0 or start[s] < start[best]):
            best = s
    return best


@njit(cache=True)
def _run_pooled(n, order, arr, svc, start, end, release, t_start, t_end, doc, ns, present):
    avail = start.copy()
    req = start.copy()
    alive = present.copy()
    p = 0
    while True:
        s = _pick(avail, req, alive, ns)
        if s < 0:
            break
        t = avail[s]
        if p < n and arr[order[p]] <= t:
            if t >= release[s] and _on_duty_other(s, t, alive, start, end, ns):
                alive[s] = False
                continue
            i = order[p]
            p += 1
            t_start[i] = t
            t_end[i] = t + svc[i]
            doc[i] = s
            avail[s] = t + svc[i]
            req[s] = avail[s]
        else:
            if t >= release[s]:
                alive[s] = False
                continue
            nxt = arr[order[p]] if p < n else np.inf
            if nxt < release[s]:
                avail[s] = nxt
            else:
                avail[s] = release[s]
            req[s] = t


@njit(cache=True)
def _run_per_doctor(  # noqa: PLR0913
    n, order, arr, svc, key, bsrv, as_walk, start, end, release, t_start, t_end, doc, ns,
    qlist, qn, by_key, present,
):
    avail = start.copy()
    req = start.copy()
    busy_until = np.full(ns, -np.inf)
    alive = present.copy()
    idle = np.zeros(ns, dtype=np.bool_)
    for s in range(ns):
        qn[s] = 0
    p = 0
    while True:
        t_arr = arr[order[p]] if p < n else np.inf
        s = _pick(avail, req, alive, ns)
        t_s = avail[s] if s >= 0 else np.inf
        if p < n and t_arr <= t_s:
            i = order[p]
            p += 1
            b = bsrv[i]
            q = b
            if as_walk[i] or b < 0 or not alive[b]:
                q = _shortest(t_arr, alive, start, end, qn, busy_until, ns)
            if q < 0:
                continue  # nobody on duty now or later: unseen
            qlist[q, qn[q]] = i
            qn[q] += 1
            if idle[q] and avail[q] > t_arr:
                avail[q] = t_arr if t_arr > start[q] else start[q]
            continue
        if s < 0:
            break
        t = t_s
        if qn[s] == 0:
            if t >= release[s]:
                alive[s] = False
                continue
            idle[s] = True
            avail[s] = release[s]
            req[s] = t
            continue
        # the patient to see: earliest key (appointment order) or first routed (dedicated)
        pos = 0
        if by_key:
            for k in range(1, qn[s]):
                a = qlist[s, k]
                b2 = qlist[s, pos]
                if key[a] < key[b2] or (key[a] == key[b2] and a < b2):
                    pos = k
        i = qlist[s, pos]
        for k in range(pos, qn[s] - 1):
            qlist[s, k] = qlist[s, k + 1]
        qn[s] -= 1
        idle[s] = False
        t_start[i] = t
        t_end[i] = t + svc[i]
        doc[i] = s
        busy_until[s] = t + svc[i]
        avail[s] = t + svc[i]
        req[s] = avail[s]


@njit(cache=True)
def _quantile_sorted(x, m, q):
    pos = q * (m - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, m - 1)
    return x[lo] + (x[hi] - x[lo]) * (pos - lo)


@njit(cache=True, nogil=True)
def simulate_range(  # noqa: PLR0913, PLR0915, C901
    seed, rep0, r_lo, r_hi, discipline, late_threshold, slot_minutes,
    start, end,
    slot_minute, slot_session, slot_vt, slot_book, slot_kept, slot_show,
    svc_cdf, svc_len, off_val, off_cdf, off_len,
    w_hour, w_rate, w_vt, max_patients,
    kpi, hist, hour_wait, hour_count, keep_records,
    rec_arr, rec_appt, rec_start, rec_end, rec_doc, rec_vt, rec_kind, rec_n,
    doc_group, absence, absence_lost,
):
    """Simulate replications ``rep0 + r_lo .. rep0 + r_hi - 1`` of one clinic day (rows
    ``r_lo .. r_hi - 1`` of the outputs; the GIL is released, so disjoint ranges run in
    threads, and each replication depends only on its own numbers).

    Fills ``kpi[r, :]`` (:data:`KPI_NAMES`), adds every seen patient's wait to
    ``hist[r // HIST_BATCH, :]`` (bins of :data:`HIST_BIN` minutes), their wait and count to ``hour_wait`` / ``hour_count``
    by hour of appointment (walk-ins: of arrival), and for the first ``keep_records`` replications the per-patient records.

    ``discipline``: 0 pooled, 1 per doctor in appointment order, 2 dedicated (arrival order).
    ``doc_group``: the doctor of each session (whole-day absences with probability
    ``absence``; an absent doctor's booked patient is lost with ``absence_lost``).
    """
    ns = start.shape[0]
    arr = np.empty(max_patients)
    appt = np.empty(max_patients)
    svc = np.empty(max_patients)
    bsrv = np.empty(max_patients, dtype=np.int64)
    vt = np.empty(max_patients, dtype=np.int64)
    kind = np.empty(max_patients, dtype=np.int64)
    t_start = np.empty(max_patients)
    t_end = np.empty(max_patients)
    doc = np.empty(max_patients, dtype=np.int64)
    key = np.empty(max_patients)
    as_walk = np.empty(max_patients, dtype=np.bool_)
    release = np.empty(ns)
    qlist = np.empty((ns, max_patients), dtype=np.int64)
    qn = np.zeros(ns, dtype=np.int64)
    waits = np.empty(max_patients)
    ng = 1
    for s in range(ns):
        if doc_group[s] + 1 > ng:
            ng = doc_group[s] + 1
    gone = np.zeros(ng, dtype=np.bool_)
    present = np.ones(ns, dtype=np.bool_)
    for r in range(r_lo, r_hi):
        # antithetic pairs: replications 2i and 2i + 1 share their numbers, the second as 1 - u
        rep = (rep0 + r) // 2
        anti = (rep0 + r) % 2 == 1
        _presence(seed, rep, absence, doc_group, start, end, gone, present, anti)
        close = -np.inf
        duty = 0.0
        for s in range(ns):
            if present[s]:
                duty += end[s] - start[s]
                if end[s] > close:
                    close = end[s]
        n = _sample(
            seed, rep, slot_minute, slot_session, slot_vt, slot_book, slot_kept, slot_show,
            svc_cdf, svc_len, off_val, off_cdf, off_len, slot_minutes,
            w_hour, w_rate, w_vt, arr, appt, svc, bsrv, vt, kind,
            present, absence_lost, start, end, anti,
        )
        for s in range(ns):
            release[s] = end[s]
        m = 0  # patients who come
        for i in range(n):
            t_start[i] = np.nan
            t_end[i] = np.nan
            doc[i] = -1
            came = kind[i] != 1
            late = False
            if kind[i] == 0 and late_threshold >= 0 and arr[i] - appt[i] > late_threshold:
                late = True
            as_walk[i] = kind[i] == 2 or late
            if discipline == 1 and not as_walk[i]:
                key[i] = appt[i]
            else:
                key[i] = arr[i]
            if came:
                m += 1
                if not as_walk[i] and arr[i] > release[bsrv[i]]:
                    release[bsrv[i]] = arr[i]
        # arrival order (ties: appointment, then index): the patients who come
        order = np.empty(m, dtype=np.int64)
        tie = np.empty(m)
        c = 0
        for i in range(n):
            if kind[i] != 1:
                order[c] = i
                c += 1
        for k in range(m):
            i = order[k]
            tie[k] = appt[i] if kind[i] != 2 else arr[i]
        # insertion sort by (arrival, appointment, index): the list is nearly sorted
        for k in range(1, m):
            i = order[k]
            ti = tie[k]
            j = k - 1
            while j >= 0:
                o = order[j]
                if arr[o] > arr[i] or (arr[o] == arr[i] and (tie[j] > ti or (
                        tie[j] == ti and o > i))):
                    order[j + 1] = o
                    tie[j + 1] = tie[j]
                    j -= 1
                else:
                    break
            order[j + 1] = i
            tie[j + 1] = ti
        if discipline == 0:
            _run_pooled(m, order, arr, svc, start, end, release, t_start, t_end, doc, ns,
                        present)
        else:
            _run_per_doctor(
                m, order, arr, svc, key, bsrv, as_walk, start, end, release, t_start, t_end,
                doc, ns, qlist, qn, discipline == 1, present,
            )
        # KPIs of the day
        wt = 0.0
        seen = 0
        wtb = 0.0
        seenb = 0
        busy = 0.0
        walk_seen = 0
        late_seen = 0
        unseen = 0
        noshow = 0
        last = -np.inf
        busy_duty = 0.0
        doc_last = end.copy()
        for i in range(n):
            if kind[i] == 1:
                noshow += 1
                continue
            if not (t_start[i] == t_start[i]):  # NaN: never seen
                unseen += 1
                continue
            w = t_start[i] - arr[i]
            waits[seen] = w
            seen += 1
            wt += w
            b = int(math.floor(w / HIST_BIN))
            if b >= HIST_BINS:
                b = HIST_BINS - 1
            if b < 0:
                b = 0
            hist[r // HIST_BATCH, b] += 1
            # the hour of the appointment (walk-ins: of their arrival), as the hourly profiles
            h = int(math.floor((appt[i] if kind[i] == 0 else arr[i]) / 60.0))
            if 0 <= h < 24:
                hour_wait[r, h] += w
                hour_count[r, h] += 1
            if kind[i] == 0:
                wtb += w
                seenb += 1
                if as_walk[i]:
                    late_seen += 1
            else:
                walk_seen += 1
            d = svc[i]
            busy += d
            s = doc[i]
            lo = t_start[i] if t_start[i] > start[s] else start[s]
            hi = t_end[i] if t_end[i] < end[s] else end[s]
            if hi > lo:
                busy_duty += hi - lo
            if t_end[i] > doc_last[s]:
                doc_last[s] = t_end[i]
            if t_end[i] > last:
                last = t_end[i]
        over_doc = 0.0
        for s in range(ns):
            if present[s]:
                over_doc += doc_last[s] - end[s]
        kpi[r, 0] = wt
        kpi[r, 1] = seen
        kpi[r, 2] = wtb
        kpi[r, 3] = seenb
        kpi[r, 4] = busy
        kpi[r, 5] = duty
        kpi[r, 6] = duty - busy_duty
        kpi[r, 7] = last - close if last > close else 0.0
        kpi[r, 8] = over_doc
        kpi[r, 9] = walk_seen
        kpi[r, 10] = late_seen
        kpi[r, 11] = unseen
        kpi[r, 12] = noshow
        kpi[r, 13] = n - walk_seen - _count_walk_unseen(n, kind, t_start)
        if seen > 0:
            day_waits = np.sort(waits[:seen])
            kpi[r, 14] = _quantile_sorted(day_waits, seen, 0.9)
        else:
            kpi[r, 14] = np.nan
        if r < keep_records:
            rec_n[r] = n
            for i in range(n):
                rec_arr[r, i] = arr[i] if kind[i] != 1 else np.nan
                rec_appt[r, i] = appt[i]
                rec_start[r, i] = t_start[i]
                rec_end[r, i] = t_end[i]
                rec_doc[r, i] = doc[i]
                rec_vt[r, i] = vt[i]
                rec_kind[r, i] = kind[i] + (3 if kind[i] == 0 and as_walk[i] else 0)


@njit(cache=True)
def _count_walk_unseen(n, kind, t_start):
    c = 0
    for i in range(n):
        if kind[i] == 2 and not (t_start[i] == t_start[i]):
            c += 1
    return c
