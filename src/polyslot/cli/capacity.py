"""``polyslot capacity``: first-visit / revisit capacity plan under a breach risk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from polyslot.cli._common import console, echo_json, handle_errors, read_json_file
from polyslot.errors import InputError


def _render_table(out: dict[str, Any]) -> None:
    from rich.table import Table

    head = Table(title=f"Capacity plan ({out['method']}, epsilon={out['epsilon']:g})")
    head.add_column("measure")
    head.add_column("value", justify="right")
    risk = out["violation_risk"]
    lead = out["lead_time"]
    head.add_row("capacity_max (minutes)", f"{out['capacity_max']:.1f}")
    head.add_row("breach risk, exact", f"{risk['exact']:.4f}")
    head.add_row(
        "breach risk, Monte Carlo", f"{risk['monte_carlo']:.4f} +/- {risk['monte_carlo_ci']:.4f}"
    )
    head.add_row(
        "FV lead time median / pct / max",
        f"{lead['median']} / {lead['percentile']} / {lead['max']}",
    )
    if "doctors_max" in out:
        head.add_row("doctors needed (max per day)", str(out["doctors_max"]))
    console.print(head)
    per = Table(title="Capacity by period")
    per.add_column("period", justify="right")
    per.add_column("minutes", justify="right")
    if "doctors_by_period" in out:
        per.add_column("doctors", justify="right")
    for j, c in enumerate(out["capacity_by_period"]):
        row = [str(j), f"{c:.1f}"]
        if "doctors_by_period" in out:
            row.append(str(out["doctors_by_period"][j]))
        per.add_row(*row)
    console.print(per)


def register(app: typer.Typer) -> None:
    """Add the ``capacity`` command to ``app``."""

    @app.command("capacity")
    @handle_errors
    def capacity(
        input_json: Path | None = typer.Argument(
            None, help="Capacity problem JSON (docs/capacity.md); omit with --from-data."
        ),
        method: str = typer.Option("bonferroni", "--method", help="bonferroni or joint."),
        fmt: str = typer.Option("json", "--format", help="json or table."),
        solver: str = typer.Option("highs", "--solver", help="highs or cbc."),
        from_data: bool = typer.Option(
            False, "--from-data", help="Build the problem from --data and --model."
        ),
        data: Path | None = typer.Option(None, "--data", help="Store folder or polyslot.duckdb."),
        model: Path | None = typer.Option(None, "--model", help="ClinicModel JSON."),
        fv_types: str | None = typer.Option(
            None, "--fv-types", help="Comma-separated first-visit types (default: *new*/*first*)."
        ),
        rv_types: str | None = typer.Option(
            None, "--rv-types", help="Comma-separated revisit types (default: *follow*, ...)."
        ),
        polyclinic: str | None = typer.Option(None, "--polyclinic", help="Polyclinic id filter."),
        weeks: int = typer.Option(4, "--weeks", help="Arrival horizon in weeks (--from-data)."),
        epsilon: float = typer.Option(0.05, "--epsilon", help="Breach risk (--from-data)."),
        median: int = typer.Option(3, "--median", help="FV median lead target, days."),
        percentile: int = typer.Option(7, "--percentile", help="FV p-th percentile target."),
        p: float = typer.Option(90.0, "--p", help="Percentile level p (50 < p < 100)."),
        max_lead: int = typer.Option(14, "--max", help="FV maximum lead target, days."),
        out: Path | None = typer.Option(None, "--out", help="Also write the JSON result here."),
    ) -> None:
        """Minimum consultation capacity per period so FV patients meet lead-time targets and
        RV patients their window, with breach risk <= epsilon (exit 2 when infeasible)."""
        from polyslot.capacity.model import METHODS, plan_capacity

        if method not in METHODS:
            raise InputError(f"expected one of {METHODS}", field="--method", value=method)
        if fmt not in ("json", "table"):
            raise InputError("expected json or table", field="--format", value=fmt)
        if from_data:
            if data is None or model is None:
                raise InputError("--from-data needs --data and --model", field="--from-data")
            from polyslot.capacity.from_store import plan_capacity_from_data
            from polyslot.capacity.inputs import LeadTimeTargets
            from polyslot.clinic_model import ClinicModel

            result = plan_capacity_from_data(
                data,
                ClinicModel.from_json(model),
                targets=LeadTimeTargets(median, percentile, max_lead, p),
                fv_types=_split(fv_types),
                rv_types=_split(rv_types),
                weeks=weeks,
                epsilon=epsilon,
                method=method,
                polyclinic_id=polyclinic,
                solver=solver,
            )
        else:
            if input_json is None:
                raise InputError("give INPUT.json or --from-data", field="INPUT")
            from polyslot.capacity.inputs import parse_capacity_input

            inp = parse_capacity_input(read_json_file(input_json), source=str(input_json))
            result = plan_capacity(inp, method, solver=solver).to_dict()
        if out is not None:
            from polyslot.atomic import write_json

            write_json(out, result)
        if fmt == "json":
            echo_json(result)
        else:
            _render_table(result)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None
