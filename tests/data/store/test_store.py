"""polyslot.data.store: the one owner of the store (file names, opening, read queries)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from polyslot.data.store import (
    STORE_FILE,
    connect,
    first_date,
    has_table,
    last_date,
    open_store,
    polyclinic_history,
    quarantine_counts,
    store_path,
    table_columns,
    visit_sequences,
)
from polyslot.errors import DataError, SchemaError


@pytest.fixture()
def store(tmp_path):
    """A store by hand: 6 attendances of 2 polyclinics, a roster, 5 quarantined rows."""
    with duckdb.connect(str(tmp_path / STORE_FILE)) as con:
        con.execute(
            "CREATE TABLE attendances AS SELECT * FROM (VALUES "
            "('a1', 'PC1', 'p1', 'new_patient', 'attended', TIMESTAMP '2025-01-06 09:00'), "
            "('a2', 'PC1', 'p1', 'revisit', 'attended', TIMESTAMP '2025-01-16 09:00'), "
            "('a3', 'PC1', 'p1', 'revisit', 'no_show', TIMESTAMP '2025-01-20 09:00'), "
            "('a4', 'PC1', 'p2', 'new_patient', 'attended', TIMESTAMP '2025-01-07 10:00'), "
            "('a5', 'PC1', 'p2', 'revisit', 'walk_in', TIMESTAMP '2025-01-27 10:00'), "
            "('a6', 'PC2', 'p3', 'new_patient', 'attended', TIMESTAMP '2025-01-08 11:00')"
            ") t(attendance_id, polyclinic_id, patient_id, visit_type, status, consult_start_ts)"
        )
        con.execute("ALTER TABLE attendances ADD COLUMN arrival_ts TIMESTAMP")
        con.execute("ALTER TABLE attendances ADD COLUMN appointment_ts TIMESTAMP")
        con.execute(
            "CREATE TABLE roster AS SELECT * FROM (VALUES ('PC1', DATE '2025-01-06'), "
            "('PC1', DATE '2025-01-07'), ('PC2', DATE '2025-01-08')) t(polyclinic_id, date)"
        )
        con.execute(
            "CREATE TABLE quarantine AS SELECT * FROM (VALUES ('PC1', 'bad_timestamp'), "
            "('PC1', 'bad_timestamp'), ('PC1', 'duplicate'), ('PC2', 'duplicate'), "
            "(NULL, 'missing_required_field')) t(polyclinic_id, reason)"
        )
    return tmp_path


def test_store_path_takes_the_folder_or_the_file_and_names_a_missing_one(store, tmp_path):
    assert store_path(store) == store / STORE_FILE
    assert store_path(store / STORE_FILE) == store / STORE_FILE
    with pytest.raises(DataError, match="store not found") as err:
        store_path(tmp_path / "nowhere")
    assert err.value.source == str(tmp_path / "nowhere")


def test_tables_and_columns_are_read_in_store_order(store):
    with connect(store) as con:
        assert has_table(con, "roster") and not has_table(con, "slot_template")
        assert table_columns(con, "roster") == ["polyclinic_id", "date"]


def test_quarantine_counts_per_polyclinic_and_reason(store):
    assert quarantine_counts(store) == {
        "(missing)": {"missing_required_field": 1},
        "PC1": {"bad_timestamp": 2, "duplicate": 1},
        "PC2": {"duplicate": 1},
    }


def test_polyclinic_history_is_one_polyclinics_rows(store):
    att, ros = polyclinic_history(store, "PC1")
    assert sorted(att["attendance_id"]) == ["a1", "a2", "a3", "a4", "a5"]
    assert len(ros) == 2 and set(ros["polyclinic_id"]) == {"PC1"}


def test_visit_sequences_gap_to_the_next_seen_visit(store):
    path, cols = visit_sequences(store, ["new_patient"], ["revisit"], "PC1")
    assert path == str(store / STORE_FILE)
    # seen visits of PC1 (the no-show a3 is not one): p1 on 6 and 16 Jan, p2 on 7 and 27 Jan
    order = np.lexsort((cols["gap"], cols["is_fv"]))
    gaps = cols["gap"][order]
    assert np.isnan(gaps).sum() == 2  # the last visit of each patient has no next visit
    assert sorted(g for g in gaps if not np.isnan(g)) == [10.0, 20.0]
    assert int(cols["is_fv"].sum()) == 2 and int(cols["is_rv"].sum()) == 2
    assert sorted(cols["to_end"].tolist()) == [0.0, 11.0, 20.0, 21.0]  # last date: 27 Jan


def test_open_store_checks_the_required_columns(store):
    with pytest.raises(SchemaError, match="lacks required column"):
        open_store(store)


def test_first_and_last_date_of_the_attendances(store):
    # the event date is the first of appointment, arrival, booking: here the arrival
    with connect(store, read_only=False) as con:
        con.execute("ALTER TABLE attendances ADD COLUMN booking_ts TIMESTAMP")
        con.execute("UPDATE attendances SET arrival_ts = consult_start_ts - INTERVAL 5 MINUTE")
    assert str(first_date(store)) == "2025-01-06"
    assert str(last_date(store)) == "2025-01-27"
