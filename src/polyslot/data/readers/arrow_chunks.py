"""Arrow to pandas in bounded chunks: Parquet read row group by row group, text columns with few
distinct values as dictionaries (pandas Categoricals). The readers of
:mod:`polyslot.data.readers` turn every Arrow batch into a frame here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from polyslot.data.rules.coerce import STRING_DTYPE

__all__ = ["DICTIONARY_PAGE_BYTES", "batch_to_pandas", "parquet_chunks"]


def _strings(t: pa.DataType) -> pd.StringDtype | None:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return STRING_DTYPE
    return None


def batch_to_pandas(batch: pa.RecordBatch | pa.Table) -> pd.DataFrame:
    """An Arrow batch or table as a pandas frame (strings as polyslot's string dtype)."""
    if isinstance(batch, pa.RecordBatch):
        batch = pa.Table.from_batches([batch])
    return batch.to_pandas(types_mapper=_strings, self_destruct=True, split_blocks=True)


#: A text column whose Parquet dictionary page is at most this large in every row group (it has
#: few distinct values) is read as a dictionary, i.e. a pandas Categorical: decoding it into
#: one string per row cost about 0.1 CPU-s per million rows and column, and DuckDB stores it
#: from the dictionary too.
DICTIONARY_PAGE_BYTES = 64 << 10


def _few_values(pf: pq.ParquetFile) -> list[str]:
    """Top-level text columns of ``pf`` with small dictionary pages in every row group."""
    md = pf.metadata
    text = {
        f.name
        for f in pf.schema_arrow
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    }
    found = []
    for j in range(md.num_columns):
        name = md.schema.column(j).path
        if name not in text:
            continue
        for i in range(md.num_row_groups):
            c = md.row_group(i).column(j)
            if not c.has_dictionary_page or c.dictionary_page_offset is None:
                break
            if c.data_page_offset - c.dictionary_page_offset > DICTIONARY_PAGE_BYTES:
                break
        else:
            found.append(name)
    return found


def parquet_chunks(path: str, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of about ``batch_rows`` rows, read whole row group by row group.

    ``ParquetFile.iter_batches`` and dataset scans keep buffers alive across batches (about
    35 MB more per million rows in pyarrow 26, most of a 10-million-row file in the end);
    reading row groups one at a time keeps memory bounded by one chunk.
    """
    pf = pq.ParquetFile(path)
    few = _few_values(pf)
    if few:
        pf = pq.ParquetFile(path, read_dictionary=few)
    parts: list[pa.Table] = []
    held = 0
    for i in range(pf.num_row_groups):
        parts.append(pf.read_row_group(i))
        held += parts[-1].num_rows
        if held >= batch_rows:
            yield batch_to_pandas(pa.concat_tables(parts))
            parts, held = [], 0
    if held:
        yield batch_to_pandas(pa.concat_tables(parts))
