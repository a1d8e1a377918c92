"""``polyslot demo-data``: write a synthetic polyclinic network with known true parameters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from polyslot.cli._common import console, handle_errors
from polyslot.errors import InputError


def _parse_start(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InputError(
            f"expected a date YYYY-MM-DD, got {value!r}", field="--start", value=value
        ) from None


def register(app: typer.Typer) -> None:
    """Add the ``demo-data`` command to ``app``."""

    @app.command("demo-data")
    @handle_errors
    def demo_data(
        out: Path = typer.Option(..., "--out", help="Folder to write the tables into."),
        polyclinics: int = typer.Option(6, "--polyclinics", help="Number of polyclinics."),
        days: int = typer.Option(365, "--days", help="Number of calendar days."),
        seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same data)."),
        start: str = typer.Option("2025-01-01", "--start", help="First day (YYYY-MM-DD)."),
    ) -> None:
        """Generate a synthetic polyclinic network: attendances, roster, current slot
        template, supplied demand forecast, supplied no-show predictions and truth.json."""
        from rich.progress import Progress

        from polyslot.synthetic import generate_network, write_network

        first = _parse_start(start)
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("generating polyclinics", total=max(polyclinics, 1))
            network = generate_network(
                polyclinics, days, seed, start=first, progress=lambda i: bar.advance(task)
            )
        paths = write_network(network, out)
        console.print(
            f"wrote {len(network.attendances):,} attendances of {polyclinics} polyclinics "
            f"x {days} days to {out}"
        )
        for name, path in paths.items():
            console.print(f"  {name}: {path}")
