"""Split a staged table into accepted rows and quarantine, de-duplicate, reconcile — in Spark.

Mirrors ``polyslot.data.stage`` and ``polyslot.data.quarantine``: later duplicates of a table's
key (by source row) are quarantined with the table's duplicate reason; the quarantine record
holds the original fields as JSON without ``patient_id``; and for every polyclinic
``read == accepted + quarantined`` (Spark SQL aggregations), else the run stops.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from polyslot.data.quarantine import (
    ALL_POLYCLINICS,
    PRIVATE_COLUMNS,
    QUARANTINE_COLUMNS,
    reconciliation_frame,
)
from polyslot.data.rules.validate import field_name
from polyslot.data.schema import MISSING_POLYCLINIC, REASONS, get_spec
from polyslot.data.stage import TableCounts
from polyslot.runners.spark.validate import Q_PREFIX

__all__ = ["split_staged"]


def _all_counts(
    read: Any, accepted: Any, rejected: Any, *, keyed: bool, read_keyed: bool, q_keyed: bool
) -> tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]:
    """Read / accepted / quarantined rows per polyclinic and rejected rows per reason.

    One Spark job: the three inputs (first column: polyclinic id as text) are unioned and
    grouped once.
    """
    from pyspark.sql import functions as F

    def key(is_keyed: bool) -> Any:
        if not is_keyed:
            return F.lit(ALL_POLYCLINICS)
        return F.coalesce(F.col("pc"), F.lit(MISSING_POLYCLINIC))

    none = F.lit(None).cast("string")
    parts = [
        read.toDF("pc").select(F.lit("r").alias("k"), key(read_keyed).alias("pc"), none.alias("x")),
        accepted.toDF("pc").select(F.lit("a").alias("k"), key(keyed).alias("pc"), none.alias("x")),
        rejected.toDF("pc", "x").select(F.lit("q").alias("k"), key(q_keyed).alias("pc"), "x"),
    ]
    union = parts[0].unionByName(parts[1]).unionByName(parts[2])
    rows = union.groupBy("k", "pc", "x").count().collect()
    out: dict[str, dict[str, int]] = {"r": {}, "a": {}, "q": {}, "x": {}}
    for r in rows:
        bucket = out[r["k"]]
        bucket[str(r["pc"])] = bucket.get(str(r["pc"]), 0) + int(r["count"])
        if r["k"] == "q":
            out["x"][str(r["x"])] = out["x"].get(str(r["x"]), 0) + int(r["count"])
    return out["r"], out["a"], out["q"], out["x"]


def split_staged(
    staged: Any, table: str, raw_columns: list[str], label: str
) -> tuple[Any, Any, TableCounts]:
    """Accepted rows, quarantine rows and counts of one staged table.

    Parameters
    ----------
    staged : pyspark DataFrame
        Output of :func:`~polyslot.runners.spark.validate.stage_table`.
    table : str
        Standard table name.
    raw_columns : list of str
        Column names of the raw source (``source_row`` excluded).
    label : str
        Source label for the counts.

    Returns
    -------
    (DataFrame, DataFrame, TableCounts)
        Accepted typed rows (``source_row`` first), quarantine rows with
        :data:`~polyslot.data.quarantine.QUARANTINE_COLUMNS`, and the reconciled counts.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spec = get_spec(table)
    raw_columns = [c for c in raw_columns if c != "source_row"]
    data_cols = [c for c in staged.columns if not c.startswith("__")]
    accepted = staged.filter(F.col("__keep")).select(*data_cols)
    dups = None
    if spec.key:
        w = Window.partitionBy(*spec.key).orderBy("source_row")
        ranked = accepted.withColumn("__rn", F.row_number().over(w))
        dups = ranked.filter(F.col("__rn") > 1).drop("__rn")
        accepted = ranked.filter(F.col("__rn") == 1).drop("__rn")
    public = [c for c in raw_columns if c not in PRIVATE_COLUMNS]
    has_pc_raw = "polyclinic_id" in raw_columns
    has_id_raw = "attendance_id" in raw_columns

    def record(text_of: Any) -> Any:
        if not public:
            return F.to_json(F.struct(F.lit(None).cast("string").alias("empty")))
        return F.to_json(
            F.struct(*[text_of(c).alias(field_name(c)) for c in public]),
            {"ignoreNullFields": "false"},
        )

    def q_of(c: str) -> Any:
        return F.col(f"`{Q_PREFIX}{field_name(c)}`")

    rejected = staged.filter(~F.col("__keep")).select(
        F.lit(table).alias("table_name"),
        "source_row",
        (q_of("polyclinic_id") if has_pc_raw else F.lit(None).cast("string")).alias(
            "polyclinic_id"
        ),
        (q_of("attendance_id") if has_id_raw else F.lit(None).cast("string")).alias("record_id"),
        F.col("__reason").alias("reason"),
        F.col("__detail").alias("detail"),
        record(q_of).alias("record"),
    )
    if dups is not None:
        reason = spec.duplicate_reason
        key_text = [F.concat(F.lit(f"{k}="), F.col(k).cast("string")) for k in spec.key]

        def typed_text(c: str) -> Any:
            return F.col(f"`{c}`").cast("string") if c in data_cols else F.lit(None).cast("string")

        dq = dups.select(
            F.lit(table).alias("table_name"),
            "source_row",
            typed_text("polyclinic_id").alias("polyclinic_id")
            if has_pc_raw
            else F.lit(None).cast("string").alias("polyclinic_id"),
            typed_text("attendance_id").alias("record_id")
            if has_id_raw
            else F.lit(None).cast("string").alias("record_id"),
            F.lit(reason).alias("reason"),
            F.concat(
                F.lit(f"{reason}: "),
                F.concat_ws(", ", *key_text),
                F.lit(" first seen in an earlier row"),
            ).alias("detail"),
            record(typed_text).alias("record"),
        )
        rejected = rejected.unionByName(dq)
    rejected = rejected.select(*QUARANTINE_COLUMNS)
    has_pc = "polyclinic_id" in spec.column_names
    read, acc_counts, q_counts, reasons_raw = _all_counts(
        staged.select(F.col("__read_pc") if has_pc and has_pc_raw else F.lit(None).cast("string")),
        accepted.select(F.col("polyclinic_id") if has_pc else F.lit(None).cast("string")),
        rejected.select(
            F.col("polyclinic_id") if has_pc and has_pc_raw else F.lit(None).cast("string"),
            "reason",
        ),
        keyed=has_pc,
        read_keyed=has_pc and has_pc_raw,
        q_keyed=has_pc and has_pc_raw,
    )
    recon = reconciliation_frame(table, Counter(read), acc_counts, q_counts)
    reasons = {k: reasons_raw[k] for k in REASONS if k in reasons_raw}
    counts = TableCounts(
        table=table,
        source=label,
        read=int(recon["read"].sum()),
        accepted=int(recon["accepted"].sum()),
        quarantined=int(recon["quarantined"].sum()),
        reconciliation=recon,
        reasons=reasons,
    )
    return accepted, rejected, counts
