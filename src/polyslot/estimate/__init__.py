"""Estimation: from validated history (the DuckDB store) to one ClinicModel per polyclinic."""

from polyslot.estimate.build import EstimationResult, build_clinic_models, estimate_network
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.noshow import NoShowModel

__all__ = [
    "EstimateConfig",
    "EstimationResult",
    "NoShowModel",
    "build_clinic_models",
    "estimate_network",
]
