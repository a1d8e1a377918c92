"""``polyslot ingest``: validate input tables into the DuckDB store, with quarantine and summary."""

from __future__ import annotations

from pathlib import Path

import typer

from polyslot.cli._common import console, handle_errors


def print_quality_lines(quality_json: Path) -> None:
    """One line per table of a written ``data_quality.json``: read = accepted + quarantined +
    excluded (nothing when the file is absent)."""
    import json

    if not quality_json.exists():
        return
    for name, t in json.loads(quality_json.read_text(encoding="utf-8"))["tables"].items():
        console.print(
            f"ingest {name}: read {t['read']:,} = accepted {t['accepted']:,} + quarantined "
            f"{t['quarantined']:,} + excluded {t.get('excluded', 0):,}"
        )
        if t.get("unknown_fields"):
            console.print(
                f"ingest {name}: not in the export (unknown for every row): "
                f"{', '.join(t['unknown_fields'])}"
            )


def print_reconciliation(summary) -> None:  # noqa: ANN001 - IngestSummary, imported lazily
    """Print read = accepted + quarantined + excluded per table and polyclinic, and reasons."""
    from rich.table import Table

    grid = Table(title="reconciliation: read = accepted + quarantined + excluded")
    for col in ("table", "polyclinic", "read", "accepted", "quarantined", "excluded"):
        grid.add_column(col, justify="left" if col in ("table", "polyclinic") else "right")
    for r in summary.reconciliation.itertuples():
        grid.add_row(
            r.table_name,
            str(r.polyclinic_id),
            f"{r.read:,}",
            f"{r.accepted:,}",
            f"{r.quarantined:,}",
            f"{r.excluded:,}",
        )
    console.print(grid)
    for name, t in summary.tables.items():
        if t.reasons:
            reasons = ", ".join(f"{k} {v:,}" for k, v in t.reasons.items())
            console.print(f"{name}: quarantined {t.quarantined:,} ({reasons})")
        if t.excluded:
            console.print(f"{name}: excluded {t.excluded:,} (values listed under exclude)")
        if t.unknown_fields:
            console.print(
                f"{name}: not in the export (unknown for every row): {', '.join(t.unknown_fields)}"
            )


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to ``app``."""

    @app.command("ingest")
    @handle_errors
    def ingest_cmd(
        source: Path = typer.Argument(
            ...,
            help="Data folder with the standard files, an attendances file (CSV, Parquet file "
            "or folder), or a DuckDB database.",
        ),
        out: Path = typer.Option(..., "--out", help="Output folder for polyslot.duckdb etc."),
        table: str = typer.Option(
            None, "--table", help="Table in a DuckDB SOURCE holding the attendances."
        ),
        roster: Path = typer.Option(None, "--roster", help="ROSTER file."),
        slot_template: Path = typer.Option(None, "--slot-template", help="SLOT_TEMPLATE file."),
        demand_forecast: Path = typer.Option(
            None, "--demand-forecast", help="DEMAND_FORECAST file (supplied demand forecast)."
        ),
        no_show_predictions: Path = typer.Option(
            None,
            "--no-show-predictions",
            help="NO_SHOW_PREDICTIONS file (supplied no-show predictions).",
        ),
        batch_rows: int = typer.Option(
            500_000, "--batch-rows", min=1000, help="Rows per chunk (memory grows with it)."
        ),
        mapping: Path = typer.Option(
            None,
            "--mapping",
            help="mapping.toml applied before validation (draft one with `polyslot map`).",
        ),
        max_quarantine_share: float = typer.Option(
            0.05,
            "--max-quarantine-share",
            min=0.0,
            max=1.0,
            help="Stop (exit 2) when more of a table's rows than this share are quarantined.",
        ),
    ) -> None:
        """Validate the input tables, write accepted rows to OUT/polyslot.duckdb, rejected rows
        to OUT/quarantine.csv and counts to OUT/data_quality.json."""
        from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

        from polyslot.data.ingest import ingest
        from polyslot.data.mapping import load_mapping

        found = load_mapping(mapping) if mapping is not None else None  # errors before the bar

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(f"validating {name}", total=total)
                bar.update(tasks[name], completed=done)

            summary = ingest(
                source,
                out,
                table=table,
                roster=roster,
                slot_template=slot_template,
                demand_forecast=demand_forecast,
                no_show_predictions=no_show_predictions,
                batch_rows=batch_rows,
                progress=progress,
                mapping=found,
                max_quarantine_share=max_quarantine_share,
            )
        print_reconciliation(summary)
        console.print(f"store: {summary.store_path}")
        console.print(f"quarantine: {summary.quarantine_csv}")
        console.print(f"data quality: {summary.quality_json}")
