"""Optimisation: allocation MIP (slots per bucket x visit type) and in-session sequencing."""

from polyslot.optimize.clinic import OptimizeResult, WeekdayResult, optimize_clinic
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.sequencing import SequencingResult, bailey_welch, equal_spacing, local_search
from polyslot.optimize.solver import SolveRecord, SolveStatus

__all__ = [
    "OptimizeConfig",
    "OptimizeResult",
    "WeekdayResult",
    "optimize_clinic",
    "SequencingResult",
    "local_search",
    "equal_spacing",
    "bailey_welch",
    "SolveRecord",
    "SolveStatus",
]
