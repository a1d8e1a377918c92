"""OptimizeConfig lives with the run's other typed settings (:mod:`polyslot.config.optimize`);
re-exported here, where the optimizer's code has always found it."""

from polyslot.config.optimize import OptimizeConfig

__all__ = ["OptimizeConfig"]
