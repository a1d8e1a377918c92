"""``polyslot map``: profile a raw source and write a commented draft ``mapping.toml``.

The draft always parses (:func:`polyslot.data.mapping.parse_mapping` is run on it before it
is written). Every guessed line ends with ``# REVIEW: <why>``; the header lists every source
column with sample values and what it was placed as; columns and status values that could not
be placed are listed in comments.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from polyslot.atomic import atomic_path
from polyslot.data.mapping.draft import Draft, draft_mapping
from polyslot.data.mapping.parse import TableMapping, parse_mapping
from polyslot.data.mapping.profile import PROFILE_ROWS, ColumnProfile, profile_frame
from polyslot.data.readers import TableSource, open_raw
from polyslot.data.schema import get_spec
from polyslot.errors import DataError

__all__ = ["DraftResult", "draft_source", "render_draft"]


@dataclass(frozen=True)
class DraftResult:
    """A written draft: its text, the file, and what was guessed."""

    text: str
    path: Path | None
    draft: Draft
    profiles: tuple[ColumnProfile, ...]


def _s(value: str) -> str:
    """A TOML basic string."""
    return json.dumps(value, ensure_ascii=False)


def _open(source: Path, table: str) -> tuple[TableSource, str | None]:
    spec = get_spec(table)
    try:
        return open_raw(source, spec), None
    except DataError as exc:
        if "not UTF-8" not in str(exc):
            raise
    return open_raw(source, spec, mapping=TableMapping(table, encoding="latin-1")), "latin-1"


def _ids_restart(frame: pd.DataFrame, draft: Draft) -> bool:
    src = {g.target: g.source for g in draft.guesses}
    ids, clinics = src.get("attendance_id"), src.get("polyclinic_id")
    if not ids or not clinics:
        return False
    pairs = frame[[clinics, ids]].dropna()
    return bool(pairs[ids].duplicated().any() and not pairs.duplicated().any())


def _column_line(g) -> str:  # noqa: ANN001 - Guess
    if g.pair:
        value = f"[{_s(g.pair[0])}, {_s(g.pair[1])}]"
    elif g.constant is not None:
        value = f"{{ value = {_s(g.constant)} }}"
    else:
        value = _s(g.source)
    return f"{g.target} = {value}   # REVIEW: {g.why}"


def render_draft(
    draft: Draft,
    profiles: list[ColumnProfile],
    source: str,
    rows: int,
    encoding: str | None = None,
) -> str:
    """The commented TOML of ``draft``."""
    spec = get_spec(draft.table)
    placed: dict[str, list[str]] = {}
    for g in draft.guesses:
        for s in (g.source,) if g.source else g.pair or ():
            placed.setdefault(s, []).append(g.target)
    out = [
        f"# polyslot mapping drafted by `polyslot map` from {source} ({rows:,} rows profiled).",
        "# Every line marked REVIEW is a guess: check it, edit what is wrong, then run",
        f"#   polyslot run --data {source} --mapping <this file>",
        "# Keys: docs/data.md, 'Bring your own export'.",
        "#",
        "# Source columns (kind, distinct values, samples) -> contract column:",
    ]
    for p in profiles:
        to = ", ".join(placed.get(p.name, [])) or "NOT PLACED (kept as an extra column)"
        samples = ", ".join(repr(s) for s in p.samples) or "all empty"
        out.append(f"#   {p.name!r}: {p.kind}, {p.distinct:,} distinct: {samples} -> {to}")
    out.append("")
    if encoding:
        out.append(f"encoding = {_s(encoding)}   # REVIEW: the file is not UTF-8")
    out.append(f"[{draft.table}]")
    if draft.id_scope:
        out.append(
            f'id_scope = "{draft.id_scope}"   # REVIEW: ids repeat across polyclinics but '
            "never within one"
        )
    if draft.formats:
        fmts = ", ".join(_s(f) for f in draft.formats)
        out.append(f"timestamp_formats = [{fmts}]   # REVIEW: {draft.formats_why}")
    out.append(f"[{draft.table}.columns]")
    out += [_column_line(g) for g in draft.guesses]
    for target in draft.missing:
        col = spec.column(target)
        if col.nullable or not col.required:
            out.append(f"# {target}: no source column found; it is left empty")
        else:
            out.append(
                f'# {target} = "<source column>"   # REVIEW: no source column found; '
                f'required (or a constant: {target} = {{ value = "..." }})'
            )
    if draft.status_groups or draft.status_unplaced:
        out.append(f"[{draft.table}.values.status]")
        for status, values in draft.status_groups.items():
            vals = ", ".join(_s(v) for v in values)
            out.append(f"{status} = [{vals}]   # REVIEW: grouped by keyword")
        for value, n in draft.status_unplaced:
            out.append(
                f"# {value!r} ({n:,} rows): not placed; list it under a status or exclude, "
                "or its rows are quarantined as unknown_status"
            )
    if draft.unplaced:
        names = ", ".join(repr(c) for c in draft.unplaced)
        out.append(f"# not placed (kept as extra columns): {names}")
    return "\n".join(out) + "\n"


def draft_source(
    source: str | os.PathLike[str],
    table: str = "attendances",
    out: str | os.PathLike[str] | None = None,
) -> DraftResult:
    """Profile ``source`` (its first rows) and draft the mapping of ``table``.

    Parameters
    ----------
    source : path-like
        The raw export (CSV, Excel, Parquet, DuckDB, FHIR NDJSON).
    table : str
        The contract table the export holds.
    out : path-like, optional
        Where to write the draft (atomically); nothing is written when None.
    """
    path = Path(os.fspath(source))
    src, encoding = _open(path, table)
    frame = next(iter(src.iter_batches(PROFILE_ROWS)), pd.DataFrame(columns=list(src.columns)))
    frame = frame.head(PROFILE_ROWS)
    profiles = profile_frame(frame)
    draft = draft_mapping(get_spec(table), profiles)
    if table == "attendances" and _ids_restart(frame, draft):
        draft.id_scope = "polyclinic"
    text = render_draft(draft, profiles, str(path), len(frame), encoding)
    parse_mapping(tomllib.loads(text), str(out or "<draft>"))  # the draft must parse
    written = None
    if out is not None:
        written = Path(out)
        with atomic_path(written) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return DraftResult(text, written, draft, tuple(profiles))
