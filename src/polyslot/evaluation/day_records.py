"""Per-patient records of the fast evaluator's replications, and what is read off them: the
tidy record frame (the SimPy simulator's columns) and the booking envelope of the clinic day.

The booking envelope of a clinic day (the pooled counterpart of the single-session envelopes of
De Vuyst et al., :mod:`polyslot.evaluation.envelope`): at each minute ``t`` of the day, the mean
and standard deviation of the **remaining work** (consultation minutes still to be done by the
patients already arrived: waiting ones in full, the one in consultation for its remainder) and
the mean **running idle time** (doctor-minutes on duty without a consultation since the first
session start), over the replications whose records were kept.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from polyslot.day.spec import ClinicDay

__all__ = ["records_frame", "day_envelope"]


def records_frame(day: ClinicDay, records: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The kept replications' patients as one frame with the columns of
    :data:`polyslot.simulate.kpis.RECORD_COLUMNS` plus ``replication``."""
    names = np.array([s.name for s in day.sessions] + [""], dtype=object)
    vts = np.array([v.name for v in day.visit_types] + [""], dtype=object)
    frames = []
    for r in range(int(records["n"].size)):
        n = int(records["n"][r])
        kind = records["kind"][r, :n]
        start = records["start"][r, :n]
        arrival = records["arrival"][r, :n]
        doc = records["doctor"][r, :n]
        frames.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "appointment": records["appointment"][r, :n],
                    "arrival": arrival,
                    "start": start,
                    "end": records["end"][r, :n],
                    "wait": start - arrival,
                    "doctor": names[np.where(doc >= 0, doc, len(names) - 1)],
                    "visit_type": vts[records["visit_type"][r, :n]],
                    "walk_in": kind == 2,
                    "seen_as_walk_in": kind >= 2,
                    "no_show": kind == 1,
                    "seen": np.isfinite(start),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["replication", "appointment", "arrival", "start", "end", "wait", "doctor",
                     "visit_type", "walk_in", "seen_as_walk_in", "no_show", "seen"]
        )
    return pd.concat(frames, ignore_index=True)


def day_envelope(day: ClinicDay, frame: pd.DataFrame, step: float = 1.0) -> pd.DataFrame:
    """Remaining work (mean, SD) and running idle time (mean) by minute after the first session
    start; columns ``minute``, ``series``, ``value`` (:data:`ENVELOPE_COLUMNS`)."""
    if frame.empty or not day.sessions:
        return pd.DataFrame(columns=["minute", "series", "value"])
    t0 = min(s.start for s in day.sessions)
    seen = frame[frame["seen"]]
    t1 = max(max(s.end for s in day.sessions), float(seen["end"].max()) if len(seen) else t0)
    grid = np.arange(t0, t1 + step, step)
    reps = sorted(set(frame["replication"]))
    work = np.zeros((len(reps), grid.size))
    idle = np.zeros((len(reps), grid.size))
    duty = np.zeros(grid.size)
    for s in day.sessions:
        duty += np.clip(np.minimum(grid, s.end) - s.start, 0.0, None)
    for k, r in enumerate(reps):
        g = seen[seen["replication"] == r]
        a = g["arrival"].to_numpy(float)
        st = g["start"].to_numpy(float)
        en = g["end"].to_numpy(float)
        present = (a[None, :] <= grid[:, None]) & (grid[:, None] < en[None, :])
        left = en[None, :] - np.maximum(grid[:, None], st[None, :])
        work[k] = np.where(present, left, 0.0).sum(axis=1)
        # consultation minutes done on duty by t (an upper bound of on-duty busy time)
        busy = np.clip(np.minimum(grid[:, None], en[None, :]) - st[None, :], 0.0, None)
        idle[k] = np.maximum(duty - busy.sum(axis=1), 0.0)
    minutes = grid - t0
    parts = [
        ("remaining_work_mean", work.mean(axis=0)),
        ("remaining_work_sd", work.std(axis=0, ddof=1) if len(reps) > 1 else np.zeros(grid.size)),
        ("running_idle_mean", idle.mean(axis=0)),
    ]
    return pd.concat(
        [pd.DataFrame({"minute": minutes, "series": n, "value": v}) for n, v in parts],
        ignore_index=True,
    )
