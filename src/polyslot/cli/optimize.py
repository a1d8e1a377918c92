"""``polyslot optimize --model model/ --out templates/``: recommended slot templates."""

from __future__ import annotations

from pathlib import Path

import typer

from polyslot.cli._common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` command to ``app``."""

    @app.command("optimize")
    @handle_errors
    def optimize(
        model: Path = typer.Option(..., "--model", help="Folder of ClinicModel JSON files."),
        out: Path = typer.Option(..., "--out", help="Output folder for templates."),
        solver: str = typer.Option("highs", help="MIP solver: highs or cbc."),
        time_limit: float = typer.Option(
            300.0,
            help="Wall-clock safety net per MIP (seconds); the node limit stops the solver first "
            "so that results do not depend on the machine's load.",
        ),
        gap: float = typer.Option(5e-3, help="Relative MIP gap."),
        bucket_minutes: int = typer.Option(60, help="Allocation bucket length (minutes)."),
        workers: int = typer.Option(2, help="Processes (one polyclinic each)."),
        on_infeasible: str = typer.Option(
            "relax", help="relax (apply and report the smallest relaxation) or raise."
        ),
    ) -> None:
        """Solve the allocation MIP and sequence every doctor session, per polyclinic."""
        from polyslot.cli.requests import optimize_directory
        from polyslot.optimize.config import OptimizeConfig

        config = OptimizeConfig(
            solver=solver,
            time_limit=time_limit,
            gap_rel=gap,
            bucket_minutes=bucket_minutes,
            on_infeasible=on_infeasible,
        )
        summary = optimize_directory(model, out, config, workers=workers)
        for c in summary["polyclinics"]:
            days = c["weekdays"]
            wait_new = sum(d["recommended"]["total_wait"] for d in days)
            wait_cur = sum(d["current"]["total_wait"] for d in days)
            thr_new = sum(d["throughput_recommended"] for d in days)
            thr_cur = sum(d["throughput_current"] for d in days)
            console.print(
                f"{c['polyclinic_id']}: {c['status']}, waiting {wait_cur:.0f} -> {wait_new:.0f} "
                f"min/week, throughput {thr_cur:.1f} -> {thr_new:.1f} requests/week"
            )
            for d in days:
                if d.get("relaxed"):
                    console.print(f"  {d['weekday']} relaxed: {'; '.join(d['relaxation'])}")
        console.print(f"wrote {out / 'optimize_summary.json'}")
