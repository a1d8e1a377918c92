"""``polyslot run``: a bad configuration stops with one line and exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from polyslot.cli import app


def test_cli_run_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "polyslot.toml"
    bad.write_text("[sample]\npolyclinics = 0\n")
    res = CliRunner().invoke(app, ["run", "--config", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "polyclinics" in res.output and "Traceback" not in res.output
