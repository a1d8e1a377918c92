"""Sparse and awkward stores never crash: pooling, flags, skipped polyclinics, the CLI."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from _estimate_fixtures import write_store  # noqa: E402

from polyslot.cli import app  # noqa: E402
from polyslot.errors import DataError, SchemaError  # noqa: E402
from polyslot.estimate import EstimateConfig, build_clinic_models, estimate_network  # noqa: E402


def _rows(pc, vt, n, seed, start=datetime(2025, 3, 3), mean=12.0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        day = start + timedelta(days=int(i % 20) + 7 * (i % 20 // 6))
        appt = day.replace(hour=8 + i % 8, minute=15 * (i % 4))
        status = "no_show" if rng.random() < 0.15 else "attended"
        dur = float(np.round(rng.lognormal(np.log(mean) - 0.1, 0.45), 1))
        arr = appt + timedelta(minutes=float(rng.uniform(-15, 10)))
        seen = status == "attended"
        cs = arr + timedelta(minutes=5)
        out.append(
            {
                "attendance_id": f"{pc}-{vt}-{i}",
                "polyclinic_id": pc,
                "patient_id": f"p{rng.integers(0, n // 3 + 1)}",
                "visit_type": vt,
                "booking_ts": appt - timedelta(days=int(rng.integers(0, 20))),
                "appointment_ts": appt,
                "arrival_ts": arr if seen else None,
                "consult_start_ts": cs if seen else None,
                "consult_end_ts": cs + timedelta(minutes=dur) if seen else None,
                "consultation_duration_minutes": dur if seen else None,
                "doctor_id": f"{pc}-D{i % 3}" if seen else None,
                "status": status,
            }
        )
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rows = _rows("A", "acute", 400, 1) + _rows("A", "rare", 6, 2, mean=30.0)
    rows += _rows("B", "acute", 150, 3) + _rows("B", "rare", 300, 4, mean=30.0)
    att = pd.DataFrame(rows)
    for c in ("booking_ts", "appointment_ts", "arrival_ts", "consult_start_ts", "consult_end_ts"):
        att[c] = pd.to_datetime(att[c])
    dates = sorted({d.date() for d in att["appointment_ts"]})
    roster = pd.DataFrame(
        [
            {
                "polyclinic_id": pc,
                "date": d,
                "start_time": "08:00",
                "end_time": "12:00",
                "doctors": 3,
            }
            for pc in ("A", "B", "EMPTY")
            for d in dates
        ]
    )
    roster["date"] = pd.to_datetime(roster["date"]).dt.date
    d = tmp_path_factory.mktemp("sparse")
    write_store(d / "polyslot.duckdb", {"attendances": att, "roster": roster})
    return d


#: The store spans six weeks: 4-6 sessions per weekday, every weekday planned only with this.
FEW = EstimateConfig(backtest_origins=1, min_weekday_sessions=1)


def test_sparse_visit_type_pooled_and_empty_polyclinic_skipped(store):
    result = estimate_network(store, FEW)
    assert sorted(result.models) == ["A", "B"]
    assert result.summary["skipped"] == [
        {"polyclinic_id": "EMPTY", "reason": "no attendance records"}
    ]
    a = result.models["A"]
    rare = a.service_for("rare")
    assert rare.pooled and rare.n_obs <= 6
    assert "rare" in a.meta["pooled_visit_types"]
    # shrunk toward the network (B's 300 rare visits, mean ~30)
    b_rare = result.models["B"].service_for("rare")
    assert abs(rare.mean_minutes - b_rare.mean_minutes) < 0.3 * b_rare.mean_minutes
    flags = [
        r
        for r in result.summary["service_time"]
        if r["polyclinic_id"] == "A" and r["visit_type"] == "rare"
    ]
    assert flags[0]["pooled"] is True
    assert not result.models["B"].service_for("rare").pooled
    # every ClinicModel field is filled
    for m in result.models.values():
        assert m.no_show and m.demand and m.preference and m.staffing and m.sessions
        assert m.current_template.slots and m.opening
        assert m.meta["template_source"] == "inferred"
    assert all(r["sparse"] for r in result.summary["demand"]["backtest"])


def test_slot_grid_and_empirical_pmf(store):
    models = build_clinic_models(store, config=FEW, slot_minutes=5, service_pmf="empirical")
    s = models["B"].service_for("rare")
    assert s.family == "empirical"
    mean_slots = sum(i * p for i, p in enumerate(s.pmf))
    assert mean_slots * 5 == pytest.approx(s.mean_minutes, rel=0.1)
    assert models["B"].slot_minutes == 5


def test_missing_store_and_tables(tmp_path):
    with pytest.raises(DataError, match="store not found"):
        estimate_network(tmp_path / "nope")
    write_store(tmp_path / "x.duckdb", {"roster": pd.DataFrame({"a": [1]})})
    with pytest.raises(SchemaError, match="attendances"):
        estimate_network(tmp_path / "x.duckdb")


def test_cli_estimate_writes_models(store, tmp_path):
    out = tmp_path / "model"
    cfg = tmp_path / "polyslot.toml"
    cfg.write_text("[estimate]\nmin_weekday_sessions = 1\n")
    args = ["estimate", "--data", str(store), "--out", str(out), "--config", str(cfg)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["A.json", "B.json", "fit_summary.json"]
    summary = json.loads((out / "fit_summary.json").read_text())
    assert summary["skipped"][0]["polyclinic_id"] == "EMPTY"
    assert "auc" in summary["no_show"]["test"]
    text = "".join(p.read_text() for p in out.iterdir())
    assert '"p0"' not in text and "patient" not in text.replace("patients", "")
    bad = CliRunner().invoke(app, ["estimate", "--data", str(tmp_path / "nope")])
    assert bad.exit_code == 2
    cfg.write_text("[estimate]\nmin_weekday_sessions = 0\n")
    bad = CliRunner().invoke(app, args)
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert f"{cfg}: field 'estimate.min_weekday_sessions': must be a whole number > 0" in (
        bad.output
    )


def test_without_roster_staffing_is_inferred(store, tmp_path):
    import duckdb

    with duckdb.connect(str(store / "polyslot.duckdb"), read_only=True) as con:
        att = con.execute("SELECT * FROM attendances").df()
    path = write_store(tmp_path / "noroster.duckdb", {"attendances": att})
    result = estimate_network(path, FEW)
    a = result.models["A"]
    assert a.meta["staffing_source"] == "consultations"
    assert a.meta["session_source"] == "staffing"
    # three doctors (A-D0..A-D2) consult in rotation; never more than three per hour
    assert 0 < max(h.value for h in a.staffing) <= 3
    assert a.sessions and a.opening
