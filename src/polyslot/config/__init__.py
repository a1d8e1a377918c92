"""Run configuration: ``polyslot.toml`` plus CLI overrides, parsed once at the boundary into
typed, frozen objects (:class:`RunConfig` and its sections, :class:`OptimizeConfig`); an unknown
or mistyped key anywhere is one :class:`~polyslot.errors.ConfigError` naming the file, the key,
the value and what is allowed."""

from polyslot.config.optimize import OptimizeConfig
from polyslot.config.run import (
    FidelitySettings,
    NetworkSettings,
    RunConfig,
    SampleConfig,
    SensitivitySettings,
    SimulateSettings,
    config_from_dict,
    load_config,
)

__all__ = [
    "FidelitySettings",
    "NetworkSettings",
    "OptimizeConfig",
    "RunConfig",
    "SampleConfig",
    "SensitivitySettings",
    "SimulateSettings",
    "config_from_dict",
    "load_config",
]
