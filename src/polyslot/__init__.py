"""polyslot: appointment-slot templates from a polyclinic network's appointment history.

The public API. Heavy parts (the numba evaluator, the optimizer, the simulator) are imported on
first use, so ``import polyslot`` stays light; pyspark is only imported by the Spark runner.
"""

from __future__ import annotations

import importlib
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig, load_config
from polyslot.errors import (
    ConfigError,
    DataError,
    InfeasibleError,
    InputError,
    ModelError,
    NotFittedError,
    PolyslotError,
    SchemaError,
    SolverError,
)
from polyslot.schedule import PatientSpec, Schedule, parse_schedule
from polyslot.template import Slot, SlotTemplate

__all__ = [
    "ClinicModel",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "InputError",
    "ModelError",
    "NotFittedError",
    "PatientSpec",
    "PolyslotError",
    "RunConfig",
    "Schedule",
    "SchemaError",
    "Slot",
    "SlotTemplate",
    "SolverError",
    "build_clinic_models",
    "evaluate",
    "generate_network",
    "ingest",
    "load_attendances",
    "load_config",
    "optimize_clinic",
    "parse_schedule",
    "plan_capacity",
    "plan_polyclinic",
    "run_local",
    "simulate_clinic_day",
    "simulate_session",
]

_LAZY = {
    "evaluate": "polyslot.evaluation",
    "build_clinic_models": "polyslot.estimate",
    "generate_network": "polyslot.synthetic",
    "ingest": "polyslot.data",
    "load_attendances": "polyslot.data",
    "optimize_clinic": "polyslot.optimize",
    "plan_capacity": "polyslot.capacity",
    "plan_polyclinic": "polyslot.pipeline",
    "run_local": "polyslot.runners.local",
    "simulate_clinic_day": "polyslot.simulate.clinic_runs",
    "simulate_session": "polyslot.simulate",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'polyslot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
