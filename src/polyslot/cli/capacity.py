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
    head.add_row("solver status", str(out["status"]))
    head.add_row("gap to lower bound", f"{out['gap']:.4%} (lower bound {out['lower_bound']:.1f})")
    head.add_row("solve seconds", f"{out['solve_seconds']:.2f}")
    if "doctors_max" in out:
        head.add_row("doctors needed (max per day)", str(out["doctors_max"]))
    console.print(head)
    per = Table(title="Capacity by period")
    per.add_column("period", justify="right")
    per.add_column("minutes", justify="right")
    per.add_column("reserved FV slots", justify="right")
    per.add_column("FV seen", justify="right")
    per.add_column("RV seen", justify="right")
    if "doctors_by_period" in out:
        per.add_column("doctors", justify="right")
    reserved = out["reserved_fv_slots"]
    for j, c in enumerate(out["capacity_by_period"]):
        row = [
            str(j),
            f"{c:.1f}",
            str(reserved[j]) if j < len(reserved) else "",
            f"{out['fv_seen'][j]:.0f}",
            f"{out['rv_seen'][j]:.1f}",
        ]
        if "doctors_by_period" in out:
            row.append(str(out["doctors_by_period"][j]))
        per.add_row(*row)
    console.print(per)


_FROM_DATA_ONLY = ("--data", "--model", "--fv-types", "--rv-types", "--polyclinic", "--weeks")
_DEFAULT_TARGETS = {"median": 3, "percentile": 7, "p": 90.0, "max": 14}


def _solver_options(gap: float | None, time_limit: float | None) -> dict[str, float]:
    """``gap_rel`` and ``time_limit`` for :func:`plan_capacity` (validated; defaults 1%, 60 s)."""
    gap = 0.01 if gap is None else gap
    time_limit = 60.0 if time_limit is None else time_limit
    if not 0.0 <= gap < 1.0:
        raise InputError("expected a relative gap in [0, 1)", field="--gap", value=gap)
    if not time_limit > 0:
        raise InputError("expected seconds > 0", field="--time-limit", value=time_limit)
    return {"gap_rel": gap, "time_limit": time_limit}


_FLAGS = {"median": "--median", "percentile": "--percentile", "p": "--p", "max": "--max"}


