"""``polyslot map``: profile a raw export and draft the mapping that reads it."""

from __future__ import annotations

from pathlib import Path

import typer

from polyslot.cli._common import console, handle_errors


def register(app: typer.Typer) -> None:
    """Add the ``map`` command to ``app``."""

    @app.command("map")
    @handle_errors
    def map_cmd(
        source: Path = typer.Argument(
            ..., help="The raw export: CSV, Excel, Parquet, DuckDB or FHIR NDJSON."
        ),
        table: str = typer.Option(
            "attendances",
            "--table",
            help="Contract table the export holds, or 'facility' (a table of the polyclinics' "
            "doctors and opening hours, drafted as the [facility] section).",
        ),
        out: Path = typer.Option(None, "--out", help="Write the draft here (default: print it)."),
    ) -> None:
        """Draft a mapping.toml for SOURCE: every guess is marked REVIEW; edit, then
        `polyslot run --data SOURCE --mapping mapping.toml`."""
        from polyslot.data.mapping.draft_toml import draft_source
        from polyslot.data.schema import TABLE_NAMES
        from polyslot.errors import InputError

        if table not in (*TABLE_NAMES, "facility"):
            raise InputError(
                f"unknown table; expected one of {', '.join(TABLE_NAMES)} or facility",
                field="--table",
                value=table,
            )
        res = draft_source(source, table, out)
        if out is None:
            print(res.text, end="")
            return
        d = res.draft
        if table == "facility":
            console.print(f"drafted {out}: the [facility] section; add it to the mapping file")
            return
        console.print(
            f"drafted {out}: {len(d.guesses)} columns guessed (marked REVIEW), "
            f"{len(d.missing)} not found, {len(d.unplaced)} source columns not placed"
        )
        if res.facility is not None:
            console.print(f"facility table offered: {res.facility.file} (marked REVIEW)")
        if table == "attendances":
            console.print(f"next: edit it, then `polyslot run --data {source} --mapping {out}`")
        else:
            console.print(
                f"next: edit it; one mapping file holds every table's section (append this one), "
                f"used with `polyslot ingest ... --{table.replace('_', '-')} {source} --mapping`"
            )
