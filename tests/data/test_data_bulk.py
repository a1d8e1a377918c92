"""The bulk-load shortcuts of ingest give the same rows as the plain computations they replace."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from test_data_reasons import ATTENDANCE_CASES, good_row

from polyslot.data import ingest
from polyslot.data.readers import open_source
from polyslot.data.rules.coerce import _normalise_status
from polyslot.data.schema import get_spec
from polyslot.data.stage import load_table


def _broken_frame(n: int = 120) -> pd.DataFrame:
    """Good rows, every broken kind and duplicates (also of rejected rows), across chunks."""
    cases = list(ATTENDANCE_CASES.values())
    rows = []
    for i in range(n):
        over = cases[i % len(cases)] if i % 3 == 1 else {}
        rows.append(good_row(i % 17 if i % 4 == 0 else i, **over))
    rows[5]["status"] = " Attended"  # normalised, not rejected
    rows[6]["status"] = "WALK_IN"
    df = pd.DataFrame(rows)
    df["polyclinic_id"] = [f"P{i % 3}" for i in range(n)]
    return df


def _load(df: pd.DataFrame, batch_rows: int) -> tuple[list, list]:
    spec = get_spec("attendances")
    con = duckdb.connect()
    try:
        load_table(con, spec, open_source(df, spec), batch_rows=batch_rows)
        valid = con.execute("SELECT * FROM attendances ORDER BY source_row").fetchall()
        quar = con.execute('SELECT * FROM "_q_attendances" ORDER BY source_row').fetchall()
    finally:
        con.close()
    return valid, quar


def test_hash_collisions_never_quarantine_distinct_keys(monkeypatch):
    """With every key hash colliding, exactly the same duplicates are found as with real ones."""
    df = _broken_frame()
    expected = _load(df, batch_rows=16)
    assert any(q[1] == "duplicate_attendance_id" for q in expected[1])

    # three hash values for all keys: nearly every row shares its hash with distinct keys
    monkeypatch.setattr("polyslot.data.dedupe.KEY_HASH", "(hash({}) % 3)")
    assert _load(df, batch_rows=16) == expected
    assert _load(df, batch_rows=1000) == expected


def test_duplicates_of_multi_column_keys_across_chunks():
    spec = get_spec("roster")
    rows = [  # the last repeats the first key (same date and time, written differently)
        ("P1", "2025-01-06", "08:00", "12:00"),
        ("P1", "2025-01-06", "13:00", "17:00"),
        ("P2", "2025-01-06", "08:00", "12:00"),
        ("P1", "2025-01-06 00:00", "8:00", "9:00"),
    ]
    df = pd.DataFrame(rows, columns=["polyclinic_id", "date", "start_time", "end_time"])
    df["doctors"] = "2"
    for batch in (1, 2, 10):
        con = duckdb.connect()
        counts = load_table(con, spec, open_source(df, spec), batch_rows=batch)
        quar = con.execute('SELECT source_row, reason FROM "_q_roster"').fetchall()
        con.close()
        assert quar == [(4, "duplicate_key")]
        assert counts.accepted == 3


@pytest.mark.parametrize(
    "values",
    [
        ["attended", None, "no_show"],
        [" Attended", None, "no_show", "WALK_IN\t", "", "teleconsult", "Cancelled "],
        ["ATTENDED"] * 3,
    ],
)
def test_status_normalised_like_strip_lower(values):
    s = pd.Series(values, dtype="string[pyarrow]")
    out = _normalise_status(s)
    pd.testing.assert_series_equal(out, s.str.strip().str.lower())


def test_store_rows_in_source_order_and_ids_uncompressed(tmp_path):
    """Chunked, parallel inserts keep the store's physical order; ids are not compressed."""
    df = _broken_frame(3000)
    src = tmp_path / "attendances.parquet"
    df.to_parquet(src, index=False)
    summary = ingest(src, tmp_path / "out", batch_rows=700, max_quarantine_share=None)
    with duckdb.connect(str(summary.store_path), read_only=True) as con:
        rows = [r[0] for r in con.execute("SELECT source_row FROM attendances").fetchall()]
        comp = dict(
            con.execute(
                "SELECT column_name, string_agg(DISTINCT compression, ',') "
                "FROM pragma_storage_info('attendances') WHERE segment_type = 'VARCHAR' "
                "GROUP BY 1"
            ).fetchall()
        )
    assert rows == sorted(rows) and len(rows) == summary.tables["attendances"].accepted
    assert comp["attendance_id"] == comp["patient_id"] == "Uncompressed"


