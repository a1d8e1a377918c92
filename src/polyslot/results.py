"""Result records: what the pipeline hands to the analysis and report stages.

One :class:`PolyclinicResult` per polyclinic holds the estimated :class:`ClinicModel`, the current
and recommended :class:`SlotTemplate`, and tidy KPI tables; a :class:`NetworkResult` holds them
all. The tables' columns are those of :mod:`polyslot.kpi_records` (units there), checked when a
record is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from polyslot.clinic_model import ClinicModel
from polyslot.errors import InputError
from polyslot.kpi_records import (
    ENVELOPE_COLUMNS,
    HOURLY_COLUMNS,
    KPI_COLUMNS,
    SCENARIOS,
    SENSITIVITY_COLUMNS,
    SOURCE_PREFERENCE,
    WEEK,
    aggregate_kpis,
    kpi_row,
)
from polyslot.staffing import StaffingResponse
from polyslot.template import SlotTemplate

__all__ = ["PolyclinicResult", "NetworkResult", "capacity_by_weekday"]


def _check_frame(frame: pd.DataFrame, columns: Sequence[str], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError("must be a pandas DataFrame", field=name, value=type(frame).__name__)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing columns {missing}; expected at least {list(columns)}",
            field=name,
            value=list(frame.columns),
        )
    return frame.reset_index(drop=True)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


def capacity_by_weekday(model: ClinicModel) -> dict[int, float]:
    """Available doctor-minutes per weekday from the model's doctor sessions."""
    out: dict[int, float] = {}
    for s in model.sessions:
        out[s.weekday] = out.get(s.weekday, 0.0) + float(s.end_minute - s.start_minute)
    return dict(sorted(out.items()))


@dataclass(frozen=True, eq=False)
class PolyclinicResult:
    """Everything the deliverables need about one polyclinic.

    Parameters
    ----------
    polyclinic_id : str
    model : ClinicModel
        The estimated model.
    current, recommended : SlotTemplate
        Today's template and the recommended one.
    kpis : DataFrame
        Columns :data:`KPI_COLUMNS` (see the module docstring for units). ``weekday`` is 0..6 or
        :data:`WEEK` (-1) for a whole average week; week rows are derived when absent.
    hourly : DataFrame
        Columns :data:`HOURLY_COLUMNS`.
    sensitivity : DataFrame
        Columns :data:`SENSITIVITY_COLUMNS` (may be empty).
    break_even : mapping of str to float
        Named break-even points, e.g. ``{"no_show_rate_overbooking_stops_paying": 0.07}``.
    envelope : DataFrame
        Columns :data:`ENVELOPE_COLUMNS` (may be empty).
    envelope_session : str
        Plain description of the session the envelope belongs to.
    data_quality : mapping of str to int
        Quarantined rows per reason (and any reconciliation counts).
    assumptions : mapping of str to object
        Assumptions used (parameters, sources, horizons), printed as given.
    trust : mapping of str to object
        Verdict, reason, confidence, observed history, fidelity, source agreement and frontier
        (:func:`polyslot.analysis.trust.assess`); empty for results built without them.
    staffing : StaffingResponse or None
        The polyclinic's staffing response (its best template and KPIs with more or fewer
        doctor-sessions on the weekdays it may borrow or lend on;
        :mod:`polyslot.network.respond`), when the run's network plan needs it.
    """

    polyclinic_id: str
    model: ClinicModel
    current: SlotTemplate
    recommended: SlotTemplate
    kpis: pd.DataFrame
    hourly: pd.DataFrame = field(default_factory=lambda: _empty(HOURLY_COLUMNS))
    sensitivity: pd.DataFrame = field(default_factory=lambda: _empty(SENSITIVITY_COLUMNS))
    break_even: Mapping[str, float] = field(default_factory=dict)
    envelope: pd.DataFrame = field(default_factory=lambda: _empty(ENVELOPE_COLUMNS))
    envelope_session: str = ""
    data_quality: Mapping[str, int] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    trust: Mapping[str, Any] = field(default_factory=dict)
    staffing: StaffingResponse | None = None

    def __post_init__(self) -> None:
        pid = self.polyclinic_id
        if not pid or any(c in pid for c in '/\\:*?"<>|') or pid.startswith("."):
            raise InputError(
                "must be a non-empty name usable as a file name", field="polyclinic_id", value=pid
            )
        for name, tpl in (("current", self.current), ("recommended", self.recommended)):
            if tpl.polyclinic_id != pid:
                raise InputError(
                    f"template belongs to {tpl.polyclinic_id!r}, expected {pid!r}",
                    field=name,
                    value=tpl.polyclinic_id,
                )
        kpis = _check_frame(self.kpis, KPI_COLUMNS, "kpis")
        bad = sorted(set(kpis["scenario"]) - set(SCENARIOS))
        if bad:
            raise InputError(f"must be one of {SCENARIOS}", field="kpis.scenario", value=bad)
        object.__setattr__(self, "kpis", _with_week_rows(kpis, capacity_by_weekday(self.model)))
        object.__setattr__(self, "hourly", _check_frame(self.hourly, HOURLY_COLUMNS, "hourly"))
        object.__setattr__(
            self,
            "sensitivity",
            _check_frame(self.sensitivity, SENSITIVITY_COLUMNS, "sensitivity"),
        )
        object.__setattr__(
            self, "envelope", _check_frame(self.envelope, ENVELOPE_COLUMNS, "envelope")
        )
        for reason, count in self.data_quality.items():
            if int(count) < 0:
                raise InputError("counts must be >= 0", field=f"data_quality.{reason}", value=count)
        object.__setattr__(self, "break_even", dict(self.break_even))
        object.__setattr__(self, "data_quality", {k: int(v) for k, v in self.data_quality.items()})
        object.__setattr__(self, "assumptions", dict(self.assumptions))

    def kpi(
        self, scenario: str, kpi: str, *, weekday: int = WEEK, source: str | None = None
    ) -> float:
        """One KPI mean (NaN if absent); ``source`` None picks simulator, evaluator, replay."""
        sub = self.kpis[
            (self.kpis["scenario"] == scenario)
            & (self.kpis["kpi"] == kpi)
            & (self.kpis["weekday"] == weekday)
        ]
        for src in (source,) if source else SOURCE_PREFERENCE:
            hit = sub[sub["source"] == src]
            if not hit.empty:
                return float(hit["mean"].iloc[0])
        return float("nan")


