"""Run configuration: a ``polyslot.toml`` file plus CLI overrides, validated once.

Every section is a frozen dataclass (``[optimize]`` is :class:`OptimizeConfig`); unknown keys and
wrong types raise :class:`polyslot.errors.ConfigError` naming the file, the key, the value and
what is allowed, before anything runs. ``[estimate]`` and ``[capacity]`` are checked by their
own types when ``polyslot run`` starts.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime as dt
import json
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyslot.config.network import NetworkSettings
from polyslot.config.optimize import OptimizeConfig
from polyslot.errors import ConfigError


def _parse_discipline(value: str) -> None:
    names = {"pooled", "per_doctor", "dedicated", "fcfs", "pooled_fcfs", "appointment",
             "appointment_order"}
    if str(value).strip().lower() not in names:
        from polyslot.errors import InputError

        raise InputError("unknown discipline", field="discipline", value=value)

__all__ = [
    "FidelitySettings",
    "NetworkSettings",
    "SampleConfig",
    "SimulateSettings",
    "SensitivitySettings",
    "RunConfig",
    "load_config",
    "config_from_dict",
]


@dataclass(frozen=True)
class SampleConfig:
    """The embedded sample network generated when no data is given."""

    polyclinics: int = 6
    days: int = 365
    start: str = "2025-01-01"
    defect_rate: float = 0.002

    def __post_init__(self) -> None:
        _positive(self, "polyclinics", "days")
        if not 0.0 <= self.defect_rate < 0.5:
            raise ConfigError(
                "must be in [0, 0.5)", field="sample.defect_rate", value=self.defect_rate
            )


@dataclass(frozen=True)
class SimulateSettings:
    """How clinic days are run: the queue discipline, the late-arrival policy, the precision of
    the one model's fast evaluator (``model_*``) and the replications of the SimPy check (95% CI
    stopping rule on the mean wait).

    ``discipline``: ``auto`` (the one the history shows, :attr:`ClinicModel.queue`), or
    ``pooled`` / ``pooled_fcfs``, ``per_doctor`` / ``appointment_order``, ``dedicated``.
    """

    min_replications: int = 8
    max_replications: int = 24
    rel_half_width: float = 0.05
    abs_half_width: float = 0.5
    late_threshold_minutes: float = 15.0
    discipline: str = "auto"
    model_rel_se: float = 0.01
    model_abs_se: float = 0.05
    model_max_replications: int = 4096

    def __post_init__(self) -> None:
        _positive(
            self,
            "min_replications",
            "max_replications",
            "rel_half_width",
            "abs_half_width",
            "model_rel_se",
            "model_abs_se",
            "model_max_replications",
        )
        if str(self.discipline).lower() != "auto":
            from polyslot.errors import InputError

            try:
                _parse_discipline(self.discipline)
            except InputError:
                raise ConfigError(
                    "must be 'auto', 'pooled', 'per_doctor' or 'dedicated' (also 'pooled_fcfs',"
                    " 'appointment_order')",
                    field="simulate.discipline",
                    value=self.discipline,
                ) from None
        if self.max_replications < self.min_replications:
            raise ConfigError(
                "must be >= min_replications",
                field="simulate.max_replications",
                value=self.max_replications,
            )


@dataclass(frozen=True)
class SensitivitySettings:
    """Parameter sweeps of the sensitivity analysis (multiplicative factors)."""

    enabled: bool = True
    reoptimise: bool = True
    reoptimise_parameters: tuple[str, ...] = ("no_show",)
    no_show: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0)
    duration_mean: tuple[float, ...] = (0.7, 0.85, 1.0, 1.15, 1.3)
    duration_cv: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5)
    demand: tuple[float, ...] = (0.8, 0.9, 1.0, 1.1, 1.2)
    punctuality: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)

    def __post_init__(self) -> None:
        for f in ("no_show", "duration_mean", "duration_cv", "demand", "punctuality"):
            values = tuple(float(v) for v in getattr(self, f))
            if not values or any(v < 0 for v in values):
                raise ConfigError(
                    "must be a non-empty list of factors >= 0",
                    field=f"sensitivity.{f}",
                    value=values,
                )
            object.__setattr__(self, f, values)
        known = ("no_show", "duration_mean", "duration_cv", "demand", "punctuality")
        params = tuple(str(p) for p in self.reoptimise_parameters)
        bad = [p for p in params if p not in known]
        if bad:
            raise ConfigError(
                f"unknown parameter (expected some of {', '.join(known)})",
                field="sensitivity.reoptimise_parameters",
                value=bad[0],
            )
        object.__setattr__(self, "reoptimise_parameters", params)


@dataclass(frozen=True)
class FidelitySettings:
    """How closely the model must reproduce the history (``[fidelity]``); outside, the
    polyclinic's recommendation is low-confidence (see :mod:`polyslot.analysis.fidelity`).

    Waits within ``wait_rel`` x observed + ``wait_abs`` minutes, utilisation within
    ``utilization_pp`` percentage points, patients per week within ``patients_rel``.
    """

    wait_rel: float = 0.25
    wait_abs: float = 1.0
    utilization_pp: float = 5.0
    patients_rel: float = 0.05

    def __post_init__(self) -> None:
        for n in ("wait_rel", "wait_abs", "utilization_pp", "patients_rel"):
            v = getattr(self, n)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ConfigError("must be a number >= 0", field=f"fidelity.{n}", value=v)


@dataclass(frozen=True)
class RunConfig:
    """Configuration of ``polyslot run``.

    Parameters
    ----------
    seed : int
        Master seed; every random step derives its own stream from it.
    slot_minutes : int
        Slot length of the time grid (minutes).
    holdout_days : int
        Most recent days held back from estimation and used for historical replay.
    workers : int
        Processes used by the local runner.
    max_quarantine_share : float
        The quarantine guard of ingest: stop when more than this share of a table's rows is
        quarantined (docs/data.md).
    fhir_week_start : str or None
        Monday (``YYYY-MM-DD``) of the week the FHIR Bundle export lays the recommended
        templates on; default the first Monday after the last date of the data.
    fhir_utc_offset : str
        UTC offset written with the FHIR slot times (``Z`` or ``+HH:MM``; default ``+00:00``).
    sample, simulate, sensitivity, fidelity, network : section dataclasses
    optimize : OptimizeConfig
        The ``[optimize]`` table, typed and validated when the configuration is read.
    estimate : dict
        Passed to estimation's own configuration type (validated by ``polyslot run`` before
        anything is written).
    capacity : dict
        The ``[capacity]`` table: the first-visit / revisit capacity plan of the report,
        validated by ``polyslot.capacity.clinic_plans.CapacitySettings`` (docs/configuration.md).
    """

    seed: int = 20261123
    slot_minutes: int = 1
    holdout_days: int = 28
    workers: int = 2
    max_quarantine_share: float = 0.05
    fhir_week_start: str | None = None
    fhir_utc_offset: str = "+00:00"
    sample: SampleConfig = field(default_factory=SampleConfig)
    simulate: SimulateSettings = field(default_factory=SimulateSettings)
    sensitivity: SensitivitySettings = field(default_factory=SensitivitySettings)
    fidelity: FidelitySettings = field(default_factory=FidelitySettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    optimize: OptimizeConfig = field(default_factory=OptimizeConfig)
    estimate: dict[str, Any] = field(default_factory=dict)
    capacity: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.optimize, Mapping):  # built in code with a plain table
            object.__setattr__(self, "optimize", _build(OptimizeConfig, self.optimize,
                                                        "optimize.", None))
        _positive(self, "slot_minutes", "workers")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError("must be a whole number", field="seed", value=self.seed)
        if self.holdout_days < 0:
            raise ConfigError("must be >= 0", field="holdout_days", value=self.holdout_days)
        share = self.max_quarantine_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise ConfigError(
                "must be a share in [0, 1]", field="max_quarantine_share", value=share
            )
        if self.fhir_week_start is not None:
            try:
                monday = dt.date.fromisoformat(str(self.fhir_week_start))
            except ValueError:
                monday = None
            if monday is None or monday.weekday() != 0:
                raise ConfigError(
                    "must be a Monday as YYYY-MM-DD",
                    field="fhir_week_start",
                    value=self.fhir_week_start,
                )
        if not re.match(r"^(Z|[+-](0\d|1[0-4]):[0-5]\d)$", str(self.fhir_utc_offset)):
            raise ConfigError(
                "must be 'Z' or +HH:MM / -HH:MM",
                field="fhir_utc_offset",
                value=self.fhir_utc_offset,
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples as lists) for provenance in outputs; :func:`config_from_dict`
        inverts it."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=list))


_SECTIONS: dict[str, type] = {
    "sample": SampleConfig,
    "simulate": SimulateSettings,
    "sensitivity": SensitivitySettings,
    "fidelity": FidelitySettings,
    "network": NetworkSettings,
    "optimize": OptimizeConfig,
}


def _positive(obj: Any, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            raise ConfigError(f"must be a number > 0, got {v!r}", field=n, value=v)


_TYPE_WORDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def _expected(tp: Any) -> str:
    """Words for the type ``tp`` of a field."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        words = " or ".join(_expected(a) for a in args)
        return words + (" (or leave it out)" if type(None) in typing.get_args(tp) else "")
    if origin in (tuple, list) or tp in (tuple, list):
        return "a list"
    if origin in (dict, Mapping, collections.abc.Mapping) or tp in (dict,):
        return "a table"
    return _TYPE_WORDS.get(tp, getattr(tp, "__name__", str(tp)))


