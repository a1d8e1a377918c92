"""The small first-visit / revisit capacity input that the capacity and CLI tests share.

Three arrival periods (normal, Poisson, a fixed 3), revisits 2-4 periods after a visit. Tests
take a copy and patch what they vary (``{**SMALL_INPUT, "demand": [...]}``).
"""

from __future__ import annotations

from typing import Any

SMALL_INPUT: dict[str, Any] = {
    "epsilon": 0.05,
    "targets": {"median": 1, "percentile": 2, "p": 90, "max": 3},
    "revisit": {"window": [2, 4], "mean_lead_max": 3},
    "alpha": 0.4,
    "beta": 0.5,
    "consult_minutes": {"fv": 20, "rv": 10},
    "demand": [{"dist": "normal", "mean": 5, "sd": 2}, {"dist": "poisson", "mean": 4}, 3],
}
