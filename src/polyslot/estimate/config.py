"""Settings of the estimation stage, validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from polyslot.errors import ConfigError

__all__ = ["EstimateConfig"]


@dataclass(frozen=True)
class EstimateConfig:
    """Knobs of :func:`polyslot.estimate.build_clinic_models`.

    Parameters
    ----------
    slot_minutes : int
        Slot length of the time grid (service PMFs and punctuality offsets are in slots).
    min_obs : int
        A polyclinic x visit type with fewer observations is shrunk toward the network and
        flagged ``pooled``.
    prior_obs : float
        Weight (pseudo-observations) of the network distribution in the shrinkage.
    late_threshold_minutes : float
        Arrivals later than this after the appointment time count as very late.
    test_fraction : float
        Share of the most recent days held out to evaluate the no-show model.
    service_pmf : str
        ``"fitted"`` (the chosen family discretised) or ``"empirical"`` (the histogram on the
        slot grid) for ``ServiceTime.pmf``.
    max_train_rows : int
        The no-show model is trained on a seeded hash sample of about this many bookings.
    backtest_origins, horizon_days : int
        Rolling-origin demand backtest: number of origins and days forecast from each.
    interval_level : float
        Level of the demand prediction intervals.
    template_min_share : float
        Inferred template: a parallel slot exists when it was booked on at least this share
        of the open days of its weekday.
    template_weeks : int
        Inferred template: only the most recent this many weeks of bookings are read.
    min_weekday_sessions : int
        A weekday with fewer sessions in the history (half-days of a date with attendances)
        is not planned as a regular weekday: no sessions, demand or template for it in the
        model, named in ``meta["unplanned_weekdays"]`` with the reason.
    seed : int
        Seed of every random step (cross-validation folds of the calibrator).
    """

    slot_minutes: int = 1
    min_obs: int = 100
    prior_obs: float = 50.0
    late_threshold_minutes: float = 15.0
    test_fraction: float = 0.2
    service_pmf: str = "fitted"
    max_train_rows: int = 30_000
    backtest_origins: int = 4
    horizon_days: int = 7
    interval_level: float = 0.9
    template_min_share: float = 0.2
    template_weeks: int = 12
    min_weekday_sessions: int = 8
    seed: int = 20261123

    def __post_init__(self) -> None:
        for name in (
            "slot_minutes",
            "template_weeks",
            "min_obs",
            "backtest_origins",
            "horizon_days",
            "max_train_rows",
            "min_weekday_sessions",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ConfigError("must be a whole number > 0", field=f"estimate.{name}", value=v)
        for name in ("prior_obs", "late_threshold_minutes"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or v < 0:
                raise ConfigError("must be a number >= 0", field=f"estimate.{name}", value=v)
        for name in ("test_fraction", "interval_level", "template_min_share"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not 0 < v < 1:
                raise ConfigError("must be in (0, 1)", field=f"estimate.{name}", value=v)

        if self.service_pmf not in ("fitted", "empirical"):
            raise ConfigError(
                "must be 'fitted' or 'empirical'",
                field="estimate.service_pmf",
                value=self.service_pmf,
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, **overrides: Any) -> EstimateConfig:
        """Build from a plain dict (e.g. a TOML section) plus keyword overrides."""
        merged = {**dict(data or {}), **{k: v for k, v in overrides.items() if v is not None}}
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(merged) - names)
        if unknown:
            raise ConfigError(
                f"unknown key (expected one of {', '.join(sorted(names))})",
                field=f"estimate.{unknown[0]}",
                value=unknown[0],
            )
        return cls(**merged)
