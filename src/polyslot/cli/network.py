"""``polyslot network OUT``: redo the network plan of a finished run (doctor-sessions moved
between polyclinics, the hiring answer; ``out/network/``, the report's and the guide's network
parts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from polyslot.cli._common import console, echo_json, handle_errors


def print_plan(doc: dict[str, Any]) -> None:
    """The plan's message, its moves and the hiring answer, in a few lines."""
    if not doc:
        return
    console.print(f"network plan: {doc.get('message', '')}")
    for m in doc.get("moves", []):
        console.print(
            f"  {m['order']:>2}. {m['weekday']} {m['session']} {m['start_time']}-{m['end_time']}: "
            f"{m['from']} ({m['doctor_session']}) -> {m['to']}"
        )
    for h in doc.get("added_sessions", []):
        added = h["added"] if h["reachable"] else f"more than {h['added']}"
        console.print(f"  hire: {h['polyclinic_id']} {h['weekday']}: {added} doctor-session(s)"
                      f" (AM {h['AM']}, PM {h['PM']})")


def register(app: typer.Typer) -> None:
    """Add the ``network`` command to ``app``."""

    @app.command("network")
    @handle_errors
    def network(
        out: Annotated[Path, typer.Argument(help="Output folder of a finished polyslot run.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print plan.json.")] = False,
    ) -> None:
        """Redo the network plan of a finished run: which doctor-sessions move between
        polyclinics, and how many added ones the overloaded polyclinics need (writes
        OUT/network/ and the network parts of report.html and guide.md)."""
        from polyslot.network import redo_network

        doc = redo_network(out)
        if as_json:
            echo_json(doc)
            return
        print_plan(doc)
        console.print(f"written: {Path(out) / 'network'}")
