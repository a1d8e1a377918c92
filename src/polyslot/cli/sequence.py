"""``polyslot sequence REQUEST.json``: appointment times of one doctor session."""

from __future__ import annotations

from pathlib import Path

import typer

from polyslot.cli._common import console, echo_json, handle_errors, read_json_file


def register(app: typer.Typer) -> None:
    """Add the ``sequence`` command to ``app``."""

    @app.command("sequence")
    @handle_errors
    def sequence(
        request: Path = typer.Argument(..., help="Sequencing request JSON."),
        fmt: str = typer.Option("text", "--format", help="Output format: text or json."),
    ) -> None:
        """Sequence one session's patients (Kaandorp-Koole local search, exact objective)."""
        from polyslot.cli.requests import sequence_request
        from polyslot.errors import InputError

        if fmt not in ("text", "json"):
            raise InputError("must be 'text' or 'json'", field="--format", value=fmt)
        out = sequence_request(read_json_file(request), source=str(request))
        if fmt == "json":
            echo_json(out)
            return
        console.print(f"objective: {out['objective']:.4f}")
        for k, p in enumerate(out["patients"]):
            vt = p.get("visit_type", "")
            console.print(f"  {k:3d}  slot {p['appointment']:5d}  {vt}")
        console.print(f"counts per interval: {out['counts']}")
