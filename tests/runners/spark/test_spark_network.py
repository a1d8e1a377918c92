"""The network plan on Spark: the staffing responses computed in the applyInPandas step equal
the local engine's, and the network plan made from them on the driver is byte-identical."""

from __future__ import annotations

import datetime as dt

from polyslot.network.step import network_step
from polyslot.runners.local import plan_network
from polyslot.runners.spark.plan import plan_network_spark


def test_spark_network_plan_equals_local(spark, network_setup, tmp_path):
    cfg, store, models, _ = network_setup(tmp_path / "in")
    loc, skip_l = plan_network(models, cfg, store, None)
    spk, skip_s = plan_network_spark(spark, models, cfg, store, None)
    assert skip_l == skip_s == {}
    staffed = [r.polyclinic_id for r in loc if r.staffing and r.staffing.points]
    assert "PC02" in staffed and len(staffed) >= 2  # a borrower and a lender computed points
    for a, b in zip(loc, spk, strict=True):
        assert a.polyclinic_id == b.polyclinic_id
        assert (a.staffing.to_dict() if a.staffing else None) == (
            b.staffing.to_dict() if b.staffing else None
        )
    week = dt.date(2026, 3, 2)
    docs = [network_step(res, cfg, tmp_path / name, week) for name, res in (("l", loc),
                                                                           ("s", spk))]
    assert docs[0] == docs[1] and docs[0]["moves"]
    for name in ("plan.json", "roster.csv", "inputs.json", "templates/PC02.json",
                 "responses/PC02.json"):
        assert (tmp_path / "l" / "network" / name).read_bytes() == (
            tmp_path / "s" / "network" / name
        ).read_bytes(), name
