"""First-visit / revisit capacity planning under a chance constraint (docs/capacity.md).

A product of its own beside the slot pipeline: it shares only the solver adapter
(:mod:`polyslot.optimize.solver`). Modules:

* :mod:`~polyslot.capacity.demand` — the first-visit demand distribution of a period;
* :mod:`~polyslot.capacity.inputs` — validated inputs and the JSON parser;
* :mod:`~polyslot.capacity.model` — the MILP, its solve and the plan;
* :mod:`~polyslot.capacity.chance` — deterministic forms of the chance constraint (Boole, joint);
* :mod:`~polyslot.capacity.risk` — exact and Monte Carlo breach risk;
* :mod:`~polyslot.capacity.from_store` — the problem built from the store and a ClinicModel.
"""

from polyslot.capacity.demand import DemandDistribution
from polyslot.capacity.inputs import (
    CapacityInput,
    LeadTimeTargets,
    RevisitPolicy,
    parse_capacity_input,
)
from polyslot.capacity.model import (
    METHODS,
    CapacityPlan,
    build_capacity_model,
    compare_methods,
    plan_capacity,
)

__all__ = [
    "METHODS",
    "CapacityInput",
    "CapacityPlan",
    "DemandDistribution",
    "LeadTimeTargets",
    "RevisitPolicy",
    "build_capacity_model",
    "compare_methods",
    "parse_capacity_input",
    "plan_capacity",
]
