"""``polyslot run``: the whole pipeline, ingest -> ... -> report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from polyslot.cli._common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""

    @app.command("run")
    @handle_errors
    def run(
        data: Annotated[
            str | None,
            typer.Option(
                help="Data folder, attendances file or DuckDB file (Spark: table or "
                "path). Default: the embedded sample network."
            ),
        ] = None,
        config: Annotated[Path | None, typer.Option(help="polyslot.toml configuration.")] = None,
        mapping: Annotated[
            Path | None,
            typer.Option(help="mapping.toml applied to --data before validation (polyslot map)."),
        ] = None,
        out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
        seed: Annotated[int | None, typer.Option(help="Override the configured seed.")] = None,
        workers: Annotated[int | None, typer.Option(help="Processes (local engine).")] = None,
        engine: Annotated[str, typer.Option(help="local or spark.")] = "local",
        strict: Annotated[
            bool, typer.Option(help="Exit with code 3 when any polyclinic is skipped.")
        ] = False,
    ) -> None:
        """Run ingest -> estimate -> optimize -> evaluate -> simulate -> compare -> sensitivity ->
        report, and print the headline numbers and where the results are."""
        from polyslot.config import load_config
        from polyslot.errors import ConfigError

        cfg = load_config(config, {"seed": seed, "workers": workers})
        from polyslot.capacity.clinic_plans import CapacitySettings
        from polyslot.runners.steps import estimation_config

        source = str(config) if config else None
        CapacitySettings.from_mapping(cfg.capacity, source=source)
        try:  # every section typed before anything is written
            estimation_config(cfg)
        except ConfigError as exc:
            raise ConfigError(
                exc.message, source=exc.source or source, field=exc.field, value=exc.value
            ) from None
        except TypeError as exc:
            raise ConfigError(f"invalid value ({exc})", source=source, field="estimate") from None
        if engine not in ("local", "spark"):
            raise ConfigError("must be 'local' or 'spark'", field="--engine", value=engine)
        if mapping is not None and engine == "spark":
            raise ConfigError(
                "a mapping is applied by the local engine only; ingest with `polyslot ingest "
                "--mapping` first and run the Spark engine on the store",
                field="--mapping",
            )
        if mapping is not None:
            from polyslot.data.mapping import load_mapping

            load_mapping(mapping)  # a bad mapping stops before anything is written
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    for t in tasks.values():  # earlier steps are finished
                        bar.update(t, completed=bar.tasks[t].total)
                    tasks[step] = bar.add_task(step, total=max(total, 1))
                bar.update(tasks[step], completed=done, total=max(total, 1))

            if engine == "spark":
                from polyslot.runners.spark import run_spark

                outcome = run_spark(data, cfg, out, progress)
            else:
                from polyslot.runners.local import run_local

                outcome = run_local(
                    None if data is None else Path(data), cfg, out, progress, mapping=mapping
                )
            for t in tasks.values():
                bar.update(t, completed=bar.tasks[t].total)
        _print_summary(outcome)
        if "network/plan.json" in outcome.files:  # the network answer (issue 23)
            import json

            from polyslot.cli.network import print_plan

            print_plan(json.loads(outcome.files["network/plan.json"].read_text(encoding="utf-8")))
        if outcome.summary.get("skipped") and not outcome.summary["network"].get("n_polyclinics"):
            why = "; ".join(
                f"{s['polyclinic_id']}: {s['reason']}" for s in outcome.summary["skipped"]
            )
            print(f"error: no polyclinic could be planned ({why})", file=sys.stderr)
            raise typer.Exit(2)
        if strict and outcome.summary.get("skipped"):
            console.print(
                f"[red]--strict: {len(outcome.summary['skipped'])} polyclinic(s) skipped[/red]"
            )
            raise typer.Exit(3)


def _num(v: object, fmt: str) -> str:
    return "n/a" if v is None else fmt.format(v)


def _verdict(r: dict) -> str:
    v = r.get("verdict")
    if v is None:
        return ""
    return f"{v} (low confidence)" if r.get("confidence") == "low" else str(v)


def _print_trust(summary: dict) -> None:
    """Headline source, trade-offs, skipped and low-confidence polyclinics."""
    src = summary["network"].get("source")
    console.print(f"headline source: {src} (simulated clinic days unless they disagree)")
    for r in summary["polyclinics"]:
        if r.get("traded"):
            console.print(f"trade-off at {r['polyclinic_id']}: {r['traded']}")
    for s in summary.get("skipped", []):
        console.print(f"[yellow]skipped {s['polyclinic_id']}: {s['reason']}[/yellow]")
    for r in summary["polyclinics"]:
        if r.get("confidence") == "low" and r.get("verdict") != "skipped":
            console.print(f"[yellow]low confidence {r['polyclinic_id']}: {r['reason']}[/yellow]")


def _print_summary(outcome) -> None:  # noqa: ANN001 - RunOutcome, imported lazily
    table = Table(title="current vs recommended (per average week; source per row)")
    for col in (
        "polyclinic",
        "wait now (min)",
        "wait new (min)",
        "util now",
        "util new",
        "patients/wk now",
        "patients/wk new",
    ):
        table.add_column(col, justify="right")
    rows = [
        *outcome.summary["polyclinics"],
        {**outcome.summary["network"], "polyclinic_id": "NETWORK"},
    ]
    rows = [r for r in rows if "wait_mean_current" in r]
    table.add_column("source")
    table.add_column("verdict")
    for r in rows:
        if r.get("verdict") == "skipped":
            continue
        table.add_row(
            str(r["polyclinic_id"]),
            _num(r["wait_mean_current"], "{:.1f}"),
            _num(r["wait_mean_recommended"], "{:.1f}"),
            _num(r["utilization_current"], "{:.1%}"),
            _num(r["utilization_recommended"], "{:.1%}"),
            _num(r["patients_served_current"], "{:.0f}"),
            _num(r["patients_served_recommended"], "{:.0f}"),
            str(r.get("source") or ""),
            _verdict(r),
        )
    console.print(table)
    _print_trust(outcome.summary)
    out = outcome.out_dir
    from polyslot.cli.ingest import print_quality_lines

    print_quality_lines(out / "store" / "data_quality.json")
    console.print(f"report:    {out / 'report.html'}")
    console.print(f"guide:     {out / 'guide.md'}")
    console.print(f"templates: {out / 'templates'}/")
    console.print(f"summary:   {out / 'summary.json'}")
