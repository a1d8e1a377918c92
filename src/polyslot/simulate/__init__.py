"""Discrete-event (SimPy) simulation of clinic sessions and days, replications, replay.

The replay function is ``polyslot.simulate.replay.replay`` (not re-exported here, so the name
keeps meaning the module).
"""

from polyslot.simulate.clinic import ClinicConfig, DayResult, simulate_day
from polyslot.simulate.clinic_runs import DayParams, day_replication, simulate_clinic_day
from polyslot.simulate.dayplan import DayPlan, Server, ServiceSampler, sample_day, servers_of
from polyslot.simulate.disciplines import Discipline, parse_discipline
from polyslot.simulate.history import HistoricalDay, history_days, load_history, observed_kpis
from polyslot.simulate.kpis import KPI_COLUMNS, RECORD_COLUMNS, day_kpis, mean_ci, summarize
from polyslot.simulate.replay import Layout, ReplayResult, plan_for
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
    "DayParams",
    "day_replication",
    "simulate_clinic_day",
    "HistoricalDay",
    "history_days",
    "load_history",
    "observed_kpis",
    "Layout",
    "ReplayResult",
    "plan_for",
    "DayPlan",
    "Server",
    "ServiceSampler",
    "sample_day",
    "servers_of",
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
