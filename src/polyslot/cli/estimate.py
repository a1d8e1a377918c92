"""``polyslot estimate``: history (DuckDB store) -> one ClinicModel JSON per polyclinic."""

from __future__ import annotations

from pathlib import Path

import typer

from polyslot.cli._common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``estimate`` command to ``app``."""

    @app.command("estimate")
    @handle_errors
    def estimate(
        data: Path = typer.Option(..., "--data", help="Store folder (polyslot.duckdb) or file."),
        out: Path = typer.Option(Path("model"), "--out", help="Output folder."),
        slot_minutes: int | None = typer.Option(
            None, "--slot-minutes", help="Slot grid length (min; default 1)."
        ),
        seed: int | None = typer.Option(None, "--seed", help="Seed of every random step."),
        config_file: Path | None = typer.Option(
            None, "--config", help="polyslot.toml: its [estimate] table, slot_minutes and seed."
        ),
    ) -> None:
        """Estimate consultation times, no-shows, punctuality, demand, the current template
        and staffing; write model/<polyclinic_id>.json and model/fit_summary.json."""
        from polyslot.config import load_config
        from polyslot.errors import ConfigError
        from polyslot.estimate import EstimateConfig, estimate_network
        from polyslot.estimate.summary import summary_table, write_outputs

        run = load_config(config_file, {"slot_minutes": slot_minutes, "seed": seed})
        try:
            config = EstimateConfig.from_mapping(
                run.estimate, slot_minutes=run.slot_minutes, seed=run.seed
            )
        except ConfigError as exc:  # name the file the [estimate] table came from
            if config_file is None:
                raise
            raise ConfigError(str(exc), source=str(config_file), value=exc.value) from None
        from polyslot.errors import DataError

        with console.status("estimating..."):
            result = estimate_network(data, config)
        skipped = result.summary.get("skipped", [])
        if not result.models:
            why = "; ".join(f"{s['polyclinic_id']}: {s['reason']}" for s in skipped)
            raise DataError(
                f"no polyclinic could be estimated ({why or 'no attendance rows'})",
                source=str(data),
            )
        paths = write_outputs(result, out)
        console.print(summary_table(result))
        for s in skipped:
            console.print(
                f"[bold yellow]not estimated: {s['polyclinic_id']}: {s['reason']}[/bold yellow]",
                highlight=False,
            )
        console.print(f"wrote {len(paths) - 1} models and fit_summary.json to {out}")
