"""A small finished run for the studio tests: one polyclinic x 3 weeks of the embedded sample,
ingested and estimated for real (so the patient ids of the run exist in ``sample/``), with a
recommended template, a summary with a verdict and a frontier file in the shared format.

Planning the run (MIP, simulation, sensitivity) is skipped: the studio only reads its files, and
the cheap stand-ins below are written in exactly those formats.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from polyslot.atomic import write_json
from polyslot.clinic_model import ClinicModel
from polyslot.config import load_config
from polyslot.report.demo import respaced_template
from polyslot.report.export import template_rows, write_templates
from polyslot.template import WEEKDAYS, SlotTemplate

SMALL = {
    "sample": {"polyclinics": 1, "days": 21},
    "holdout_days": 0,
    "workers": 1,
    # three weeks: 6 half-day sessions a weekday (fewer than the default 8 plans nothing)
    "estimate": {"min_weekday_sessions": 3},
}


def frontier_point(label: str, template: SlotTemplate, weekday: int, wait: float, n: float):
    rows = template_rows(template.for_weekday(weekday))
    return {
        "label": label,
        "throughput_floor": 0.9,
        "overtime_weight": 1.5,
        "wait_mean": wait,
        "patients_per_week": n,
        "overtime": 10.0,
        "utilization": 0.8,
        "slots": [
            {
                "start_time": r.start_time,
                "duration_minutes": int(r.duration_minutes),
                "visit_type": r.visit_type,
                "doctor_session": r.doctor_session,
                "overbooked": bool(r.overbooked),
            }
            for r in rows.itertuples(index=False)
        ],
    }


def make_small_run(out: Path, *, frontier: bool = True) -> Path:
    """Write the small run into ``out`` (see the module docstring)."""
    from polyslot.runners.local import estimate_models, prepare_data

    cfg = load_config(overrides=SMALL)
    store = prepare_data(None, cfg, out)
    models, _ = estimate_models(store, cfg, out)
    write_json(out / "run_config.json", cfg.to_dict())  # as a run writes it
    for pid, model in models.items():
        rec = respaced_template(model)
        write_templates(rec, out / "templates")
        if frontier:
            days = {}
            for d in rec.weekdays:
                days[WEEKDAYS[d]] = {
                    "chosen": 1,
                    "points": [
                        frontier_point("current", model.current_template, d, 20.0, 400.0),
                        frontier_point("recommended", rec, d, 12.0, 410.0),
                    ],
                }
            write_json(
                out / "frontier" / f"{pid}.json",
                {"polyclinic_id": pid, "policy": "balanced", "weekdays": days},
            )
    summary = {
        "polyclinics": [
            {
                "polyclinic_id": pid,
                "verdict": "adopt",
                "reason": "shorter waits at the same throughput",
                "wait_mean_current": 20.0,
                "wait_mean_recommended": 12.0,
            }
            for pid in models
        ],
        "network": {"polyclinic_id": "NETWORK"},
    }
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """Output folder of the small run (shared by every studio test; read-only to them)."""
    return make_small_run(tmp_path_factory.mktemp("studio") / "out")


@pytest.fixture(scope="session")
def patient_ids(small_run) -> set[str]:
    ids = set(pd.read_parquet(small_run / "sample" / "attendances.parquet")["patient_id"].dropna())
    assert len(ids) > 50
    return ids


@pytest.fixture(scope="session")
def model(small_run) -> ClinicModel:
    return ClinicModel.from_json(small_run / "model" / "PC01.json")


# -- a real server for the browser tests -------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_studio(out: Path, port: int | None = None) -> Iterator[str]:
    """uvicorn serving the studio over ``out`` in a thread (the KPI engine warmed first, as
    ``polyslot studio`` does); always shut down. Yields the base URL."""
    import uvicorn

    from polyslot.studio import create_app

    port = port or free_port()
    app = create_app(out, allowed_hosts=["127.0.0.1", "localhost"])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "studio server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive()


@pytest.fixture()
def server(small_run) -> Iterator[str]:
    """The studio over the small run, on a free local port."""
    with serve_studio(small_run) as url:
        yield url
