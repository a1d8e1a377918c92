"""Draft the ``[facility]`` section: a facility (master) table of the polyclinics.

``polyslot map FILE --table facility`` drafts it from ``FILE``; ``polyslot map EXPORT`` offers
one when a file beside the export looks like a facility table: a polyclinic column whose values
meet the export's, and a number-of-doctors column or an opening-hours column whose texts
:func:`polyslot.data.mapping.hours.parse_hours` reads. Every guess is marked REVIEW.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from polyslot.data.mapping.hours import HoursError, parse_hours
from polyslot.data.mapping.profile import PROFILE_ROWS, ColumnProfile, profile_frame
from polyslot.data.readers import open_raw
from polyslot.data.readers.excel import EXCEL_SUFFIXES
from polyslot.data.schema import TableSpec
from polyslot.errors import DataError

__all__ = ["FacilityGuess", "guess_facility", "find_facility", "render_facility"]

_SPEC = TableSpec("facility", ())
_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".parquet", ".pq", *EXCEL_SUFFIXES)
_CLINIC = ("polyclinic", "clinic", "site", "location", "facility", "practice", "branch")
_DOCTORS = ("doctors", "doctor", "physicians", "physician", "gps", "clinicians", "medical")
_HOURS = ("hours", "opening", "operating", "schedule", "timings")
#: Largest file considered beside an export (a facility table is small).
MAX_BYTES = 20 << 20


@dataclass(frozen=True)
class FacilityGuess:
    """A drafted ``[facility]`` section."""

    file: Path
    polyclinic_id: str
    doctors: str | None
    opening_hours: str | None
    why: str
    samples: dict[str, str]


def _named(p: ColumnProfile, words: tuple[str, ...]) -> bool:
    return bool(set(p.tokens) & set(words))


def _reads_as_hours(frame: pd.DataFrame, column: str) -> bool:
    texts = frame[column].dropna().astype(str).head(200)
    if texts.empty:
        return False
    ok = 0
    for t in texts:
        try:
            ok += bool(parse_hours(t))
        except HoursError:
            pass
    return ok >= 0.8 * len(texts)


def guess_facility(
    path: Path, frame: pd.DataFrame, clinics: set[str] | None = None
) -> FacilityGuess | None:
    """The facility guess for table ``frame`` read from ``path`` (None when it does not look
    like one; with ``clinics``, its polyclinic ids must meet them)."""
    profiles = profile_frame(frame)
    clinic = next(  # one row per polyclinic (a roster, with many, is not a facility table)
        (p for p in profiles if p.kind in ("text", "number") and _named(p, _CLINIC) and p.unique),
        None,
    )
    if clinic is None:
        return None
    if clinics is not None:
        values = set(frame[clinic.name].dropna().astype(str).str.strip())
        if not values & clinics:
            return None
    doctors = next(
        (p for p in profiles if p.kind == "number" and p.whole and _named(p, _DOCTORS)), None
    )
    hours = next(
        (
            p
            for p in profiles
            if p.kind == "text" and _named(p, _HOURS) and _reads_as_hours(frame, p.name)
        ),
        None,
    )
    if doctors is None and hours is None:
        return None
    found = [x for x in (doctors, hours) if x is not None]
    return FacilityGuess(
        file=path,
        polyclinic_id=clinic.name,
        doctors=doctors.name if doctors else None,
        opening_hours=hours.name if hours else None,
        why=f"{path.name} lists polyclinics with {' and '.join(repr(p.name) for p in found)}",
        samples={p.name: (p.samples[0] if p.samples else "") for p in [clinic, *found]},
    )


def _first_rows(path: Path) -> pd.DataFrame | None:
    try:
        src = open_raw(path, _SPEC)
        return next(iter(src.iter_batches(PROFILE_ROWS)), None)
    except (DataError, OSError, ValueError):
        return None


def find_facility(source: Path, clinics: set[str] | None) -> FacilityGuess | None:
    """A facility table among the files beside ``source`` (the first that looks like one, in
    name order)."""
    folder = source.parent if source.is_file() else source
    for f in sorted(folder.iterdir()):
        name = f.name.lower()
        if f == source or not f.is_file() or not name.endswith(_SUFFIXES):
            continue
        if f.stat().st_size > MAX_BYTES:
            continue
        frame = _first_rows(f)
        if frame is None or frame.empty:
            continue
        guess = guess_facility(f, frame, clinics)
        if guess is not None:
            return guess
    return None


def render_facility(guess: FacilityGuess, mapping_dir: Path) -> list[str]:
    """The TOML lines of the ``[facility]`` section (``file`` relative to ``mapping_dir``)."""
    rel = os.path.relpath(guess.file.resolve(), mapping_dir.resolve())
    out = [
        "[facility]",
        f"file = {json.dumps(Path(rel).as_posix())}   # REVIEW: {guess.why} (relative to this "
        "file)",
        "[facility.columns]",
        f"polyclinic_id = {json.dumps(guess.polyclinic_id)}   # REVIEW: e.g. "
        f"{guess.samples[guess.polyclinic_id]!r}; must match the attendances' polyclinic ids",
    ]
    if guess.doctors:
        out.append(
            f"doctors = {json.dumps(guess.doctors)}   # REVIEW: doctors on duty at most, e.g. "
            f"{guess.samples[guess.doctors]!r}"
        )
    if guess.opening_hours:
        out.append(
            f"opening_hours = {json.dumps(guess.opening_hours)}   # REVIEW: read as opening "
            f"hours, e.g. {guess.samples[guess.opening_hours]!r}"
        )
    return out
