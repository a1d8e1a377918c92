"""The ``polyslot`` command line: thin, one library call per command.

Each command lives in its own module ``polyslot.cli.<name>`` exposing ``register(app)``; every
module of ``_COMMAND_MODULES`` must exist (a missing one is an error, never a silently absent
command).
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="polyslot",
    help="Turn a polyclinic network's appointment history into better appointment-slot templates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMAND_MODULES = (
    "demo_data",
    "ingest",
    "map",
    "evaluate",
    "estimate",
    "sequence",
    "optimize",
    "simulate",
    "capacity",
    "run",
    "kpis",
    "network",
    "studio",
)


@app.callback()
def _root() -> None:
    """polyslot: appointment-slot templates from appointment history."""


for _name in _COMMAND_MODULES:
    importlib.import_module(f"polyslot.cli.{_name}").register(app)


def main() -> None:
    """Entry point of the ``polyslot`` console script."""
    app()


@app.command("version")
def version() -> None:
    """Print polyslot's version."""
    from importlib.metadata import version as _v

    print(_v("polyslot"))
