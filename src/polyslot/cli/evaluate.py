"""``polyslot evaluate SCHEDULE.json``: exact performance of one doctor session."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from polyslot.cli._common import console, echo_json, handle_errors, read_json_file


class _Format(StrEnum):
    json = "json"
    table = "table"


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to ``app``."""

    @app.command("evaluate")
    @handle_errors
    def evaluate_cmd(
        schedule: Path = typer.Argument(..., help="Schedule JSON (all times in slots)."),
        fmt: _Format = typer.Option(_Format.json, "--format", help="Output format."),
        envelope: bool = typer.Option(
            False, "--envelope", help="Add booking envelopes (remaining work, running idle)."
        ),
    ) -> None:
        """Exact means and variances of waits, idle time and overtime of one session."""
        from polyslot.evaluation import evaluate
        from polyslot.schedule import parse_schedule

        sched = parse_schedule(read_json_file(schedule), source=str(schedule))
        result = evaluate(sched, envelope=envelope).to_dict()
        if fmt is _Format.json:
            echo_json(result)
            return
        _render_table(result)


def _render_table(result: dict) -> None:
    from rich.table import Table

    grid = Table(title="patients (slots)")
    for col in ("#", "appointment", "wait mean", "wait var", "idle mean", "idle var"):
        grid.add_column(col, justify="right")
    for k, p in enumerate(result["patients"]):
        grid.add_row(
            str(k + 1),
            str(p["appointment"]),
            f"{p['wait_mean']:.3f}",
            f"{p['wait_var']:.3f}",
            f"{p['idle_mean']:.3f}",
            f"{p['idle_var']:.3f}",
        )
    console.print(grid)
    summary = Table(title="session (slots)")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    for key in (
        "total_wait_mean",
        "total_idle_mean",
        "idle_end_mean",
        "overtime_mean",
        "overtime_var",
        "completion_mean",
        "utilization",
    ):
        summary.add_row(key, f"{result[key]:.4f}")
    console.print(summary)
    if "envelope" in result:
        env = result["envelope"]
        tab = Table(title="booking envelope (every 10th slot)")
        for col in ("slot", "remaining work mean", "remaining work var", "running idle mean"):
            tab.add_column(col, justify="right")
        for t in range(0, len(env["remaining_work_mean"]), 10):
            tab.add_row(
                str(t),
                f"{env['remaining_work_mean'][t]:.3f}",
                f"{env['remaining_work_var'][t]:.3f}",
                f"{env['running_idle_mean'][t]:.3f}",
            )
        console.print(tab)
