"""``polyslot kpis OUT --polyclinic PC --weekday Mon --template current|recommended``: the one
model's KPIs of a template of a finished run (each with its standard error and 95% CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from polyslot.cli._common import console, echo_json, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``kpis`` command to ``app``."""

    @app.command("kpis")
    @handle_errors
    def kpis(
        out: Annotated[Path, typer.Argument(help="Output folder of a finished polyslot run.")],
        polyclinic: Annotated[str, typer.Option(help="Polyclinic id, e.g. PC01.")],
        weekday: Annotated[str, typer.Option(help="Mon..Sun.")],
        template: Annotated[
            str, typer.Option(help="current or recommended.")
        ] = "recommended",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Print the KPIs of a template on a weekday through the one clinic model (the run's
        ``model`` rows of comparison.csv, recomputed with the run's seed)."""
        from rich.table import Table

        from polyslot.report.run_kpis import template_kpis

        doc = template_kpis(out, polyclinic, weekday, template)
        if as_json:
            echo_json(doc)
            return
        table = Table(
            title=f"{doc['polyclinic_id']} {doc['weekday']} {doc['template']} "
            f"({doc['method']}, {doc['replications']} replications, {doc['discipline']} queue)"
        )
        for col in ("kpi", "mean", "se", "95% CI"):
            table.add_column(col, justify="left" if col == "kpi" else "right")
        for key, v in doc["kpis"].items():
            ci = f"{v['ci_low']:.6f} .. {v['ci_high']:.6f}"
            table.add_row(key, f"{v['mean']:.6f}", f"{v['se']:.6f}", ci)
        console.print(table)
