"""report.html is one self-contained, deterministic file; write_deliverables writes everything."""

from __future__ import annotations

import json
import re

import pytest

from polyslot.report import write_deliverables
from polyslot.report.demo import demo_network_result
from polyslot.report.html import count_figures

# network figure + per clinic: heatmap, hourly, utilisation, tornado, curves, envelope
FIGURES_PER_CLINIC = 6


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    return folder, write_deliverables(demo_network_result(n_polyclinics=2), folder)


def test_all_deliverables_written(out):
    folder, written = out
    expected = {
        "summary.json",
        "comparison.csv",
        "guide.md",
        "report.html",
        *(f"templates/PC0{i}.{ext}" for i in (1, 2) for ext in ("csv", "json", "xlsx")),
        *(f"templates/current/PC0{i}.json" for i in (1, 2)),
    }
    assert set(written) == expected
    for rel, path in written.items():
        assert path == folder / rel and path.stat().st_size > 0
    leftovers = [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_report_is_self_contained(out):
    folder, _ = out
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src\s*=", text, flags=re.I)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']https?:", text, flags=re.I)
    assert not re.search(r"<img[^>]+src\s*=\s*[\"']https?:", text, flags=re.I)
    assert "cdn.plot.ly" not in text.split("</head>")[0]
    # plotly.js is embedded exactly once
    assert len(re.findall(r"\* plotly\.js v\d", text)) == 1
    assert count_figures(text) == 1 + 2 * FIGURES_PER_CLINIC
    meta = re.search(r'name="polyslot-figures" content="(\d+)"', text)
    assert meta and int(meta.group(1)) == 1 + 2 * FIGURES_PER_CLINIC


def test_report_sections_in_order(out):
    folder, _ = out
    text = (folder / "report.html").read_text(encoding="utf-8")
    pos = [
        text.index(s)
        for s in ('id="network"', 'id="clinic-PC01"', 'id="clinic-PC02"', 'id="guide"')
    ]
    assert pos == sorted(pos)
    for needle in (
        "Data quality",
        "Assumptions",
        "Booking envelope",
        "95% CI",
        "negative_duration",
        "Implementation guide",
    ):
        assert needle in text


def test_outputs_identical_across_processes_and_hash_seeds(tmp_path):
    """Same result -> byte-identical files, whatever PYTHONHASHSEED (set order) is."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from polyslot.report import write_deliverables\n"
        "from polyslot.report.demo import demo_network_result\n"
        "write_deliverables(demo_network_result(n_polyclinics=1, seed=5), sys.argv[1])\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / seed)],
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in ("1", "2")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    files = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*.*"))
    assert len(files) == 8  # 7 deliverables + the current template
    for rel in files:
        assert (tmp_path / "1" / rel).read_bytes() == (tmp_path / "2" / rel).read_bytes(), rel


def test_summary_matches_comparison_csv(out):
    folder, _ = out
    import pandas as pd

    doc = json.loads((folder / "summary.json").read_text())
    table = pd.read_csv(folder / "comparison.csv")
    row = table[
        (table.polyclinic_id == "NETWORK") & (table.weekday == -1) & (table.source == "simulator")
    ].iloc[0]
    assert doc["network"]["wait_mean_current"] == pytest.approx(row["wait_mean_current"], abs=1e-5)


def test_minimal_result_renders(tmp_path):
    """Evaluator-only KPIs, no hourly / sensitivity / envelope tables: the report leaves the
    missing figures out, summary values missing from the run are null."""
    import pandas as pd

    from polyslot.examples import example_clinic_model
    from polyslot.kpi_records import KPI_COLUMNS
    from polyslot.report.demo import respaced_template
    from polyslot.results import NetworkResult, PolyclinicResult

    model = example_clinic_model(doctors=1, polyclinic_id="Solo")
    rows = [
        (scen, "evaluator", d, "wait_mean", w, w, w, 1)
        for scen, w in (("current", 20.0), ("recommended", 9.0))
        for d in (0, 1)
    ]
    res = PolyclinicResult(
        "Solo",
        model,
        model.current_template,
        respaced_template(model),
        pd.DataFrame(rows, columns=list(KPI_COLUMNS)),
    )
    written = write_deliverables(NetworkResult((res,)), tmp_path)
    text = written["report.html"].read_text(encoding="utf-8")
    assert count_figures(text) == 2  # network + slot heatmap
    doc = json.loads(written["summary.json"].read_text())
    entry = doc["polyclinics"][0]
    assert entry["wait_mean_current"] == 20.0 and entry["source"] == "evaluator"
    assert entry["utilization_current"] is None
    assert "Not computed in this run" in text
    assert "### Monday" in written["guide.md"].read_text()


def test_current_template_file_round_trips(out):
    from polyslot.report import read_template

    folder, _ = out
    res = demo_network_result(n_polyclinics=2).polyclinics[0]
    back = read_template(folder / "templates" / "current" / "PC01.json")
    assert back.label == "current" and back.slots == res.current.slots
