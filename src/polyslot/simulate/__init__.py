"""Discrete-event (SimPy) simulation of clinic sessions and days, replications, replay."""

from polyslot.simulate.clinic import ClinicConfig, DayResult, simulate_day
from polyslot.simulate.dayplan import DayPlan, Server, ServiceSampler, sample_day, servers_for
from polyslot.simulate.disciplines import Discipline, parse_discipline
from polyslot.simulate.kpis import KPI_COLUMNS, RECORD_COLUMNS, day_kpis, mean_ci, summarize
from polyslot.simulate.replications import ReplicationRun, replication_seed, run_replications
from polyslot.simulate.session import (
    SessionParams,
    SessionResult,
    session_replication,
    simulate_session,
)

__all__ = [
    "ClinicConfig",
    "DayResult",
    "simulate_day",
    "DayPlan",
    "Server",
    "ServiceSampler",
    "sample_day",
    "servers_for",
    "Discipline",
    "parse_discipline",
    "KPI_COLUMNS",
    "RECORD_COLUMNS",
    "day_kpis",
    "mean_ci",
    "summarize",
    "ReplicationRun",
    "replication_seed",
    "run_replications",
    "SessionParams",
    "SessionResult",
    "session_replication",
    "simulate_session",
]
