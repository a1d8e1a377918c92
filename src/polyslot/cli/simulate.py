"""``polyslot simulate``: SimPy simulation of a session schedule, a clinic day, or a replay."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Runs:
    """The replication options every mode shares."""

    replications: int
    seed: int
    workers: int
    target_rel: float | None
    target_abs: float | None


def _session(schedule: Path, runs: _Runs) -> dict[str, Any]:
    """One doctor's session schedule, simulated in appointment order."""
    from polyslot.schedule import parse_schedule
    from polyslot.simulate.session import simulate_session

    sched = parse_schedule(read_json_file(schedule), source=str(schedule))
    return simulate_session(
        sched,
        replications=runs.replications,
        seed=runs.seed,
        workers=runs.workers,
        target_rel=runs.target_rel,
        target_abs=runs.target_abs,
    ).to_dict()


def _model_and_template(model: Path, template: Path | None) -> tuple[Any, Any]:
    from polyslot.clinic_model import ClinicModel
    from polyslot.template import SlotTemplate

    cm = _load(ClinicModel.from_dict, model, "ClinicModel")
    tpl = None if template is None else _load(SlotTemplate.from_dict, template, "SlotTemplate")
    return cm, tpl


def _clinic_day(
    model: Path, template: Path | None, weekday: int, cfg: Any, runs: _Runs
) -> dict[str, Any]:
    """A clinic day of ``template`` (default: the model's current one), replicated."""
    from polyslot.day import build_day
    from polyslot.simulate.clinic_runs import simulate_clinic_day

    cm, tpl = _model_and_template(model, template)
    day = build_day(
        cm,
        tpl or cm.current_template,
        weekday,
        discipline=cfg.discipline,
        late_threshold=cfg.late_threshold,
    )
    return simulate_clinic_day(
        day,
        service_mode=cfg.service_mode,
        replications=runs.replications,
        seed=runs.seed,
        workers=runs.workers,
        target_rel=runs.target_rel,
        target_abs=runs.target_abs,
    )


def _replay(
    model: Path,
    template: Path | None,
    store: Path,
    window: tuple[str | None, str | None, str | None],
    cfg: Any,
    runs: _Runs,
    staffing: str,
) -> dict[str, Any]:
    """Recorded days of ``store`` replayed under the recorded, current (and given) template."""
    from polyslot.simulate.history import load_history
    from polyslot.simulate.replay import replay as run_replay

    cm, tpl = _model_and_template(model, template)
    polyclinic, start, end = window
    days = load_history(str(store), polyclinic or cm.polyclinic_id, start=start, end=end)
    scen: dict[str, Any] = {"recorded": None, "current": cm.current_template}
    if tpl is not None:
        scen["candidate"] = tpl
    return run_replay(
        days, cm, scen, config=cfg, seed=runs.seed, workers=runs.workers, staffing=staffing
    ).to_dict()


def _render(result: dict[str, Any], fmt: str, out: Path | None) -> None:
    """Write ``result`` to ``out`` (if given) and print it as JSON or a table."""
    if out is not None:
        from polyslot.atomic import write_json

        write_json(out, result)
    if fmt == "json":
        echo_json(result)
        return
    if "totals" in result:
        result = {f"{n}.{k}": v for n, row in result["totals"].items() for k, v in row.items()}
    _table(result)


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
        discipline: Annotated[
            str,
            typer.Option(
                help="auto (the one the model's history shows), pooled, per_doctor or dedicated."
            ),
        ] = "auto",
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
        runs = _Runs(replications, seed, workers, target_rel, target_abs)
        if schedule is not None:
            result = _session(schedule, runs)
        elif model is not None:
            from polyslot.clinic_model import ClinicModel
            from polyslot.day import model_discipline
            from polyslot.simulate.clinic import ClinicConfig

            cm = _load(ClinicModel.from_dict, model, "ClinicModel")
            cfg = ClinicConfig(model_discipline(cm, discipline), late_threshold, service)
            if replay is not None:
                window = (polyclinic, start, end)
                result = _replay(model, template, replay, window, cfg, runs, staffing)
            else:
                result = _clinic_day(model, template, weekday, cfg, runs)
        else:
            raise InputError("give a SCHEDULE file or --model", field="SCHEDULE", value=None)
        _render(result, fmt, out)
