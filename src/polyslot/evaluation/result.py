"""The record returned by :func:`polyslot.evaluation.evaluate` and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Envelope", "Evaluation"]


@dataclass(frozen=True, eq=False)
class Envelope:
    """Booking envelopes, arrays indexed by slot ``t = 0..L``.

    ``remaining_work_mean[t]`` / ``remaining_work_var[t]``: mean / variance of the wait of one
    extra punctual patient booked at ``t`` behind everyone already booked at or before ``t``.
    ``running_idle_mean[t]``: mean time the doctor has been idle at ``t`` (since the doctor's
    arrival or the last departure), i.e. the idle time such a booking would fill.
    """

    remaining_work_mean: np.ndarray
    remaining_work_var: np.ndarray
    running_idle_mean: np.ndarray

    def to_dict(self) -> dict[str, list[float]]:
        """Lists indexed by slot 0..L."""
        return {
            "remaining_work_mean": [float(x) for x in self.remaining_work_mean],
            "remaining_work_var": [float(x) for x in self.remaining_work_var],
            "running_idle_mean": [float(x) for x in self.running_idle_mean],
        }


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Exact performance of one doctor session, all times in slots.

    Per-patient arrays are in appointment order. ``wait_mean[k]`` / ``wait_var[k]`` are the
    moments of the wait of patient k *if patient k comes* (the wait does not depend on whether k
    comes, only on the patients before). ``idle_mean[k]`` / ``idle_var[k]`` are the doctor's idle
    time just before patient k's service would start (for k = 0: from the doctor's arrival);
    a no-show's idle is still counted (the doctor waits for the next arrival).

    Attributes
    ----------
    total_wait_mean : float
        ``sum_k (1 - p_k) * wait_mean[k]``: expected total waiting of the patients who come.
    total_idle_mean : float
        ``sum_k idle_mean[k]`` (idle before patients; excludes the idle at the session end).
    session_idle_mean : float
        ``total_idle_mean + idle_end_mean``: all idle time between the doctor's arrival and L.
    completion_mean : float
        Expected departure slot of the last patient.
    utilization : float
        Expected consultation time divided by the doctor's expected presence
        ``L - doctor_start + overtime_mean`` (0 when that is 0).
    wait_cdf : list of arrays or None
        From :func:`polyslot.evaluation.evaluate_many` with ``cdf_margin``: ``wait_cdf[k][w]``
        is exactly ``P(W_k <= w)`` for ``w = 0 .. len - 1`` (the range the horizon covers).
    """

    appointment: np.ndarray
    no_show: np.ndarray
    wait_mean: np.ndarray
    wait_var: np.ndarray
    idle_mean: np.ndarray
    idle_var: np.ndarray
    overtime_mean: float
    overtime_var: float
    idle_end_mean: float
    idle_end_var: float
    completion_mean: float
    completion_var: float
    busy_mean: float
    session_end: int
    doctor_start: int
    wait_pmfs: list[np.ndarray] | None = None
    envelope: Envelope | None = None
    wait_cdf: list[np.ndarray] | None = None

    @property
    def n_patients(self) -> int:
        """Number of patients."""
        return int(self.appointment.shape[0])

    @property
    def total_wait_mean(self) -> float:
        """Expected total waiting of patients who come."""
        return float(np.dot(1.0 - self.no_show, self.wait_mean))

    @property
    def total_idle_mean(self) -> float:
        """Expected idle time before patients (sum over patients; no end idle)."""
        return float(np.sum(self.idle_mean))

    @property
    def session_idle_mean(self) -> float:
        """Expected idle time between the doctor's arrival and L, incl. the end idle."""
        return self.total_idle_mean + self.idle_end_mean

    @property
    def utilization(self) -> float:
        """Expected consultation time / expected doctor presence (see class docstring)."""
        presence = self.session_end - self.doctor_start + self.overtime_mean
        return float(self.busy_mean / presence) if presence > 0 else 0.0

    def patients_frame(self) -> pd.DataFrame:
        """One tidy row per patient (appointment order), all times in slots."""
        return pd.DataFrame(
            {
                "position": np.arange(self.n_patients),
                "appointment": self.appointment,
                "no_show": self.no_show,
                "wait_mean": self.wait_mean,
                "wait_var": self.wait_var,
                "idle_mean": self.idle_mean,
                "idle_var": self.idle_var,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``polyslot evaluate`` output JSON (all times in slots)."""
        patients = []
        for k in range(self.n_patients):
            d: dict[str, Any] = {
                "appointment": int(self.appointment[k]),
                "wait_mean": float(self.wait_mean[k]),
                "wait_var": float(self.wait_var[k]),
                "idle_mean": float(self.idle_mean[k]),
                "idle_var": float(self.idle_var[k]),
            }
            if self.wait_pmfs is not None:
                d["wait_pmf"] = [float(x) for x in self.wait_pmfs[k]]
            patients.append(d)
        out: dict[str, Any] = {
            "patients": patients,
            "overtime_mean": float(self.overtime_mean),
            "overtime_var": float(self.overtime_var),
            "idle_end_mean": float(self.idle_end_mean),
            "total_wait_mean": self.total_wait_mean,
            "total_idle_mean": self.total_idle_mean,
            "completion_mean": float(self.completion_mean),
            "utilization": self.utilization,
        }
        if self.envelope is not None:
            out["envelope"] = self.envelope.to_dict()
        return out