def _fits(tp: Any, value: Any) -> bool:
    """Whether ``value`` (as read from TOML) can be a ``tp``."""
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return any(_fits(a, value) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if origin in (tuple, list) or tp in (tuple, list):
        return isinstance(value, tuple | list)
    if origin in (dict, collections.abc.Mapping) or tp is dict:
        return isinstance(value, Mapping)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return isinstance(value, Mapping | tp)
    return True


def _build(cls: type, data: Mapping[str, Any], prefix: str, source: str | None) -> Any:
    names = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = set(data) - set(names)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(
            f"unknown key (expected one of {', '.join(sorted(names))})",
            source=source,
            field=f"{prefix}{key}",
            value=key,
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS and cls is RunConfig:
            if isinstance(value, _SECTIONS[key]):
                kwargs[key] = value
                continue
            if not isinstance(value, Mapping):
                raise ConfigError("must be a table", source=source, field=key, value=value)
            kwargs[key] = _build(_SECTIONS[key], value, f"{key}.", source)
            continue
        if not _fits(hints.get(key, Any), value):
            raise ConfigError(
                f"must be {_expected(hints[key])}",
                source=source,
                field=f"{prefix}{key}",
                value=value,
            )
        kwargs[key] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        field = exc.field
        if field and prefix and not field.startswith(prefix):
            field = f"{prefix}{field}"
        if field != exc.field or (source and exc.source is None):
            raise ConfigError(
                exc.message, source=source or exc.source, field=field, value=exc.value
            ) from None
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid value ({exc})", source=source, field=prefix.rstrip(".")
                          or None) from None


def config_from_dict(data: Mapping[str, Any], source: str | None = None) -> RunConfig:
    """A :class:`RunConfig` from a plain dict (the output of :meth:`RunConfig.to_dict` or a
    parsed ``polyslot.toml``), validated as :func:`load_config` validates a file."""
    return _build(RunConfig, data, "", source)


def load_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> RunConfig:
    """Read ``polyslot.toml`` (optional) and apply ``overrides`` (top-level keys).

    Raises
    ------
    ConfigError
        Unreadable file, invalid TOML, unknown key or invalid value.
    """
    data: dict[str, Any] = {}
    source = None
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config ({exc.strerror})", source=source) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML ({exc})", source=source) from None
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    return _build(RunConfig, data, "", source)
