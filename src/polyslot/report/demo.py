"""Fabricated-but-realistic results for building and testing the deliverables without a run.

The numbers are made up (seeded); the shapes are exactly those the pipeline produces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.examples import example_clinic_model
from polyslot.kpi_records import ENVELOPE_COLUMNS, HOURLY_COLUMNS, KPI_COLUMNS, SENSITIVITY_COLUMNS
from polyslot.report.capacity_section import demo_capacity_section
from polyslot.results import NetworkResult, PolyclinicResult, capacity_by_weekday
from polyslot.template import Slot, SlotTemplate

__all__ = ["respaced_template", "demo_polyclinic_result", "demo_network_result"]

_LENGTHS = {"acute": 10, "chronic_followup": 15, "new_patient": 20}
_PATTERN = ("acute", "chronic_followup", "acute", "new_patient", "acute", "chronic_followup")


def respaced_template(model: ClinicModel) -> SlotTemplate:
    """A plausible "recommended" template: no block booking at the session start, slot length
    per visit type, one overbooked acute slot per session at its second appointment time."""
    slots: list[Slot] = []
    for s in model.sessions:
        t, i = s.start_minute, 0
        times: list[int] = []
        while True:
            vt = _PATTERN[i % len(_PATTERN)]
            length = _LENGTHS.get(vt, 15)
            if t + length > s.end_minute:
                break
            slots.append(Slot(s.weekday, t, length, vt, s.session_id))
            times.append(t)
            t += length
            i += 1
        if len(times) > 1:
            slots.append(Slot(s.weekday, times[1], 10, "acute", s.session_id, overbooked=True))
    return SlotTemplate(model.polyclinic_id, tuple(slots), 60, "recommended")


def demo_polyclinic_result(
    polyclinic_id: str = "EX01", doctors: int = 3, seed: int = 0
) -> PolyclinicResult:
    """One polyclinic with fabricated KPI, hourly, sensitivity and envelope tables."""
    rng = np.random.default_rng(seed)
    model = example_clinic_model(doctors=doctors, polyclinic_id=polyclinic_id)
    current, recommended = model.current_template, respaced_template(model)
    cap = capacity_by_weekday(model)
    kpi_rows = []
    base = {"current": (24.0, 0.78, 25.0), "recommended": (13.0, 0.86, 12.0)}
    for scen, tpl in (("current", current), ("recommended", recommended)):
        wait0, util0, over0 = base[scen]
        for d in tpl.weekdays:
            n_slots = len(tpl.for_weekday(d).slots)
            demand = sum(r.mean for r in model.demand if r.weekday == d) + 12.0
            served = n_slots * (0.84 + 0.02 * rng.standard_normal())
            values = {
                "wait_mean": wait0 * (1.15 if d == 0 else 1.0) + rng.normal(0, 1.0),
                "wait_p90": 2.3 * wait0 + rng.normal(0, 2.0),
                "utilization": min(0.99, util0 + rng.normal(0, 0.01)),
                "overtime": over0 * doctors * 2 + rng.normal(0, 3.0),
                "idle": (1 - util0) * cap[d] * 0.5,
                "patients_served": served,
                "unmet_demand": max(0.0, demand - served),
            }
            for src, hw_scale in (("simulator", 0.05), ("evaluator", 0.0)):
                for kpi, v in values.items():
                    hw = abs(v) * hw_scale
                    kpi_rows.append((scen, src, d, kpi, v, v - hw, v + hw, 200 if hw else 1))
    kpis = pd.DataFrame(kpi_rows, columns=list(KPI_COLUMNS))
    hourly_rows = []
    for scen in ("current", "recommended"):
        wait0, util0, _ = base[scen]
        for d in model.opening:
            for h in (8, 9, 10, 11, 13, 14, 15, 16):
                first = h in (8, 13)
                w = wait0 * (1.6 if first and scen == "current" else 1.0) * (0.8 + 0.1 * (h % 4))
                hourly_rows.append(
                    (scen, d, h, w, doctors * w / 15.0, min(1.0, util0 + 0.03 * (h % 4 - 1.5)))
                )
    hourly = pd.DataFrame(hourly_rows, columns=list(HOURLY_COLUMNS))
    sens_rows = []
    ranges = {
        "no_show_rate": (0.5, 2.0, -0.35, -0.12),
        "service_mean": (0.7, 1.3, 0.9, -0.02),
        "service_cv": (0.5, 1.5, 0.45, -0.01),
        "demand": (0.8, 1.2, 0.25, 0.08),
        "punctuality": (0.5, 1.5, 0.15, -0.01),
    }
    for param, (lo, hi, w_slope, u_slope) in ranges.items():
        for m in np.linspace(lo, hi, 5):
            for policy, gain in (("fixed", 1.0), ("reoptimised", 0.7)):
                wait = 13.0 * (1 + gain * w_slope * (m - 1) / (hi - lo) * 2)
                util = 0.86 * (1 + u_slope * (m - 1) / (hi - lo) * 2)
                sens_rows.append((param, float(m), policy, wait, min(1.0, util)))
    sensitivity = pd.DataFrame(sens_rows, columns=list(SENSITIVITY_COLUMNS))
    minutes = np.arange(0, 241, 10)
    envelope = pd.DataFrame(
        [
            (int(t), series, float(v))
            for t in minutes
            for series, v in (
                ("remaining_work_mean", 12 + 6 * np.sin(t / 40.0) ** 2),
                ("remaining_work_p90", 28 + 10 * np.sin(t / 40.0) ** 2),
            )
        ],
        columns=list(ENVELOPE_COLUMNS),
    )
    return PolyclinicResult(
        polyclinic_id=polyclinic_id,
        model=model,
        current=current,
        recommended=recommended,
        kpis=kpis,
        hourly=hourly,
        sensitivity=sensitivity,
        break_even={"no_show_rate_overbooking_stops_paying": 0.06},
        envelope=envelope,
        envelope_session="Monday morning, doctor 1 (08:00-12:00), recommended template",
        data_quality={"negative_duration": 3, "unknown_visit_type": 1, "duplicate_row": 7},
        assumptions={"slot_minutes": model.slot_minutes, "replications": 200, "seed": seed},
    )


def demo_network_result(n_polyclinics: int = 2, seed: int = 0) -> NetworkResult:
    """A network of ``n_polyclinics`` demo polyclinics (3, 4, 5, ... doctors)."""
    clinics = tuple(
        demo_polyclinic_result(f"PC{i + 1:02d}", doctors=3 + i, seed=seed + i)
        for i in range(n_polyclinics)
    )
    return NetworkResult(
        clinics,
        data_quality={"unknown_polyclinic": 2},
        assumptions={"seed": seed, "data": "fabricated demo results"},
        capacity={
            c.polyclinic_id: demo_capacity_section(c.polyclinic_id, planned=k == 0)
            for k, c in enumerate(clinics)
        },
    )
