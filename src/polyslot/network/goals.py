"""The goals of issue 23, checked on a network plan (whole weeks, the one model's KPIs):

* every overloaded polyclinic serves at least today's patients (within the 95% interval of the
  difference: no trade of patients), with overtime below today's and a mean wait at most
  :data:`WAIT_MARGIN` minutes above its recommended (per-polyclinic) plan's;
* every lender's mean wait and overtime per doctor-session stay within ``lender_tolerance`` of
  its recommended plan on every weekday it lends (held by the MIP; reported);
* the network serves at least today's patients a week.

When a goal is missed the plan says how many doctor-sessions, added to the moves, would meet it
and where: for every overloaded polyclinic and weekday whose network plan misses the weekday's
criteria (today's patients, overtime no higher than today's, a mean wait at most the recommended
plan's of that weekday + :data:`WAIT_MARGIN`), the hiring answer with that wait on top of the
doctor-sessions the moves already bring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polyslot.network.hiring import Z95, hire, misses, serves_today
from polyslot.template import WEEKDAYS

__all__ = ["WAIT_MARGIN", "goals"]

#: Minutes an overloaded polyclinic's mean wait may exceed its recommended plan's.
WAIT_MARGIN = 2.0


def _est(entry: Mapping[str, Mapping[str, float]], kpi: str) -> tuple[float, float]:
    e = entry[kpi]
    return float(e["mean"]), max(0.0, float(e["ci_high"]) - float(e["mean"])) / Z95


def goals(plan: Any, clinics: Sequence[Any]) -> dict[str, Any]:
    """``{"goals": {...}, "hires": [HireAnswer, ...]}`` of ``plan`` (see the module
    docstring)."""
    out: dict[str, Any] = {"overloaded": {}, "lenders": {}}
    met = True
    for pid in sorted(plan.overloaded):
        e = plan.clinics[pid]
        today, rec, net = e["today"], e["recommended"], e["network"]
        if not today or not net:
            continue
        pat = serves_today(_est(net, "patients_served"), _est(today, "patients_served"))
        over = net["overtime"]["mean"] < today["overtime"]["mean"]
        wait = net["wait_mean"]["mean"] <= rec["wait_mean"]["mean"] + WAIT_MARGIN
        out["overloaded"][pid] = {
            "patients_served_today": today["patients_served"]["mean"],
            "patients_served_network": net["patients_served"]["mean"],
            "patients_at_least_today": pat,
            "overtime_today": today["overtime"]["mean"],
            "overtime_network": net["overtime"]["mean"],
            "overtime_below_today": over,
            "wait_recommended": rec["wait_mean"]["mean"],
            "wait_network": net["wait_mean"]["mean"],
            "wait_within_margin": wait,
            "met": pat and over and wait,
        }
        met = met and pat and over and wait
    for ch in plan.changes:
        if ch["AM"] < 0 or ch["PM"] < 0:
            lend = out["lenders"].setdefault(ch["polyclinic_id"], {
                "weekdays": [], "max_wait_excess": 0.0, "max_overtime_excess": 0.0,
            })  # fmt: skip
            lend["weekdays"].append(ch["weekday"])
            lend["max_wait_excess"] = max(lend["max_wait_excess"], ch["lender_wait_excess"])
            lend["max_overtime_excess"] = max(lend["max_overtime_excess"],
                                              ch["lender_overtime_excess"])
    tol = plan.settings.lender_tolerance
    lenders_ok = all(
        v["max_wait_excess"] <= tol + 1e-9 and v["max_overtime_excess"] <= tol + 1e-9
        for v in out["lenders"].values()
    )
    net_today, net_after = plan.network.get("today"), plan.network.get("network")
    network_ok = bool(net_today and net_after) and serves_today(
        _est(net_after, "patients_served"), _est(net_today, "patients_served")
    )
    out["lenders_within_tolerance"] = lenders_ok
    out["network_patients_at_least_today"] = network_ok
    out["met"] = bool(met and lenders_ok and network_ok and plan.overloaded)
    hires = []
    if plan.overloaded and not out["met"]:
        chosen = {(ch["polyclinic_id"], ch["weekday"]): ch for ch in plan.changes}
        for c in clinics:
            for w in c.staffing.weekdays if c.staffing else ():
                if w.role != "borrow":
                    continue
                ch = chosen.get((c.polyclinic_id, WEEKDAYS[w.weekday]))
                key = (ch["AM"], ch["PM"], ch["template"]) if ch else (0, 0, "optimised")
                point = next(p for p in w.points if p.key == key)
                goal = w.recommended.value("wait_mean") + WAIT_MARGIN
                if not misses(point, w, goal):
                    continue
                hires.append(hire(c.polyclinic_id, w, goal, plan.weights, key[:2]))
    return {"goals": out, "hires": hires}
