"""No command ever shows a traceback: bad input to every command is exit 2 and no exception."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from polyslot.cli import app

runner = CliRunner()


def _run(*args: str):
    res = runner.invoke(app, [str(a) for a in args])
    text = res.stdout + res.stderr
    assert "Traceback" not in text
    return res


BAD_INPUT = {
    "demo-data": ["--out", "{tmp}/d", "--polyclinics", "0"],
    "ingest": ["{tmp}/nope", "--out", "{tmp}/o"],
    "map": ["{tmp}/nope.csv"],
    "evaluate": ["{tmp}/nope.json"],
    "estimate": ["--data", "{tmp}/nope"],
    "sequence": ["{tmp}/nope.json"],
    "optimize": ["--models", "{tmp}/nope"],
    "simulate": ["--model", "{tmp}/nope.json"],
    "capacity": ["{tmp}/nope.json"],
    "run": ["--data", "{tmp}/nope.csv", "--out", "{tmp}/o"],
    "kpis": ["{tmp}/nope", "--polyclinic", "PC01", "--weekday", "Mon"],
    "network": ["{tmp}/nope"],
    "studio": ["--out", "{tmp}/nope"],
    "version": ["--bogus"],
}


def test_every_command_is_in_the_bad_input_table():
    names = {c.name for c in app.registered_commands}
    assert names == set(BAD_INPUT)


@pytest.mark.parametrize("command", sorted(BAD_INPUT))
def test_no_traceback_from_any_command(command, tmp_path):
    args = [a.format(tmp=tmp_path) for a in BAD_INPUT[command]]
    res = _run(command, *args)
    assert res.exit_code == 2, (command, res.stdout, res.stderr)
    assert res.exception is None or isinstance(res.exception, SystemExit)
