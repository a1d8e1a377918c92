"""Who borrows and who lends on which weekday: decided before planning, from the history, so
that each polyclinic computes only the staffing responses the network plan can use.

* A polyclinic **borrows** on a weekday the history shows it overloaded (chronic overtime or
  utilisation at or above 100%, :func:`polyslot.analysis.observed.is_overloaded`) when it shares
  a group (``[network] groups``; default: the whole network) with a polyclinic that is not.
* A polyclinic **lends** on a weekday it is not overloaded and a groupmate borrows. Lenders are
  taken in order of the history's utilisation that weekday (the least used first; ties by id)
  while the borrowers they share a group with may still take more doctor-sessions on a
  half-day than the lenders taken so far can give (``max_lend`` each, keeping one doctor): the
  others would never be asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from polyslot.analysis.observed import ObservedHistory, is_overloaded
from polyslot.clinic_model import ClinicModel
from polyslot.config import NetworkSettings
from polyslot.network.halves import session_counts
from polyslot.staffing import HALVES

__all__ = ["NetworkRole", "network_roles", "may_share", "overloaded_weekdays"]


@dataclass(frozen=True)
class NetworkRole:
    """The weekdays a polyclinic borrows and lends on, with the most doctor-sessions per
    half-day it may take (``max_borrow``) or give (``max_lend``)."""

    borrow: tuple[int, ...] = ()
    lend: tuple[int, ...] = ()
    max_borrow: int = 1
    max_lend: int = 1
    lender_tolerance: float = 2.0

    @property
    def empty(self) -> bool:
        """Neither borrows nor lends."""
        return not self.borrow and not self.lend


def may_share(groups: Sequence[Sequence[str]], a: str, b: str) -> bool:
    """Whether polyclinics ``a`` and ``b`` may share doctor-sessions (no groups: all may)."""
    if a == b:
        return False
    return not groups or any(a in g and b in g for g in groups)


def overloaded_weekdays(history: ObservedHistory | None) -> set[int]:
    """The weekdays ``history`` shows overloaded."""
    if history is None:
        return set()
    return {d for d, v in history.weekdays.items() if is_overloaded(v)}


def network_roles(
    models: Mapping[str, ClinicModel],
    histories: Mapping[str, ObservedHistory | None],
    settings: NetworkSettings,
) -> dict[str, NetworkRole]:
    """The role of every polyclinic of ``models`` (see the module docstring); polyclinics that
    neither borrow nor lend are left out."""
    ids = sorted(models)
    heavy = {pid: overloaded_weekdays(histories.get(pid)) for pid in ids}
    counts = {
        (pid, d): session_counts(models[pid], d)
        for pid in ids
        for d in sorted({s.weekday for s in models[pid].sessions})
    }
    borrow: dict[str, list[int]] = {pid: [] for pid in ids}
    lend: dict[str, list[int]] = {pid: [] for pid in ids}
    groups = settings.groups
    for d in range(7):
        open_ = [pid for pid in ids if (pid, d) in counts]
        takers = [
            b for b in open_
            if d in heavy[b] and any(may_share(groups, b, o) for o in open_ if d not in heavy[o])
        ]  # fmt: skip
        if not takers or settings.max_borrow == 0:
            continue
        need = {
            (b, h): settings.max_borrow for b in takers for h in HALVES if counts[(b, d)][h] > 0
        }
        for b in takers:
            borrow[b].append(d)
        if settings.max_lend == 0:
            continue
        candidates = [
            pid for pid in open_ if d not in heavy[pid] and any(may_share(groups, pid, b)
                                                                for b in takers)
        ]  # fmt: skip
        candidates.sort(key=lambda pid: (_utilisation(histories.get(pid), d), pid))
        for pid in candidates:
            mates = [b for b in takers if may_share(groups, pid, b)]
            if not any(need.get((b, h), 0) > 0 for b in mates for h in HALVES):
                continue
            lend[pid].append(d)
            for h in HALVES:
                give = min(settings.max_lend, max(0, counts[(pid, d)][h] - 1))
                for b in mates:
                    take = min(give, need.get((b, h), 0))
                    if take:
                        need[(b, h)] -= take
                        give -= take
    out = {}
    for pid in ids:
        role = NetworkRole(
            tuple(borrow[pid]),
            tuple(lend[pid]),
            settings.max_borrow,
            settings.max_lend,
            float(settings.lender_tolerance),
        )
        if not role.empty:
            out[pid] = role
    return out


def _utilisation(history: ObservedHistory | None, weekday: int) -> float:
    if history is None:
        return float("inf")
    u = history.weekdays.get(weekday, {}).get("utilization", float("inf"))
    return float(u) if u == u else float("inf")
