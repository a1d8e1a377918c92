"""Realistic defects for the sample network: the kinds of bad rows a real export contains.

``make run`` ingests the sample through the same validation as real data, so its report shows a
non-empty quarantine. :func:`inject_defects` adds, to a seeded random subset of attendance rows
(``rate`` of them, spread evenly over the defect kinds), one defect each; each kind maps to the
quarantine reason the data layer must give it (tested):

=========================  =============================================================
defect                     change (reason code)
=========================  =============================================================
duplicate                  the row is appended again with the same ``attendance_id``
                           (``duplicate_attendance_id``)
negative_duration          ``consultation_duration_minutes`` negated (``negative_duration``)
implausible_duration       duration set to 600 minutes (``implausible_duration``)
end_before_start           consult start and end swapped (``end_before_start``)
unknown_status             status ``"seen"`` (``unknown_status``)
missing_appointment        ``appointment_ts`` blanked on a booked visit (``missing_appointment``)
missing_polyclinic         ``polyclinic_id`` blanked (``missing_required_field``)
=========================  =============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DEFECTS", "inject_defects"]

DEFECTS: dict[str, str] = {
    "duplicate": "duplicate_attendance_id",
    "negative_duration": "negative_duration",
    "implausible_duration": "implausible_duration",
    "end_before_start": "end_before_start",
    "unknown_status": "unknown_status",
    "missing_appointment": "missing_appointment",
    "missing_polyclinic": "missing_required_field",
}


def inject_defects(
    attendances: pd.DataFrame, rate: float, seed: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return a copy of ``attendances`` with defects, and the number of rows per reason code.

    Only attended rows are altered (every kind applies to them). Row order is kept; duplicates are
    appended at the end, as a re-export would.
    """
    out = attendances.copy()
    rng = np.random.default_rng(seed)
    attended = np.flatnonzero(out["status"].to_numpy() == "attended")
    n = min(len(attended), int(round(rate * len(out))))
    chosen = rng.choice(attended, size=n, replace=False)
    kinds = list(DEFECTS)
    counts: dict[str, int] = {}
    dup_rows = []
    for i, row in enumerate(np.sort(chosen)):
        kind = kinds[i % len(kinds)]
        counts[DEFECTS[kind]] = counts.get(DEFECTS[kind], 0) + 1
        if kind == "duplicate":
            dup_rows.append(row)
        elif kind == "negative_duration":
            out.iloc[row, out.columns.get_loc("consultation_duration_minutes")] *= -1
        elif kind == "implausible_duration":
            out.iloc[row, out.columns.get_loc("consultation_duration_minutes")] = 600.0
        elif kind == "end_before_start":
            s, e = out.columns.get_loc("consult_start_ts"), out.columns.get_loc("consult_end_ts")
            out.iloc[row, s], out.iloc[row, e] = out.iloc[row, e], out.iloc[row, s]
        elif kind == "unknown_status":
            out.iloc[row, out.columns.get_loc("status")] = "seen"
        elif kind == "missing_appointment":
            out.iloc[row, out.columns.get_loc("appointment_ts")] = pd.NaT
        else:
            out.iloc[row, out.columns.get_loc("polyclinic_id")] = None
    if dup_rows:
        out = pd.concat([out, attendances.iloc[dup_rows]], ignore_index=True)
    return out, counts
