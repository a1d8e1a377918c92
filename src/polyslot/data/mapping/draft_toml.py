"""``polyslot map``: profile a raw source and write a commented draft ``mapping.toml``.

The draft always parses (:func:`polyslot.data.mapping.parse_mapping` is run on it before it
is written). Every guessed line ends with ``# REVIEW: <why>``; the header lists every source
column with sample values and what it was placed as; columns and status values that could not
be placed are listed in comments; a column the export lacks is said to be left out (unknown
for every row) or derived. A facility table beside the export is offered as ``[facility]``
(:mod:`.draft_facility`); ``--table facility`` drafts that section alone.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from polyslot.atomic import atomic_path
from polyslot.data.mapping.draft import Draft, Guess, draft_mapping
from polyslot.data.mapping.draft_facility import (
    FacilityGuess,
    find_facility,
    guess_facility,
    render_facility,
)
from polyslot.data.mapping.model import TableMapping
from polyslot.data.mapping.parse import FACILITY, parse_mapping
from polyslot.data.mapping.profile import PROFILE_ROWS, ColumnProfile, profile_frame
from polyslot.data.readers import TableSource, open_raw
from polyslot.data.schema import TableSpec, get_spec
from polyslot.errors import DataError

__all__ = ["DraftResult", "draft_source", "render_draft"]

_FACILITY_SPEC = TableSpec(FACILITY, ())


@dataclass(frozen=True)
class DraftResult:
    """A written draft: its text, the file, and what was guessed."""

    text: str
    path: Path | None
    draft: Draft
    profiles: tuple[ColumnProfile, ...]
    facility: FacilityGuess | None = None


def _s(value: str) -> str:
    """A TOML basic string."""
    return json.dumps(value, ensure_ascii=False)


def _open(source: Path, spec: TableSpec) -> tuple[TableSource, str | None]:
    try:
        return open_raw(source, spec), None
    except DataError as exc:
        if "not UTF-8" not in str(exc):
            raise
    how = TableMapping("attendances", encoding="latin-1")
    return open_raw(source, spec, mapping=how), "latin-1"


def _unique_within(frame: pd.DataFrame):  # noqa: ANN202 - draft.UniqueWithin
    def unique(column: str, clinic: str | None) -> bool:
        if frame[column].isna().any():
            return False
        cols = [column] if clinic is None else [clinic, column]
        return not frame[cols].astype(str).duplicated().any()

    return unique


def _column_line(g: Guess) -> str:
    if g.row_number:
        value = "{ row_number = true }"
    elif g.pair:
        value = f"[{_s(g.pair[0])}, {_s(g.pair[1])}]"
    elif g.constant is not None:
        value = f"{{ value = {_s(g.constant)} }}"
    elif g.unit is not None:
        value = f"{{ column = {_s(g.source or '')}, unit = {_s(g.unit)} }}"
    else:
        value = _s(g.source or "")
    return f"{g.target} = {value}   # REVIEW: {g.why}"


def _missing_lines(draft: Draft) -> list[str]:
    spec = get_spec(draft.table)
    out = []
    for target in draft.missing:
        col = spec.column(target)
        if target in draft.derived:
            out.append(f"# {target}: no source column; derived as {draft.derived[target]}")
        elif col.nullable or not col.required:
            out.append(
                f"# {target}: no source column found; left out: unknown for every row (never "
                "a reason to quarantine)"
            )
        else:
            out.append(
                f'# {target} = "<source column>"   # REVIEW: no source column found; '
                f'required (or a constant: {target} = {{ value = "..." }})'
            )
    return out


def _values_lines(draft: Draft) -> list[str]:
    out = []
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
    if draft.visit_counter:
        out += [
            f"[{draft.table}.values.visit_type]",
            f'first_visit = ["1"]   # REVIEW: {draft.visit_counter!r} = 1: a first visit',
            'default = "revisit"   # REVIEW: every other value of the counter',
        ]
    for w in draft.when:
        out += [
            f"[[{draft.table}.when]]   # REVIEW: {w.why}",
            f"column = {_s(w.column)}   # REVIEW: the column flagging walk-ins",
            f"values = [{', '.join(_s(v) for v in w.values)}]   # REVIEW: its walk-in values",
            'set = { status = "walk_in" }   # REVIEW: their appointment time is cleared',
        ]
    return out


def render_draft(
    draft: Draft,
    profiles: list[ColumnProfile],
    source: str,
    rows: int,
    encoding: str | None = None,
    facility: list[str] | None = None,
) -> str:
    """The commented TOML of ``draft`` (``facility``: the lines of a ``[facility]`` section)."""
    placed: dict[str, list[str]] = {}
    for g in draft.guesses:
        for s in (g.source,) if g.source else g.pair or ():
            placed.setdefault(s, []).append(g.target)
    for w in draft.when:
        placed.setdefault(w.column, []).append("when rule (walk-ins)")
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
    out += _missing_lines(draft)
    out += _values_lines(draft)
    if draft.unplaced:
        names = ", ".join(repr(c) for c in draft.unplaced)
        out.append(f"# not placed (kept as extra columns): {names}")
    if facility:
        out += facility
    return "\n".join(out) + "\n"


def _write(text: str, out: str | os.PathLike[str] | None) -> Path | None:
    parse_mapping(tomllib.loads(text), str(out or "<draft>"))  # the draft must parse
    if out is None:
        return None
    written = Path(out)
    with atomic_path(written) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return written


def _facility_only(path: Path, out: str | os.PathLike[str] | None) -> DraftResult:
    src, encoding = _open(path, _FACILITY_SPEC)
    frame = next(iter(src.iter_batches(PROFILE_ROWS)), pd.DataFrame(columns=list(src.columns)))
    profiles = profile_frame(frame)
    guess = guess_facility(path, frame)
    if guess is None:
        raise DataError(
            "does not look like a facility table: expected one row per polyclinic with a "
            "polyclinic column and a number-of-doctors or opening-hours column",
            source=str(path),
        )
    mapping_dir = Path(out).parent if out is not None else Path.cwd()
    lines = [
        f"# [facility] drafted by `polyslot map --table facility` from {path}; add it to the "
        "mapping file of the attendances.",
    ]
    if encoding:
        lines.append(f"# the file is not UTF-8: add encoding = {_s(encoding)} under [facility]")
    text = "\n".join([*lines, *render_facility(guess, mapping_dir)]) + "\n"
    return DraftResult(text, _write(text, out), Draft(FACILITY), tuple(profiles), guess)


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
        The contract table the export holds, or ``facility`` (a facility table).
    out : path-like, optional
        Where to write the draft (atomically); nothing is written when None.
    """
    path = Path(os.fspath(source))
    if table == FACILITY:
        return _facility_only(path, out)
    src, encoding = _open(path, get_spec(table))
    frame = next(iter(src.iter_batches(PROFILE_ROWS)), pd.DataFrame(columns=list(src.columns)))
    frame = frame.head(PROFILE_ROWS)
    profiles = profile_frame(frame)
    name = path.name.split(".")[0] or "polyclinic"
    draft = draft_mapping(
        get_spec(table), profiles, unique_within=_unique_within(frame), source_name=name
    )
    facility = None
    if table == "attendances" and path.exists() and src.kind != "fhir":
        clinic = next((g for g in draft.guesses if g.target == "polyclinic_id"), None)
        clinics = (
            set(frame[clinic.source].dropna().astype(str).str.strip())
            if clinic is not None and clinic.source
            else None
        )
        facility = find_facility(path, clinics)
    mapping_dir = Path(out).parent if out is not None else Path.cwd()
    lines = render_facility(facility, mapping_dir) if facility else None
    text = render_draft(draft, profiles, str(path), len(frame), encoding, lines)
    return DraftResult(text, _write(text, out), draft, tuple(profiles), facility)
