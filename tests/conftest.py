"""Fixtures shared by more than one test folder."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from polyslot.clinic_model import ClinicModel
from polyslot.examples import example_clinic_model


@pytest.fixture(scope="session")
def monday_only() -> Callable[..., ClinicModel]:
    """Factory: the example clinic model reduced to Monday (its sessions, template and hours)."""

    def make(polyclinic_id: str = "EX01", doctors: int = 3) -> ClinicModel:
        m = example_clinic_model(doctors=doctors, polyclinic_id=polyclinic_id)
        return dataclasses.replace(
            m,
            sessions=tuple(s for s in m.sessions if s.weekday == 0),
            current_template=m.current_template.for_weekday(0),
            opening={0: m.opening[0]},
        )

    return make


# -- a real browser: Playwright driving Debian's chromium -------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture()
def browser() -> Iterator[Any]:
    """A headless chromium (Playwright's ``Browser``), closed after the test; the test is skipped
    when Debian's chromium or Playwright is not installed (``make test`` installs both)."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian chromium not installed (make installs it: apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


# -- the capacity planner's store: a known revisit pattern -------------------------------------

DAY0 = pd.Timestamp("2025-01-06 09:00")


def _row(n: int, patient: str, vtype: str, day: int, status: str = "attended") -> dict:
    ts = DAY0 + pd.Timedelta(days=day)
    seen = status in ("attended", "walk_in")
    return {
        "attendance_id": f"A{n}",
        "polyclinic_id": "EX01",
        "patient_id": patient,
        "visit_type": vtype,
        "booking_ts": ts - pd.Timedelta(days=3),
        "appointment_ts": ts,
        "arrival_ts": ts - pd.Timedelta(minutes=5) if seen else pd.NaT,
        "consult_start_ts": ts if seen else pd.NaT,
        "consult_end_ts": ts + pd.Timedelta(minutes=15) if seen else pd.NaT,
        "consultation_duration_minutes": 15.0 if seen else None,
        "doctor_id": "D1",
        "status": status,
    }


@pytest.fixture(scope="module")
def revisit_store(tmp_path_factory):
    """A small DuckDB store with a known revisit pattern (the capacity planner's --from-data input).

    100 first visits: 1 in 4 discharged at once; the rest revisit after 14 days; a third of
    those revisit again 21 days later. So alpha = 0.25, beta = 75/100, window [14, 21]."""
    rows = []
    for k in range(100):
        pid = f"PAT{k:04d}"
        rows.append(_row(len(rows), pid, "new_patient", k))
        if k % 4 == 0:
            rows.append(_row(len(rows), pid, "chronic_followup", k + 10, "no_show"))
            continue
        rows.append(_row(len(rows), pid, "chronic_followup", k + 14))
        if k % 4 == 1:
            rows.append(_row(len(rows), pid, "chronic_followup", k + 35))
    rows.append(_row(len(rows), "PAT9999", "acute", 400))  # data run long enough: no censoring
    folder = tmp_path_factory.mktemp("store")
    con = duckdb.connect(str(folder / "polyslot.duckdb"))
    con.register("frame", pd.DataFrame(rows))
    con.execute("CREATE TABLE attendances AS SELECT * FROM frame")
    con.close()
    return folder


# -- a small network with an overloaded polyclinic: the network plan end to end ----------------

#: Three polyclinics of the embedded sample (congested PC01, overloaded PC02, well-run PC03) x
#: 6 weeks, planned on Monday and Tuesday only (the rest of the week is cut from the models so
#: that the run takes about a minute); cheap settings elsewhere.
NETWORK_RUN = {
    "sample": {"polyclinics": 3, "days": 42},
    "holdout_days": 0,
    "workers": 1,
    "simulate": {"min_replications": 3, "max_replications": 4},
    "sensitivity": {"enabled": False},
    "optimize": {"sequencing_max_iter": 5, "frontier_points": 3},
    "capacity": {"enabled": False},
}
NETWORK_DAYS = (0, 1)


def two_weekdays(model: ClinicModel, days: tuple[int, ...] = NETWORK_DAYS) -> ClinicModel:
    """``model`` cut to ``days`` (its sessions, template and hours)."""
    from polyslot.template import SlotTemplate

    tpl = model.current_template
    return dataclasses.replace(
        model,
        sessions=tuple(s for s in model.sessions if s.weekday in days),
        current_template=SlotTemplate(
            tpl.polyclinic_id, tuple(s for s in tpl.slots if s.weekday in days),
            tpl.bucket_minutes, tpl.label,
        ),
        opening={d: v for d, v in model.opening.items() if d in days},
    )


def network_inputs(out: Path):
    """Store, cut models and planning tasks of the small network, written under ``out``."""
    from polyslot.config import load_config
    from polyslot.runners.local import estimate_models, prepare_data
    from polyslot.runners.steps import plan_tasks

    cfg = load_config(overrides=NETWORK_RUN)
    store = prepare_data(None, cfg, out)
    models, cutoff = estimate_models(store, cfg, out)
    models = {pid: two_weekdays(m) for pid, m in models.items()}
    for pid, m in models.items():
        m.to_json(out / "model" / f"{pid}.json")
    return cfg, store, models, plan_tasks(models, cfg, store, cutoff)


@pytest.fixture(scope="session")
def network_run(tmp_path_factory) -> Path:
    """A finished run of the small network with its network plan (``out/network/``): read-only
    to the tests (copy it to change it)."""
    from polyslot.runners.local import _plan_one
    from polyslot.runners.steps import write_network_outputs

    out = tmp_path_factory.mktemp("network") / "out"
    cfg, store, models, tasks = network_inputs(out)
    results = [_plan_one(t) for t in tasks.values()]
    assert all(not isinstance(r, str) for r in results), results
    write_network_outputs(results, {}, store, None, cfg, out, models)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def network_setup():
    """Factory: ``network_inputs(out)`` (store, cut models and planning tasks of the small
    network), for tests that plan it themselves (e.g. on Spark)."""
    return network_inputs