def _targets(base: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """Lead-time targets: ``base`` with every option that was given replacing its field.

    An invalid combination names the options that were given (or the field, when none was).
    """
    from polyslot.capacity.inputs import LeadTimeTargets

    given = {k: v for k, v in overrides.items() if v is not None}
    t = {**base, **given}
    try:
        return LeadTimeTargets(int(t["median"]), int(t["percentile"]), int(t["max"]), float(t["p"]))
    except InputError as exc:
        name = str(exc.field).removeprefix("targets.")
        flags = [_FLAGS[k] for k in given]
        field = _FLAGS[name] if name in given else (", ".join(flags) or str(exc.field))
        shown = ", ".join(f"{k}={t[k]:g}" for k in ("median", "percentile", "max", "p"))
        raise InputError(f"{str(exc).split(': ')[-1]} ({shown})", field=field) from None


def _from_file(
    input_json: Path,
    method: str,
    solver: str,
    epsilon: float | None,
    targets: dict[str, Any],
    opts: dict[str, float],
) -> dict[str, Any]:
    """Plan for INPUT.json; ``--epsilon`` and the target options override its fields."""
    from polyslot.capacity.inputs import parse_capacity_input
    from polyslot.capacity.model import plan_capacity

    raw = read_json_file(input_json)
    if isinstance(raw, dict):
        if epsilon is not None:
            if not 0.0 < epsilon < 1.0:
                raise InputError(
                    "expected a probability in (0, 1)", field="--epsilon", value=epsilon
                )
            raw["epsilon"] = epsilon
        given = {k: v for k, v in targets.items() if v is not None}
        if given and isinstance(raw.get("targets"), dict):
            _targets({**_DEFAULT_TARGETS, **raw["targets"]}, given)  # an error names the flags
            raw["targets"] = {**raw["targets"], **given}
    inp = parse_capacity_input(raw, source=str(input_json))
    return plan_capacity(
        inp, method, solver=solver, gap_rel=opts["gap_rel"], time_limit=opts["time_limit"]
    ).to_dict()


def register(app: typer.Typer) -> None:
    """Add the ``capacity`` command to ``app``."""

    @app.command("capacity")
    @handle_errors
    def capacity(  # noqa: PLR0913
        input_json: Path | None = typer.Argument(
            None, help="Capacity problem JSON (docs/capacity.md); omit with --from-data."
        ),
        method: str = typer.Option("bonferroni", "--method", help="bonferroni or joint."),
        fmt: str = typer.Option("json", "--format", help="json or table."),
        solver: str = typer.Option("highs", "--solver", help="highs or cbc."),
        gap: float | None = typer.Option(
            None, "--gap", help="Accepted relative gap to the lower bound (default 0.01)."
        ),
        time_limit: float | None = typer.Option(
            None, "--time-limit", help="Seconds for the whole solve (default 60)."
        ),
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
        weeks: int | None = typer.Option(
            None, "--weeks", help="Arrival horizon in weeks (--from-data; default 4)."
        ),
        epsilon: float | None = typer.Option(
            None, "--epsilon", help="Breach risk (default 0.05; overrides INPUT's epsilon)."
        ),
        median: int | None = typer.Option(
            None, "--median", help="FV median lead target, days (default 3; overrides INPUT)."
        ),
        percentile: int | None = typer.Option(
            None, "--percentile", help="FV p-th percentile target (default 7; overrides INPUT)."
        ),
        p: float | None = typer.Option(
            None, "--p", help="Percentile level p, 50 < p < 100 (default 90; overrides INPUT)."
        ),
        max_lead: int | None = typer.Option(
            None, "--max", help="FV maximum lead target, days (default 14; overrides INPUT)."
        ),
        out: Path | None = typer.Option(None, "--out", help="Also write the JSON result here."),
    ) -> None:
        """Minimum consultation capacity per period so FV patients meet lead-time targets and
        RV patients their window, with breach risk <= epsilon (exit 2 when infeasible).

        With INPUT.json, --epsilon, --median, --percentile, --p and --max override the file's
        fields; --data, --model, --fv-types, --rv-types, --polyclinic and --weeks apply only to
        --from-data."""
        from polyslot.capacity.model import METHODS

        if method not in METHODS:
            raise InputError(f"expected one of {METHODS}", field="--method", value=method)
        if fmt not in ("json", "table"):
            raise InputError("expected json or table", field="--format", value=fmt)
        opts = _solver_options(gap, time_limit)
        targets = {"median": median, "percentile": percentile, "p": p, "max": max_lead}
        if from_data:
            if input_json is not None:
                raise InputError("give INPUT.json or --from-data, not both", field="INPUT")
            if data is None or model is None:
                raise InputError("--from-data needs --data and --model", field="--from-data")
            from polyslot.capacity.from_store import plan_capacity_from_data
            from polyslot.clinic_model import ClinicModel

            result = plan_capacity_from_data(
                data,
                ClinicModel.from_json(model),
                targets=_targets(_DEFAULT_TARGETS, targets),
                fv_types=_split(fv_types),
                rv_types=_split(rv_types),
                weeks=4 if weeks is None else weeks,
                epsilon=0.05 if epsilon is None else epsilon,
                method=method,
                polyclinic_id=polyclinic,
                solver=solver,
                gap_rel=opts["gap_rel"],
                time_limit=opts["time_limit"],
            )
        else:
            if input_json is None:
                raise InputError("give INPUT.json or --from-data", field="INPUT")
            given = (data, model, fv_types, rv_types, polyclinic, weeks)
            for name, value in zip(_FROM_DATA_ONLY, given, strict=True):
                if value is not None:
                    raise InputError(
                        f"{name} applies only to --from-data (INPUT.json was given)", field=name
                    )
            result = _from_file(input_json, method, solver, epsilon, targets, opts)
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
