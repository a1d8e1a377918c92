"""``ingest``: validate every supplied table into the DuckDB store, with quarantine and summary.

Outputs in ``out_dir`` (each written atomically):

- ``polyslot.duckdb`` — accepted rows per table, ``quarantine`` and ``reconciliation``;
- ``quarantine.csv`` — every rejected row (``patient_id`` never included);
- ``data_quality.json`` — counts read / accepted / quarantined per table, per polyclinic and
  per reason code; where each contract column came from (``fields``) and which are unknown for
  every row (``unknown_fields``, also the store's ``table_fields`` table).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from polyslot.atomic import atomic_path, write_json
from polyslot.data.completion.roster import infer_roster
from polyslot.data.completion.template_check import check_template_visit_types
from polyslot.data.guard import DEFAULT_MAX_QUARANTINE_SHARE, guard_message
from polyslot.data.mapping import Mapping, as_mapping
from polyslot.data.mapping.facility import read_facility
from polyslot.data.quarantine import append_quarantine_records, create_quarantine_table
from polyslot.data.readers import (
    DEFAULT_BATCH_ROWS,
    TableSource,
    find_table_file,
    is_duckdb_file,
    open_source,
)
from polyslot.data.rules.validate import field_name
from polyslot.data.schema import TABLE_NAMES, get_spec
from polyslot.data.stage import Progress, TableCounts, load_table
from polyslot.data.store.completion import write_facility
from polyslot.data.store.files import (
    STORE_FILE,
    Connection,
    connect,
    create_store,
    table_names,
    write_table_fields,
)
from polyslot.errors import DataError, QuarantineError

__all__ = [
    "IngestSummary",
    "ingest",
    "resolve_sources",
    "complete_store",
    "finish_store",
    "summarise",
]

QUARANTINE_CSV = "quarantine.csv"
QUALITY_JSON = "data_quality.json"
#: DuckDB memory cap while ingesting (spills to disk beyond it), keeping peak RSS near 2 GB.
MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class IngestSummary:
    """What ``ingest`` did.

    Attributes
    ----------
    out_dir, store_path, quarantine_csv, quality_json : Path
        Output folder and files.
    tables : dict of str to TableCounts
        Per table: source, read / accepted / quarantined, reconciliation, reason counts.
    """

    out_dir: Path
    store_path: Path
    quarantine_csv: Path
    quality_json: Path
    tables: dict[str, TableCounts] = field(default_factory=dict)
    inferred: dict[str, dict] = field(default_factory=dict)

    @property
    def reconciliation(self) -> pd.DataFrame:
        """Per table and polyclinic: read, accepted, quarantined."""
        return pd.concat([t.reconciliation for t in self.tables.values()], ignore_index=True)

    def to_dict(self) -> dict:
        """The data-quality summary written to ``data_quality.json``."""
        return {
            "store": str(self.store_path),
            "quarantine_csv": str(self.quarantine_csv),
            "tables": {
                name: {
                    "source": t.source,
                    "read": t.read,
                    "accepted": t.accepted,
                    "quarantined": t.quarantined,
                    "excluded": t.excluded,
                    "reasons": t.reasons,
                    "fields": {f.field: f.provenance for f in t.fields},
                    "unknown_fields": t.unknown_fields,
                    "polyclinics": {
                        str(r.polyclinic_id): {
                            "read": int(r.read),
                            "accepted": int(r.accepted),
                            "quarantined": int(r.quarantined),
                            "excluded": int(r.excluded),
                        }
                        for r in t.reconciliation.itertuples()
                    },
                }
                for name, t in self.tables.items()
            },
            # tables polyslot built itself because the source had none (e.g. the roster)
            "inferred": self.inferred,
        }


def finish_store(con: Connection, counts: dict[str, TableCounts], out: Path) -> None:
    """Add the ``reconciliation`` and ``table_fields`` tables to a store whose data tables and
    ``quarantine`` are written, and write ``out/quarantine.csv`` (both engines end their store
    with this)."""
    write_table_fields(
        con,
        [(name, f.field, f.provenance, f.source) for name, c in counts.items() for f in c.fields],
    )
    recon = pd.concat([c.reconciliation for c in counts.values()], ignore_index=True)
    con.register("_recon", recon)
    con.execute(
        "CREATE TABLE reconciliation AS SELECT table_name, polyclinic_id, "
        "CAST(read AS BIGINT) AS read, CAST(accepted AS BIGINT) AS accepted, "
        "CAST(quarantined AS BIGINT) AS quarantined, CAST(excluded AS BIGINT) AS excluded "
        "FROM _recon"
    )
    con.unregister("_recon")
    with atomic_path(out / QUARANTINE_CSV) as qtmp:
        con.execute(
            "COPY (SELECT * FROM quarantine ORDER BY table_name, source_row) "
            f"TO '{qtmp.as_posix()}' (HEADER, DELIMITER ',')"
        )


def summarise(
    out: Path, counts: dict[str, TableCounts], inferred: dict[str, dict] | None = None
) -> IngestSummary:
    """The :class:`IngestSummary` of the store in ``out``; writes ``data_quality.json``."""
    summary = IngestSummary(
        out_dir=out,
        store_path=out / STORE_FILE,
        quarantine_csv=out / QUARANTINE_CSV,
        quality_json=out / QUALITY_JSON,
        tables=counts,
        inferred=dict(inferred or {}),
    )
    write_json(summary.quality_json, summary.to_dict())
    return summary


def resolve_sources(
    source: str | os.PathLike[str],
    *,
    table: str | None = None,
    extra: dict[str, str | os.PathLike[str] | None] | None = None,
    mapping: Mapping | None = None,
) -> dict[str, TableSource]:
    """Map standard table names to opened sources.

    A data folder contributes every standard file it holds; a DuckDB database contributes its
    standard tables, or only ``table`` (as attendances) when given; any other file is the
    attendances table. ``extra`` (table name -> path) adds or overrides individual tables.
    ``mapping`` is applied to every table it has a section for.
    """

    def tm(name: str):  # noqa: ANN202 - TableMapping or None
        return mapping.for_table(name) if mapping is not None else None

    path = Path(os.fspath(source))
    if not path.exists():
        raise DataError(
            "file not found; expected a data folder, an attendances file or a DuckDB database",
            source=str(path),
        )
    found: dict[str, TableSource] = {}
    if path.is_dir() and (path / STORE_FILE).exists():
        path = path / STORE_FILE
    if path.is_dir() and any(find_table_file(path, n) for n in TABLE_NAMES):
        for name in TABLE_NAMES:
            f = find_table_file(path, name)
            if f is not None:
                found[name] = open_source(f, get_spec(name), mapping=tm(name))
    elif path.is_file() and is_duckdb_file(path) and table is None:
        con = connect(path)
        try:
            names = table_names(con)
        finally:
            con.close()
        for name in TABLE_NAMES:
            if name in names:
                found[name] = open_source(path, get_spec(name), table=name, mapping=tm(name))
    else:
        found["attendances"] = open_source(
            path, get_spec("attendances"), table=table, mapping=tm("attendances")
        )
    for name, p in (extra or {}).items():
        if p is not None:
            found[name] = open_source(p, get_spec(name), mapping=tm(name))
    if "attendances" not in found:
        raise DataError(
            "no attendances table found; expected attendances.csv or attendances.parquet "
            "(or a DuckDB table named attendances)",
            source=str(path),
        )
    return found


def ingest(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    table: str | None = None,
    roster: str | os.PathLike[str] | None = None,
    slot_template: str | os.PathLike[str] | None = None,
    demand_forecast: str | os.PathLike[str] | None = None,
    no_show_predictions: str | os.PathLike[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
    max_quarantine_share: float | None = DEFAULT_MAX_QUARANTINE_SHARE,
) -> IngestSummary:
    """Validate the supplied tables into ``out_dir/polyslot.duckdb``; write quarantine and summary.

    Parameters
    ----------
    source : path-like
        Data folder with the standard files, a single attendances file (CSV, Parquet file or
        folder), or a DuckDB database (all standard tables, or only ``table`` as attendances).
    out_dir : path-like
        Output folder (created).
    table : str, optional
        Table name inside a DuckDB ``source`` holding the attendances.
    roster, slot_template, demand_forecast, no_show_predictions : path-like, optional
        Individual files for these tables (override those found in ``source``).
    batch_rows : int
        Rows per chunk; memory use grows with it.
    progress : callable, optional
        ``progress(table, rows_done, rows_total_or_None)`` called after each chunk.
    mapping : Mapping or path-like, optional
        A mapping (or ``mapping.toml``) applied to the rows before validation.
    max_quarantine_share : float or None
        The quarantine guard: when more than this share of a table's rows (read minus
        excluded) is quarantined, the outputs are written and then :class:`QuarantineError`
        is raised; None turns the guard off.

    Returns
    -------
    IngestSummary

    Raises
    ------
    MappingError
        The mapping is invalid or names a column the source does not have.
    QuarantineError
        The quarantine guard stopped (see ``max_quarantine_share``).
    """
    mapping = as_mapping(mapping)
    facility = read_facility(mapping.facility) if mapping and mapping.facility else None
    sources = resolve_sources(
        source,
        table=table,
        extra={
            "roster": roster,
            "slot_template": slot_template,
            "demand_forecast": demand_forecast,
            "no_show_predictions": no_show_predictions,
        },
        mapping=mapping,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store_path = out / STORE_FILE
    counts: dict[str, TableCounts] = {}
    inferred: dict[str, dict] = {}
    stops: list[str] = []
    with atomic_path(store_path) as tmp:
        tmp.unlink()
        con = create_store(tmp)
        try:
            con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            # no row-group merging at checkpoints: chunk boundaries leave short row groups, and
            # merging them rewrote about a third of the table (3 CPU-s per 5M rows, 50% larger)
            con.execute("SET max_vacuum_tasks = 0")
            create_quarantine_table(con)
            for name in TABLE_NAMES:
                if name not in sources:
                    continue
                src = sources[name]
                counts[name] = load_table(
                    con, get_spec(name), src, batch_rows=batch_rows, progress=progress
                )
                if max_quarantine_share is not None:
                    stop = guard_message(
                        con,
                        f'"_q_{name}"',
                        counts[name],
                        max_quarantine_share,
                        id_scope=src.mapping.id_scope if src.mapping else "network",
                        quarantine_file=str(out / QUARANTINE_CSV),
                    )
                    if stop:
                        stops.append(f"{src.label}: {stop}")
                append_quarantine_records(
                    con,
                    name,
                    f'"_q_{name}"',
                    tuple(field_name(c) for c in src.columns if c != "source_row"),
                )
                con.execute(f'DROP TABLE "_q_{name}"')
            if facility is not None:
                write_facility(con, facility.frame(), facility.hours_frame())
            inferred = complete_store(con, {n: src.path for n, src in sources.items()})
            finish_store(con, counts, out)
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            Path(f"{tmp}.wal").unlink(missing_ok=True)  # a failed store leaves nothing behind
            raise
        con.close()
    if facility is not None:
        inferred["facility"] = {
            "source": facility.source,
            "polyclinics": len(facility.polyclinics),
            "with_doctors": len(facility.doctors),
            "with_opening_hours": len(facility.hours),
        }
    summary = summarise(out, counts, inferred)
    if stops:
        raise QuarantineError(stops[0])
    return summary


def complete_store(con: Connection, sources: dict[str, str]) -> dict:
    """Cross-table checks and inferred tables of a store whose tables are loaded.

    A template visit type absent from the attendances stops ingest (one line); a missing
    roster is inferred from consultation activity (:mod:`polyslot.data.completion.roster`).
    ``sources`` maps the tables loaded to where they came from (named in messages). Returns
    what was inferred, for ``data_quality.json``.
    """
    if "slot_template" in sources:
        check_template_visit_types(con, sources["slot_template"])
    inferred: dict[str, dict] = {}
    if "roster" not in sources:
        described = infer_roster(con)
        if described is not None:
            inferred["roster"] = described
    return inferred
