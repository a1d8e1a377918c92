"""The network plan's files under ``out/network/`` (every file atomic, no timestamps):

* ``plan.json`` (:func:`polyslot.network.document.plan_document`);
* ``roster.csv``: the roster after the moves in the roster table's own columns
  (``polyclinic_id, date, start_time, end_time, doctors``), one week laid on the planning week of
  the FHIR export (weekday ``d`` on ``fhir_week_start + d`` days): every polyclinic of the plan,
  every duty period of its typical week;
* ``templates/<polyclinic_id>.csv`` and ``.json``: the templates for that roster (the
  recommended template with the weekdays whose staffing changes replaced; the formats of
  :mod:`polyslot.report.export`);
* ``responses/<polyclinic_id>.json``: the staffing responses the plan was made from
  (:class:`polyslot.staffing.StaffingResponse`), read back by ``polyslot network OUT``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from polyslot.atomic import write_json, write_text
from polyslot.errors import InputError
from polyslot.network.halves import roster_rows
from polyslot.network.plan import NetworkPlan
from polyslot.report.export import write_template_csv, write_template_json
from polyslot.staffing import StaffingResponse

__all__ = [
    "NETWORK_DIR",
    "ROSTER_COLUMNS",
    "roster_frame",
    "write_network_files",
    "write_plan_json",
    "write_responses",
    "read_responses",
]

NETWORK_DIR = "network"
ROSTER_COLUMNS = ("polyclinic_id", "date", "start_time", "end_time", "doctors")


def roster_frame(plan: NetworkPlan, week_start: dt.date) -> pd.DataFrame:
    """The roster after the moves on the week starting ``week_start`` (a Monday)."""
    rows = []
    for pid in sorted(plan.sessions):
        for r in roster_rows(pid, plan.sessions[pid]):
            day = week_start + dt.timedelta(days=int(str(r.pop("weekday"))))
            rows.append({**r, "date": day.isoformat()})
    return pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))


def write_plan_json(doc: Mapping[str, Any], out: Path) -> Path:
    """``out/network/plan.json``."""
    return write_json(out / NETWORK_DIR / "plan.json", dict(doc))


def write_responses(responses: Mapping[str, StaffingResponse], out: Path) -> dict[str, Path]:
    """``out/network/responses/<polyclinic_id>.json`` of every response; stale files of
    polyclinics without one are removed."""
    folder = out / NETWORK_DIR / "responses"
    written = {}
    for pid, resp in sorted(responses.items()):
        name = f"{NETWORK_DIR}/responses/{pid}.json"
        written[name] = write_json(out / name, resp.to_dict())
    if folder.is_dir():
        for f in folder.glob("*.json"):
            if f.stem not in responses:
                f.unlink()
    return written


def read_responses(out: Path) -> dict[str, StaffingResponse]:
    """The responses a run wrote (empty when none)."""
    folder = out / NETWORK_DIR / "responses"
    found = {}
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            resp = StaffingResponse.from_dict(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a staffing response ({exc})", source=str(f)) from None
        found[resp.polyclinic_id] = resp
    return found


def write_network_files(
    plan: NetworkPlan, doc: Mapping[str, Any], out: Path, week_start: dt.date
) -> dict[str, Path]:
    """``plan.json``, ``roster.csv`` and ``templates/`` (see the module docstring)."""
    written = {f"{NETWORK_DIR}/plan.json": write_plan_json(doc, out)}
    buf = io.StringIO()
    roster_frame(plan, week_start).to_csv(buf, index=False, lineterminator="\n")
    written[f"{NETWORK_DIR}/roster.csv"] = write_text(out / NETWORK_DIR / "roster.csv",
                                                      buf.getvalue())
    for pid, tpl in sorted(plan.templates.items()):
        base = out / NETWORK_DIR / "templates" / pid
        written[f"{NETWORK_DIR}/templates/{pid}.csv"] = write_template_csv(tpl, f"{base}.csv")
        written[f"{NETWORK_DIR}/templates/{pid}.json"] = write_template_json(tpl, f"{base}.json")
    return written
