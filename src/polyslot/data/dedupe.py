"""Duplicate keys across chunks: later rows whose key an earlier accepted row already holds.

Accepted rows are appended to the table chunk by chunk; each chunk also yields the 64-bit
DuckDB hash of every accepted row's key (computed by the writer thread, while the next chunk is
validated). Afterwards the sorted hashes give the few keys that may repeat, and only those rows
are ranked by ``source_row`` in SQL: the first is kept, the later ones are moved to the
quarantine staging table. Grouping millions of distinct keys in DuckDB instead cost about
twice as much.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from polyslot.data.rules.validate import field_name
from polyslot.data.schema import TableSpec
from polyslot.data.store.files import Connection

__all__ = ["chunk_key_hashes", "move_duplicates", "shared_hashes"]


#: SQL of the key hash (a test makes it collide on purpose: collisions must change nothing).
KEY_HASH = "hash({})"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def chunk_key_hashes(con: Connection, spec: TableSpec, chunk: str) -> np.ndarray:
    """Hashes of the key of the accepted rows (``__keep``) of the registered Arrow ``chunk``.

    The key columns are cast to their store types first, so a hash equals that of the stored
    value.
    """
    key = ", ".join(f"CAST({_q(k)} AS {spec.column(k).duckdb_type})" for k in spec.key)
    sql = f"SELECT {KEY_HASH.format(key)} AS h FROM {chunk} WHERE __keep"
    return con.execute(sql).fetchnumpy()["h"]


def shared_hashes(hashes: list[np.ndarray]) -> np.ndarray:
    """The hashes held by more than one row: duplicated keys and (rarely) colliding ones.

    Parameters
    ----------
    hashes : list of ndarray
        :func:`chunk_key_hashes` of every chunk.
    """
    if not hashes:
        return np.empty(0, dtype=np.uint64)
    all_hashes = np.concatenate(hashes)
    all_hashes.sort()
    return np.unique(all_hashes[1:][all_hashes[1:] == all_hashes[:-1]])


def move_duplicates(con: Connection, spec: TableSpec, staging: str, shared: np.ndarray) -> None:
    """Move later duplicates of the key from table ``spec.name`` into ``staging``.

    Parameters
    ----------
    con : DuckDBPyConnection
        Holds table ``spec.name`` (every accepted row) and the staging table.
    spec : TableSpec
        The table's contract; nothing to do without a key.
    staging : str
        Quoted name of the quarantine staging table.
    shared : ndarray
        :func:`shared_hashes` of the table's rows; only rows with these hashes are examined.
    """
    if not spec.key or not len(shared):
        return
    key = ", ".join(_q(k) for k in spec.key)
    t = _q(spec.name)
    con.register("_shared", pa.table({"h": shared}))
    try:  # one scan: the later rows of each candidate key, with every field
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _dups AS SELECT * EXCLUDE (__rank) FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY source_row) AS __rank "
            f"FROM {t} WHERE {KEY_HASH.format(key)} IN (SELECT h FROM _shared)) "
            "WHERE __rank > 1"
        )
    finally:
        con.unregister("_shared")
    if con.execute("SELECT count(*) FROM _dups").fetchall()[0][0] == 0:
        con.execute("DROP TABLE _dups")
        return
    qcols = [r[0] for r in con.execute(f"DESCRIBE {staging}").fetchall()][3:]
    tcols = {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()}
    src = {field_name(c): c for c in tcols}
    sel = ", ".join(f"CAST({_q(src[c])} AS VARCHAR)" if c in src else "NULL" for c in qcols)
    key_text = " || ', ' || ".join(f"'{k}=' || CAST({_q(k)} AS VARCHAR)" for k in spec.key)
    reason = spec.duplicate_reason
    con.execute(
        f"INSERT INTO {staging} SELECT source_row, '{reason}', "
        f"'{reason}: ' || {key_text} || ' first seen in an earlier row'"
        f"{', ' + sel if sel else ''} FROM _dups ORDER BY source_row"
    )
    con.execute(f"DELETE FROM {t} WHERE source_row IN (SELECT source_row FROM _dups)")
    con.execute("DROP TABLE _dups")