def _with_week_rows(kpis: pd.DataFrame, capacity: Mapping[int, float]) -> pd.DataFrame:
    """Add ``capacity_minutes`` rows (from the roster) and whole-week rows where absent."""
    kpis = kpis.copy()
    kpis["weekday"] = kpis["weekday"].astype(int)
    extra: list[dict[str, Any]] = []
    for (scenario, source), grp in kpis.groupby(["scenario", "source"], sort=True):
        days = sorted(set(grp["weekday"]) - {WEEK})
        have_cap = set(grp.loc[grp["kpi"] == "capacity_minutes", "weekday"])
        for d in days:
            if d not in have_cap and d in capacity:
                c = capacity[d]
                extra.append(kpi_row(scenario, source, d, "capacity_minutes", c, c, c, 1))
    if extra:
        kpis = pd.concat([kpis, pd.DataFrame(extra, columns=list(KPI_COLUMNS))], ignore_index=True)
    week_rows: list[pd.DataFrame] = []
    for _, grp in kpis.groupby(["scenario", "source"], sort=True):
        have = set(grp.loc[grp["weekday"] == WEEK, "kpi"])
        days = grp[grp["weekday"] != WEEK]
        if days.empty:
            continue
        agg = aggregate_kpis(days, by=["scenario", "source"])
        agg = agg[~agg["kpi"].isin(have)].assign(weekday=WEEK)
        if not agg.empty:
            week_rows.append(agg[list(KPI_COLUMNS)])
    out = pd.concat([kpis, *week_rows], ignore_index=True)
    out = out.sort_values(["scenario", "source", "weekday", "kpi"], kind="mergesort")
    return out.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """All polyclinic results of one run.

    Parameters
    ----------
    polyclinics : tuple of PolyclinicResult
        Sorted by ``polyclinic_id``; ids must be unique.
    data_quality : mapping of str to int
        Network-level quarantine counts per reason (rows not attributable to a polyclinic).
    assumptions : mapping of str to object
        Run-wide assumptions (seed, replications, horizons, config).
    title : str
        Title of the report.
    capacity : mapping of str to dict
        First-visit / revisit capacity section per polyclinic id (JSON-ready, made by
        ``polyslot.capacity.clinic_plans.plan_clinics``; empty when not computed).
    network : mapping of str to object
        The network plan (the ``network/plan.json`` document of
        :mod:`polyslot.network.document`; empty when the run made none).
    """

    polyclinics: tuple[PolyclinicResult, ...]
    data_quality: Mapping[str, int] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    title: str = "polyslot: appointment-slot templates"
    capacity: Mapping[str, Any] = field(default_factory=dict)
    network: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        items = tuple(sorted(self.polyclinics, key=lambda r: r.polyclinic_id))
        if not items:
            raise InputError("must hold at least one polyclinic", field="polyclinics", value=0)
        ids = [r.polyclinic_id for r in items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise InputError("polyclinic ids must be unique", field="polyclinics", value=dupes)
        object.__setattr__(self, "polyclinics", items)
        object.__setattr__(self, "data_quality", {k: int(v) for k, v in self.data_quality.items()})
        object.__setattr__(self, "assumptions", dict(self.assumptions))

    def all_kpis(self) -> pd.DataFrame:
        """KPI rows of every polyclinic with a leading ``polyclinic_id`` column."""
        frames = [r.kpis.assign(polyclinic_id=r.polyclinic_id) for r in self.polyclinics]
        out = pd.concat(frames, ignore_index=True)
        return out[["polyclinic_id", *KPI_COLUMNS]]

    def network_kpis(self) -> pd.DataFrame:
        """Network totals per scenario x source x weekday (see :func:`aggregate_kpis`)."""
        return aggregate_kpis(self.all_kpis(), by=["scenario", "source", "weekday"])
