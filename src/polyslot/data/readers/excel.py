"""Excel workbooks (``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls``, ``.ods``) read with python-calamine.

The first row of the sheet is the header; every cell is read as text, the way a CSV would
hold it, so the contract parses it exactly as CSV: whole numbers without ``.0``, dates as
``YYYY-MM-DD``, date-times as ``YYYY-MM-DD HH:MM:SS``, clock times as ``HH:MM:SS``, empty cells
as missing values. Rows are streamed in chunks (``iter_rows``), never the whole sheet at once.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from polyslot.errors import DataError

__all__ = ["EXCEL_SUFFIXES", "excel_header", "iter_excel"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def _sheet(path: str, sheet: str | None):  # noqa: ANN202 - python_calamine.CalamineSheet
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
    except Exception as exc:  # calamine raises its own exception types for corrupt files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read the workbook ({msg})", source=path) from None
    names = wb.sheet_names
    if sheet is None:
        if not names:
            raise DataError("the workbook has no sheet", source=path)
        return wb.get_sheet_by_index(0)
    if sheet not in names:
        raise DataError(
            f"no sheet {sheet!r} in the workbook; sheets available: {', '.join(names)}",
            source=path,
            field="sheet",
        )
    return wb.get_sheet_by_name(sheet)


def _cell_text(v: object) -> str | None:
    """One cell as the text a CSV export would hold."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, _dt.time):
        return v.strftime("%H:%M:%S" if v.second else "%H:%M")
    if isinstance(v, _dt.timedelta):
        secs = int(v.total_seconds())
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return str(v)


def _column(values: tuple[object, ...]) -> pa.Array:
    try:  # the common case, every cell a text: no per-cell conversion
        arr = pa.array(values, pa.large_string())
        return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_cell_text(v) for v in values], pa.large_string())


def _names(header: list[object]) -> tuple[str, ...]:
    names: list[str] = []
    for i, h in enumerate(header):
        name = (_cell_text(h) or "").strip() or f"column_{i + 1}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return tuple(names)


#: The sheet loaded by :func:`excel_header`, kept for the :func:`iter_excel` that follows
#: (calamine parses a whole sheet at once; loading it twice doubled the reading time).
_LOADED: dict[tuple[str, float, str | None], object] = {}


def _load(path: str, sheet: str | None, keep: bool):  # noqa: ANN202 - CalamineSheet
    key = (path, Path(path).stat().st_mtime, sheet)
    found = _LOADED.pop(key, None)
    if found is None:
        found = _sheet(path, sheet)
    _LOADED.clear()
    if keep:
        _LOADED[key] = found
    return found


def excel_header(path: str, sheet: str | None) -> tuple[tuple[str, ...], int]:
    """The column names (first row) and the number of data rows of the sheet."""
    sh = _load(path, sheet, keep=True)
    first = next(iter(sh.iter_rows()), None)
    if not first:
        raise DataError("the sheet is empty; expected a header row", source=path)
    return _names(first), max(int(sh.height) - 1, 0)


#: Rows turned into Arrow text at a time: a row of Python cell objects costs about 1 KB, so a
#: whole chunk of them (500,000 rows) held 0.5 GB more than these slices do.
_SLICE_ROWS = 50_000


def iter_excel(path: str, sheet: str | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    """The sheet's rows (after the header) as chunks of text columns.

    calamine gives every row the sheet's full width, the header's too, so rows are transposed
    as they are, a slice of rows at a time.
    """
    rows = iter(_load(path, sheet, keep=False).iter_rows())
    names = _names(next(rows, []))
    while True:
        parts: list[list[pa.Array]] = []
        held = 0
        while held < batch_rows:
            block = list(islice(rows, min(_SLICE_ROWS, batch_rows - held)))
            if not block:
                break
            held += len(block)
            parts.append([_column(c) for c in zip(*block, strict=True)])
            del block
        if not held:
            return
        yield pd.DataFrame(
            {
                n: pd.Series(pd.arrays.ArrowStringArray(pa.concat_arrays([p[i] for p in parts])))
                for i, n in enumerate(names)
            }
        )
