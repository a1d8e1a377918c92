"""``polyslot demo-data``: writes every table and the truth sidecar; a bad date is exit 2."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from polyslot.cli import app
from polyslot.synthetic import TABLES


def test_cli_demo_data(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "demo"
    res = runner.invoke(
        app, ["demo-data", "--out", str(out), "--polyclinics", "1", "--days", "7", "--seed", "3"]
    )
    assert res.exit_code == 0, res.output
    for fname in [*TABLES.values(), "truth.json"]:
        assert (out / fname).is_file()
    bad = runner.invoke(app, ["demo-data", "--out", str(out), "--start", "2025-02-30"])
    assert bad.exit_code == 2
    assert re.search(r"--start", bad.output)