def _insert_threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate() if t.name.startswith("polyslot-")]


def test_read_error_mid_stream_stops_the_insert(tmp_path, monkeypatch):
    """A source failing after some chunks: DataError, no store, no thread left running."""
    from polyslot.data.readers import TableSource
    from polyslot.errors import DataError

    src = tmp_path / "attendances.parquet"
    _broken_frame(300).to_parquet(src, index=False, row_group_size=50)
    real = TableSource.iter_batches

    def failing(self, batch_rows):
        for i, chunk in enumerate(real(self, 100)):
            if i == 2:
                raise DataError("cannot read rows (broken page)", source=self.label)
            yield chunk

    monkeypatch.setattr(TableSource, "iter_batches", failing)
    with pytest.raises(DataError, match="broken page"):
        ingest(src, tmp_path / "out", max_quarantine_share=None)
    assert not (tmp_path / "out" / "polyslot.duckdb").exists()
    assert _insert_threads() == []


def test_duckdb_error_is_raised_not_hung():
    """An extra column DuckDB cannot store (all null, then text) fails as it always did."""
    df = _broken_frame(40)
    df["note"] = [None] * 20 + ["x"] * 20
    spec = get_spec("attendances")
    with pytest.raises(duckdb.Error):
        load_table(duckdb.connect(), spec, open_source(df, spec), batch_rows=10)
    assert _insert_threads() == []


def test_extra_column_types_varying_between_chunks():
    """Chunks whose extra column comes as float, then int, go into one table as before."""
    df = _broken_frame(40)
    df["score"] = pd.Series([1.5, None] * 10 + [3] * 20, dtype=object)
    spec = get_spec("attendances")
    con = duckdb.connect()
    load_table(con, spec, open_source(df, spec), batch_rows=20)
    kept = con.execute("SELECT source_row, score FROM attendances ORDER BY 1").fetchall()
    assert {r[1] for r in kept if r[0] > 20} == {3.0}


def _text_variety(n: int = 400) -> pd.DataFrame:
    """A broken frame whose text columns hold blanks, nulls, odd statuses and many values."""
    df = _broken_frame(n)
    odd = [" Attended", "WALK_IN", "", None, "attended", "no_show", "Cancelled\t", "x"]
    pcs = ["P1", "", None, "P2"]
    docs = [None, "", "D1", "D2", "D3"]
    for i in range(n):
        if i % 5 == 2:
            df.loc[i, "status"] = odd[i % 8]
        if i % 7 == 3:
            df.loc[i, "polyclinic_id"] = pcs[i % 4]
        df.loc[i, "doctor_id"] = docs[i % 5]
        if i % 10 == 7:  # some with no status too
            df.loc[i, "booking_ts"] = ""
    df["visit_type"] = [f"v{i % 150}" if i % 11 else "" for i in range(n)]  # >127 categories
    return df


def test_parquet_dictionary_columns_give_the_same_store(tmp_path, monkeypatch):
    """Text columns read as dictionaries (Categoricals) or as plain text: identical outputs."""
    src = tmp_path / "attendances.parquet"
    _text_variety().to_parquet(src, index=False, row_group_size=64)
    outputs = []
    for dictionary in (True, False):
        if not dictionary:
            monkeypatch.setattr("polyslot.data.readers.arrow_chunks._few_values", lambda pf: [])
        out = tmp_path / f"out{dictionary}"
        summary = ingest(src, out, batch_rows=150, max_quarantine_share=None)
        with duckdb.connect(str(summary.store_path), read_only=True) as con:
            tables = {
                t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("attendances", "quarantine", "reconciliation")
            }
            types = con.execute("DESCRIBE attendances").fetchall()
        outputs.append(
            (tables, types, summary.quarantine_csv.read_text(), summary.to_dict()["tables"])
        )
    assert outputs[0] == outputs[1]
    assert any(r[4] == "unknown_status" for r in outputs[0][0]["quarantine"])


def test_categorical_frame_columns_like_text():
    """A DataFrame with Categorical text columns loads like the same frame with plain text."""
    df = _text_variety(120)
    cat = df.copy()
    for col in ("polyclinic_id", "visit_type", "doctor_id", "status", "age_group"):
        cat[col] = cat[col].astype("category")
    assert _load(cat, batch_rows=50) == _load(df, batch_rows=50)
