"""OptimizeConfig: the weights, limits and solver options of the allocation MIP and sequencing.

Every weight is in *minutes of patient waiting time equivalent*, so the objective reads as
"expected minutes" throughout (see docs/model.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from polyslot.errors import ConfigError

__all__ = ["OptimizeConfig"]


@dataclass(frozen=True)
class OptimizeConfig:
    """Options of :func:`polyslot.optimize.optimize_clinic`.

    Parameters
    ----------
    bucket_minutes : int
        Length of an allocation bucket (60 = hour, 30 = half hour).
    w_wait : float
        Weight of one minute of expected patient waiting (1.0: the unit of the objective).
    w_idle : float
        Weight of one minute of unused doctor time (capacity lost to no-shows and empty
        slots), default 0.5: a doctor-minute is worth half a patient-minute.
    w_overtime : float
        Weight of one minute of expected overtime past the end of a block of doctor
        sessions, default 1.5 (overtime is paid at a premium).
    w_preference : float
        Penalty per patient given an hour other than the one requested, in minutes (10).
    w_unmet : float
        Penalty per expected unmet request (demand beyond the slots offered), in minutes (60).
    epsilon : float
        Chance-constraint level: slots per visit type >= the (1 - epsilon) quantile of demand.
    utilisation_ceiling : float
        Expected workload per bucket <= doctors x bucket minutes x this ceiling.
    overbooking_cap : float
        Booked nominal minutes per bucket <= (1 + cap) x doctors x bucket minutes; slots
        beyond the nominal capacity are flagged ``overbooked``.
    rooms : int or None
        Consultation rooms; at most this many doctors consult at once (None = no limit).
    allowed_hours : mapping visit type -> tuple of hours, optional
        Hours in which a visit type may be booked (missing visit type = every open hour).
    max_change : int or None
        Optional limit on |new - current| slots per bucket x visit type.
    on_infeasible : str
        ``"relax"`` (default): when a weekday's requirements conflict, apply the smallest
        relaxation of demand coverage (and of the utilisation ceiling, up to
        ``1 + overbooking_cap`` times staffed time; when that is not enough, of the throughput
        floor) and report it; ``"raise"``: raise :class:`polyslot.errors.InfeasibleError`
        naming every conflicting requirement and the setting that relaxes it.
        Either way an unresolvable conflict raises, with its explanation.
    solver : str
        ``"highs"`` (default) or ``"cbc"``; HiGHS falls back to CBC when unavailable.
    time_limit : float
        Wall-clock limit of each solve in seconds: only a safety net against a runaway solve,
        far above what the deterministic limits need (``node_limit`` 60 and ``gap_rel`` stop
        the sample's MIPs within a few seconds, 0.2 s on average), so that the same seed gives
        the same templates however loaded the machine. A solve it stops is reported
        (``wall_clock_limit_hit`` in the optimizer's summary, ``wall_clock_limited_weekdays``
        in the run's assumptions, ``wall_clock_limited_points`` in a frontier file).
    node_limit : int or None
        Branch-and-bound node limit of HiGHS (deterministic, unlike a time limit). When it stops
        a weekday's MIP without an integer solution, the elastic solution's slots are used.
    gap_rel : float
        Relative MIP gap at which the solver may stop.
    calibration_tolerance : float
        Stop calibrating when predicted and exact waiting agree within this share (0.05).
    max_calibration_rounds : int
        Upper bound on solve -> evaluate -> re-calibrate rounds.
    sequencing_interval : int
        Appointment grid inside a session in minutes.
    sequencing_max_iter : int
        Local-search iterations per doctor session (0 = equal spacing within buckets only).
    weights_sequencing : mapping
        Weights of the sequencing objective (``wait``, ``idle``, ``overtime``).
    policy : str
        Which point of an overloaded clinic's trade-off frontier is recommended: ``balanced``
        (the knee), ``throughput`` (serve everyone served today) or ``on_time`` (least
        overtime); see :mod:`polyslot.optimize.frontier`.
    throughput_floor : float
        Share of today's expected throughput the template must serve (1 = all of it); the
        frontier lowers it, with the demand coverage, to trade patients for overtime.
    frontier_points : int
        Points of an overloaded clinic's frontier per weekday (at least 5).
    frontier_node_limit : int
        Node limit of each frontier point's MIP (a budget: frontier points are cheaper solves).
    max_patient_loss : float
        The materiality of a loss of patients, as a share of the week's patients (0.01): under
        ``balanced`` and ``on_time`` a recommendation whose objective gain is significant may
        serve up to this many fewer patients (the loss is stated); under ``throughput`` any
        significant loss that is not a chosen frontier trade keeps today's template.
    """

    bucket_minutes: int = 60
    w_wait: float = 1.0
    w_idle: float = 0.5
    w_overtime: float = 1.5
    w_preference: float = 10.0
    w_unmet: float = 60.0
    epsilon: float = 0.1
    utilisation_ceiling: float = 0.9
    overbooking_cap: float = 0.2
    rooms: int | None = None
    allowed_hours: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    max_change: int | None = None
    on_infeasible: str = "relax"
    solver: str = "highs"
    time_limit: float = 300.0
    gap_rel: float = 0.02
    node_limit: int | None = 60
    calibration_tolerance: float = 0.05
    max_calibration_rounds: int = 8
    sequencing_interval: int = 5
    sequencing_max_iter: int = 20
    weights_sequencing: Mapping[str, float] = field(
        default_factory=lambda: {"wait": 0.5, "idle": 0.0, "overtime": 0.5}
    )
    policy: str = "balanced"
    throughput_floor: float = 1.0
    frontier_points: int = 5
    frontier_node_limit: int = 30
    max_patient_loss: float = 0.01

    def __post_init__(self) -> None:
        if self.bucket_minutes <= 0 or 1440 % self.bucket_minutes:
            raise ConfigError(
                "must divide 1440 and be > 0", field="bucket_minutes", value=self.bucket_minutes
            )
        for name in ("w_wait", "w_idle", "w_overtime", "w_preference", "w_unmet"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ConfigError("must be a finite number >= 0", field=name, value=v)
        if not 0 < self.epsilon < 0.5:
            raise ConfigError("must be in (0, 0.5)", field="epsilon", value=self.epsilon)
        if not 0 < self.utilisation_ceiling <= 1.5:
            raise ConfigError(
                "must be in (0, 1.5]",
                field="utilisation_ceiling",
                value=self.utilisation_ceiling,
            )
        if not 0 <= self.overbooking_cap <= 2:
            raise ConfigError(
                "must be in [0, 2]", field="overbooking_cap", value=self.overbooking_cap
            )
        if self.rooms is not None and self.rooms < 1:
            raise ConfigError("must be >= 1 or None", field="rooms", value=self.rooms)
        if self.max_change is not None and self.max_change < 0:
            raise ConfigError("must be >= 0 or None", field="max_change", value=self.max_change)
        if self.on_infeasible not in ("relax", "raise"):
            raise ConfigError(
                "must be 'relax' or 'raise'", field="on_infeasible", value=self.on_infeasible
            )
        if self.solver not in ("highs", "cbc"):
            raise ConfigError("must be 'highs' or 'cbc'", field="solver", value=self.solver)
        if self.node_limit is not None and self.node_limit < 1:
            raise ConfigError("must be >= 1 or None", field="node_limit", value=self.node_limit)
        if not self.time_limit > 0:
            raise ConfigError("must be > 0", field="time_limit", value=self.time_limit)
        if not 0 <= self.gap_rel < 1:
            raise ConfigError("must be in [0, 1)", field="gap_rel", value=self.gap_rel)
        if self.policy not in ("balanced", "throughput", "on_time"):
            raise ConfigError(
                "must be 'balanced', 'throughput' or 'on_time'", field="policy", value=self.policy
            )
        if not 0 < self.throughput_floor <= 1:
            raise ConfigError(
                "must be in (0, 1]", field="throughput_floor", value=self.throughput_floor
            )
        if self.frontier_points < 2 or self.frontier_node_limit < 1:
            raise ConfigError(
                "frontier_points must be >= 2 and frontier_node_limit >= 1",
                field="frontier_points",
                value=self.frontier_points,
            )
        self._check_verdict_settings()
        if self.sequencing_interval <= 0:
            raise ConfigError(
                "must be > 0", field="sequencing_interval", value=self.sequencing_interval
            )
        object.__setattr__(
            self,
            "allowed_hours",
            {k: tuple(int(h) for h in v) for k, v in self.allowed_hours.items()},
        )
        object.__setattr__(self, "weights_sequencing", dict(self.weights_sequencing))

    def _check_verdict_settings(self) -> None:
        if not 0 <= self.max_patient_loss < 1:
            raise ConfigError(
                "must be a share in [0, 1)", field="max_patient_loss", value=self.max_patient_loss
            )
