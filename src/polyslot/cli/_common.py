"""Shared helpers of the thin CLI: error mapping, output writing, the console."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from polyslot.errors import PolyslotError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn a :class:`PolyslotError` into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolyslotError as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"error: {msg}", file=sys.stderr)
            raise typer.Exit(code=2) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, never a traceback for the user
            if os.environ.get("POLYSLOT_DEBUG"):
                raise
            first = (str(exc).splitlines() or [""])[0][:300]
            print(
                f"error: unexpected {type(exc).__name__}: {first} (a polyslot bug; please "
                "report it; POLYSLOT_DEBUG=1 shows the traceback)",
                file=sys.stderr,
            )
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def echo_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (no Rich markup, so it stays machine-readable)."""
    sys.stdout.write(json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


def read_json_file(path: Path) -> Any:
    """Read a JSON file, raising :class:`polyslot.errors.InputError` with the file name."""
    from polyslot.errors import InputError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", source=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=str(path)
        ) from None
