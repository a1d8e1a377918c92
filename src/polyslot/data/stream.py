"""One streaming ``INSERT`` per table, fed with validated Arrow chunks from the calling thread.

A separate ``INSERT`` per chunk made DuckDB work chunk by chunk in lockstep with validation.
Here a single statement reads a stream of Arrow record batches that the validating thread
fills through a small queue: DuckDB appends and compresses with all its threads while the next
chunk is validated, rows keep their order (batches are numbered), and memory stays bounded by
the queue.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator

import duckdb
import pyarrow as pa

__all__ = ["StreamingInsert"]

_END = object()
_ABORT = object()


class _Aborted(Exception):
    """The producer gave up (its own error is raised instead)."""


class StreamingInsert:
    """``INSERT INTO table BY NAME SELECT select FROM <stream> WHERE __keep`` in a thread.

    Parameters
    ----------
    con : DuckDBPyConnection
        The database; the statement runs on a cursor of it, so ``con`` stays usable meanwhile.
    table : str
        Quoted name of the target table.
    select : str
        Select list over the stream's columns (casts to the store types).
    schema : pyarrow.Schema
        Schema of every chunk (see :meth:`fits`).
    depth : int
        Chunks queued ahead of DuckDB.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        select: str,
        schema: pa.Schema,
        depth: int = 1,
    ) -> None:
        self.schema = schema
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        reader = pa.RecordBatchReader.from_batches(schema, self._batches())
        sql = f"INSERT INTO {table} BY NAME SELECT {select} FROM _stream WHERE __keep"
        self._thread = threading.Thread(
            target=self._run, args=(con.cursor(), reader, sql), name="polyslot-insert", daemon=True
        )
        self._thread.start()

    def _batches(self) -> Iterator[pa.RecordBatch]:
        while (item := self._queue.get()) is not _END:
            if item is _ABORT:
                raise _Aborted
            yield from item.to_batches()

    def _run(
        self, cursor: duckdb.DuckDBPyConnection, reader: pa.RecordBatchReader, sql: str
    ) -> None:
        try:
            cursor.register("_stream", reader)
            cursor.execute(sql)
        except BaseException as exc:  # reported to the producer by put() / close()
            self._error = exc
        finally:
            cursor.close()  # drops the registered stream (which refers to this object)

    def fits(self, chunk: pa.Table) -> bool:
        """Whether ``chunk`` has the stream's schema.

        A chunk with other column types (a column all null in one chunk, another Parquet file)
        needs a statement of its own, so that DuckDB converts it exactly as it always did.
        """
        return chunk.schema.equals(self.schema)

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _check(self) -> None:
        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("the DuckDB insert stopped before the end of its data")

    def _offer(self, item: object, make_room: bool = False) -> bool:
        """Queue ``item`` unless the queue stays full for 50 ms; True when queued. With
        ``make_room`` a full queue loses its waiting chunk (it will not be written anyway)."""
        try:
            self._queue.put(item, timeout=0.05)
            return True
        except queue.Full:
            if make_room:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()
            return False

    def put(self, chunk: pa.Table) -> None:
        """Queue ``chunk`` (in the stream's schema); raises DuckDB's error if it failed."""
        self._check()
        while not self._offer(chunk):
            self._check()

    def close(self) -> None:
        """End the stream and wait for the statement; raises its error if it failed."""
        while self._thread.is_alive() and not self._offer(_END):
            continue
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop the statement (its rows are rolled back) without raising."""
        while self._thread.is_alive() and not self._offer(_ABORT, make_room=True):
            continue
        self._thread.join()
        self._error = None
