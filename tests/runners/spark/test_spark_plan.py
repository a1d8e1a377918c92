"""The applyInPandas fan-out gives the local engine's results (templates, summary)."""

from __future__ import annotations

import json

from test_spark_sources import _att

from polyslot.config import RunConfig, SensitivitySettings, SimulateSettings
from polyslot.data import ingest
from polyslot.examples import example_clinic_model
from polyslot.report import write_deliverables
from polyslot.results import NetworkResult
from polyslot.runners.local import plan_network
from polyslot.runners.spark.plan import plan_network_spark


def test_spark_plan_equals_local(spark, tmp_path):
    _att(20).to_csv(tmp_path / "attendances.csv", index=False)
    store = ingest(
        tmp_path / "attendances.csv", tmp_path / "store", max_quarantine_share=None
    ).out_dir
    model = example_clinic_model()
    cfg = RunConfig(
        seed=11,
        workers=1,
        simulate=SimulateSettings(min_replications=2, max_replications=3),
        sensitivity=SensitivitySettings(enabled=False),
        # node limits make the solves deterministic; the time limit is only a safety net (a
        # loaded machine must not cut a solve short in one engine and not the other)
        optimize={"sequencing_max_iter": 0, "max_calibration_rounds": 1, "time_limit": 120.0},
    )
    models = {model.polyclinic_id: model}
    loc, skip_l = plan_network(models, cfg, store, None)
    spk, skip_s = plan_network_spark(spark, models, cfg, store, None)
    assert skip_l == skip_s == {}
    outs = []
    for name, res in (("local", loc), ("spark", spk)):
        files = write_deliverables(NetworkResult(tuple(res)), tmp_path / name)
        outs.append(files)
    summ = [json.loads(f["summary.json"].read_text()) for f in outs]
    assert summ[0] == summ[1]
    key = f"templates/{model.polyclinic_id}.csv"
    assert outs[0][key].read_text() == outs[1][key].read_text()
    assert len(outs[0][key].read_text().splitlines()) > 10
