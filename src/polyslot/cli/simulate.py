"""``polyslot simulate``: SimPy simulation of a session schedule, a clinic day, or a replay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from polyslot.cli._common import console, echo_json, handle_errors, read_json_file


def _table(obj: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(show_header=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for k, v in obj.items():
        if isinstance(v, list | dict):
            continue
        table.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    console.print(table)


def _load(build: Any, path: Path, what: str) -> Any:
    """Build a typed object from a JSON file; a malformed structure is an InputError."""
    from polyslot.errors import InputError, PolyslotError

    data = read_json_file(path)
    try:
        return build(data)
    except PolyslotError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"not a valid {what} ({type(exc).__name__}: {exc})", source=str(path)
        ) from None


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""

    @app.command("simulate")
    @handle_errors
    def simulate(
        schedule: Annotated[
            Path | None, typer.Argument(help="Single-session schedule JSON (evaluate format).")
        ] = None,
        replications: Annotated[int, typer.Option(help="Replications (cap with targets).")] = 1000,
        seed: Annotated[int, typer.Option(help="Master seed.")] = 0,
        fmt: Annotated[str, typer.Option("--format", help="json or table.")] = "json",
        target_rel: Annotated[
            float | None, typer.Option(help="Stop at 95% CI half-width <= this x mean.")
        ] = None,
        target_abs: Annotated[
            float | None, typer.Option(help="Stop at 95% CI half-width <= this.")
        ] = None,
        workers: Annotated[int, typer.Option(help="Processes (1 = serial).")] = 1,
        model: Annotated[Path | None, typer.Option(help="ClinicModel JSON (clinic mode).")] = None,
        template: Annotated[
            Path | None, typer.Option(help="SlotTemplate JSON (default: model's current).")
        ] = None,
        weekday: Annotated[int, typer.Option(help="Weekday 0=Mon..6=Sun (clinic mode).")] = 0,
        discipline: Annotated[str, typer.Option(help="fcfs, dedicated or appointment.")] = "fcfs",
        late_threshold: Annotated[
            float | None, typer.Option(help="Minutes late beyond which seen as walk-in.")
        ] = 15.0,
        service: Annotated[str, typer.Option(help="pmf or lognormal consultation times.")] = "pmf",
        replay: Annotated[
            Path | None, typer.Option(help="DuckDB store to replay (needs --model).")
        ] = None,
        polyclinic: Annotated[str | None, typer.Option(help="Polyclinic id (replay).")] = None,
        start: Annotated[str | None, typer.Option(help="First date (replay).")] = None,
        end: Annotated[str | None, typer.Option(help="Last date (replay).")] = None,
        staffing: Annotated[
            str, typer.Option(help="Replay doctors: roster (recorded) or template sessions.")
        ] = "roster",
        out: Annotated[Path | None, typer.Option(help="Also write the JSON here.")] = None,
    ) -> None:
        """Simulate a schedule (appointment order, one doctor), a clinic day, or replay history."""
        from polyslot.errors import InputError

        if fmt not in ("json", "table"):
            raise InputError("must be 'json' or 'table'", field="--format", value=fmt)
        if schedule is not None:
            from polyslot.schedule import parse_schedule
            from polyslot.simulate.session import simulate_session

            sched = parse_schedule(read_json_file(schedule), source=str(schedule))
            result = simulate_session(
                sched,
                replications=replications,
                seed=seed,
                workers=workers,
                target_rel=target_rel,
                target_abs=target_abs,
            ).to_dict()
        elif model is not None:
            from polyslot.clinic_model import ClinicModel
            from polyslot.simulate.clinic import ClinicConfig
            from polyslot.template import SlotTemplate

            cfg = ClinicConfig(discipline, late_threshold, service)
            cm = _load(ClinicModel.from_dict, model, "ClinicModel")
            tpl = None
            if template is not None:
                tpl = _load(SlotTemplate.from_dict, template, "SlotTemplate")
            if replay is not None:
                from polyslot.simulate.history import load_history
                from polyslot.simulate.replay import replay as run_replay

                days = load_history(
                    str(replay), polyclinic or cm.polyclinic_id, start=start, end=end
                )
                scen: dict[str, Any] = {"recorded": None, "current": cm.current_template}
                if tpl is not None:
                    scen["candidate"] = tpl
                result = run_replay(
                    days, cm, scen, config=cfg, seed=seed, workers=workers, staffing=staffing
                ).to_dict()
            else:
                from polyslot.simulate.clinic_runs import simulate_clinic_day

                result = simulate_clinic_day(
                    cm,
                    tpl,
                    weekday,
                    config=cfg,
                    replications=replications,
                    seed=seed,
                    workers=workers,
                    target_rel=target_rel,
                    target_abs=target_abs,
                )
        else:
            raise InputError("give a SCHEDULE file or --model", field="SCHEDULE", value=None)
        if out is not None:
            from polyslot.atomic import write_json

            write_json(out, result)
        if fmt == "json":
            echo_json(result)
        else:
            if "totals" in result:
                result = {
                    f"{n}.{k}": v for n, row in result["totals"].items() for k, v in row.items()
                }
            _table(result)
