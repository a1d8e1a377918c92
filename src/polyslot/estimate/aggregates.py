"""The aggregates estimation reads: one SQL definition, run by DuckDB or by Spark SQL.

Estimation never scans raw attendances itself. Every statistic it needs is a small grouped
table (``agg_*``, listed in :data:`AGGREGATES`) computed from ``attendances`` (and
``no_show_predictions``) by the SQL in this module, written once for both engines: the few
functions whose spelling differs (weekday, date and time differences, hashing, quoting) are
rendered per dialect by :class:`Dialect`. The local engine runs it in DuckDB over the store;
the Spark engine runs the same statements with ``spark.sql`` over the validated tables
(:mod:`polyslot.runners.spark.aggregates`) and hands the results to DuckDB as Parquet. Counts
are integers and float sums are exact DECIMAL sums, so both engines produce identical tables
whatever the partitioning.

The aggregates depend on a few estimation settings (the slot grid and the very-late threshold
of punctuality; the no-show model's time cutoff, training-sample fraction and seed): they are
computed in two phases, :func:`scalar_sql` first (date range and counts of bookings, levels of
extra columns), then :func:`aggregate_sql` for every table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from polyslot.data.schema import get_spec
from polyslot.estimate.aggregates_clinic_day import CLINIC_DAY_AGGREGATES, clinic_day_sql
from polyslot.estimate.aggregates_history import (
    BOOKED_STATUS,
    HISTORY_AGGREGATES,
    HISTORY_FIELDS,
    WHEN,
    history_sql,
)
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.noshow import LEAD_CAP, PRIOR_CAP

__all__ = [
    "AGGREGATES",
    "PREDICTION_AGGREGATES",
    "Dialect",
    "DUCKDB",
    "SPARK",
    "BookingScope",
    "booking_scope",
    "scalar_sql",
    "aggregate_sql",
    "extra_candidates",
    "HISTORY_FIELDS",
    "WHEN",
]

#: Tables computed from attendances alone.
AGGREGATES = (
    "agg_counts",
    "agg_duration_moments",
    "agg_duration_hist",
    "agg_punctuality",
    "agg_bookings",
    "agg_daily",
    "agg_preference",
    "agg_open_days",
    "agg_walk_ins",
    "agg_slot_days",
    "agg_gaps",
    *HISTORY_AGGREGATES,
    *CLINIC_DAY_AGGREGATES,
)
#: Tables computed only when NO_SHOW_PREDICTIONS (supplied no-show predictions) is supplied.
PREDICTION_AGGREGATES = ("agg_predicted_cells", "agg_predicted_eval")

#: Histogram bins per minute of the consultation-time histogram.
DURATION_GRID = 10
#: Extra columns with more levels than this are not used as no-show features.
MAX_LEVELS = 20
_SEEN = "status IN ('attended', 'walk_in') AND consultation_duration_minutes > 0"
#: Booked rows with an appointment time (the slot grid of an inferred template).
_BOOKED = f"appointment_ts IS NOT NULL AND {BOOKED_STATUS}"
#: Booked rows with any known time (demand and preferred hours).
_BOOKED_WHEN = f"{BOOKED_STATUS} AND {WHEN} IS NOT NULL"
_NS = "status IN ('attended', 'no_show') AND appointment_ts IS NOT NULL"


@dataclass(frozen=True)
class Dialect:
    """How one SQL engine spells the few functions DuckDB and Spark SQL disagree on."""

    name: str
    quote: str
    string: str

    def q(self, ident: str) -> str:
        """Quoted identifier."""
        return f"{self.quote}{ident}{self.quote}"

    def weekday(self, ts: str) -> str:
        """Monday = 0 ... Sunday = 6."""
        if self.name == "duckdb":
            return f"(isodow({ts}) - 1)"
        return f"((dayofweek({ts}) + 5) % 7)"

    def micros(self, ts: str) -> str:
        """Microseconds since the epoch (an exact integer)."""
        return f"epoch_us({ts})" if self.name == "duckdb" else f"unix_micros({ts})"

    def days(self, a: str, b: str) -> str:
        """Calendar days from date of ``a`` to date of ``b``."""
        if self.name == "duckdb":
            return f"date_diff('day', CAST({a} AS DATE), CAST({b} AS DATE))"
        return f"datediff(CAST({b} AS DATE), CAST({a} AS DATE))"

    def bucket(self, text: str) -> str:
        """A hash of ``text`` in [0, 1e6), identical in both engines (first 32 bits of MD5)."""
        if self.name == "duckdb":
            h = f"CAST(('0x' || substr(md5({text}), 1, 8)) AS BIGINT)"
        else:
            h = f"CAST(conv(substr(md5({text}), 1, 8), 16, 10) AS BIGINT)"
        return f"({h} % 1000000)"


DUCKDB = Dialect("duckdb", '"', "VARCHAR")
SPARK = Dialect("spark", "`", "STRING")


def exact_sql(expr: str) -> str:
    """``expr`` as a fixed-point DECIMAL, so that ``sum``/``avg`` over it are exact integer
    arithmetic: the result does not depend on the order in which DuckDB's threads combine
    partial sums (double sums do, in the last bits). Nine decimals, values below 1e9."""
    return f"CAST({expr} AS DECIMAL(18, 9))"


def _exact(expr: str) -> str:
    return f"CAST(sum({exact_sql(expr)}) AS DECIMAL(38, 9))"


def _n(expr: str = "*") -> str:
    return f"CAST(count({expr}) AS BIGINT)"


@dataclass(frozen=True)
class BookingScope:
    """What the no-show feature aggregate needs from the first phase."""

    cutoff: dt.datetime | None
    sample_fraction: float
    extras: tuple[str, ...]
    seed: int
    #: Whether any booking has a booking time: without one the lead time is unknown and the
    #: no-show model leaves it out.
    lead_time: bool = True


def extra_candidates(columns: list[tuple[str, str]]) -> list[str]:
    """Extra string columns that may be no-show features (not contract columns, not ids).

    ``columns``: (name, type) in table order; a type is a string column when it reads
    ``VARCHAR`` (DuckDB) or ``string`` (Spark).
    """
    known = set(get_spec("attendances").column_names)
    return [
        name
        for name, dtype in columns
        if name not in known
        and str(dtype).upper() in ("VARCHAR", "STRING")
        and not name.lower().endswith("id")
        and name != "source_row"
    ]


def scalar_sql(d: Dialect, candidates: list[str]) -> str:
    """One row: first and last booking (as text), number of bookings, levels per candidate."""
    levels = "".join(f", {_n(f'DISTINCT {d.q(c)}')} AS {d.q('levels_' + c)}" for c in candidates)
    return (
        f"SELECT CAST(min(CASE WHEN {_NS} THEN appointment_ts END) AS {d.string}) AS lo, "
        f"CAST(max(CASE WHEN {_NS} THEN appointment_ts END) AS {d.string}) AS hi, "
        f"{_n(f'CASE WHEN {_NS} THEN 1 END')} AS n, "
        f"{_n(f'CASE WHEN {_NS} AND booking_ts IS NOT NULL THEN 1 END')} AS nb{levels} "
        "FROM attendances"
    )


def booking_scope(row: dict, candidates: list[str], config: EstimateConfig) -> BookingScope:
    """The :class:`BookingScope` from the row of :func:`scalar_sql`."""
    extras = tuple(c for c in candidates if 0 < int(row[f"levels_{c}"]) <= MAX_LEVELS)
    lead = int(row.get("nb", 1)) > 0
    if row["lo"] is None:
        return BookingScope(None, 1.0, extras, config.seed, lead)
    lo = dt.datetime.fromisoformat(str(row["lo"]))
    hi = dt.datetime.fromisoformat(str(row["hi"]))
    cutoff = lo + (hi - lo) * (1.0 - config.test_fraction)
    frac = min(1.0, config.max_train_rows / max(int(row["n"]), 1))
    return BookingScope(cutoff.replace(microsecond=0), frac, extras, config.seed, lead)


def _bookings(d: Dialect, scope: BookingScope) -> str:
    ex_sel = "".join(
        f", coalesce(CAST({d.q(c)} AS {d.string}), '(missing)') AS {d.q(c)}" for c in scope.extras
    )
    ex = "".join(f", {d.q(c)}" for c in scope.extras)
    cutoff = scope.cutoff.isoformat(sep=" ") if scope.cutoff else "9999-12-31 00:00:00"
    keys = ("polyclinic_id", "visit_type", "weekday", "hour", "lead_days") + tuple(
        ("prior_no_shows", "prior_appointments", "test", "sampled")
    )
    group = ", ".join(str(i + 1) for i in range(len(keys) + len(scope.extras)))
    # prior_*: the patient's earlier appointments (at this polyclinic) that took place before
    # this booking was made: bookings sort before appointments at the same instant
    return f"""
    WITH b AS (
        SELECT attendance_id, polyclinic_id, patient_id, visit_type, appointment_ts,
               {d.bucket(f"concat(attendance_id, '{int(scope.seed)}')")}
                   < {scope.sample_fraction * 1e6} AS sampled,
               coalesce(booking_ts, CAST(CAST(appointment_ts AS DATE) AS TIMESTAMP)) AS booked,
               CASE WHEN status = 'no_show' THEN 1 ELSE 0 END AS y {ex_sel}
        FROM attendances WHERE {_NS}),
    ev AS (
        SELECT polyclinic_id, patient_id, appointment_ts AS t, 1 AS kind, y,
               CAST(NULL AS {d.string}) AS attendance_id
        FROM b WHERE patient_id IS NOT NULL
        UNION ALL
        SELECT polyclinic_id, patient_id, booked AS t, 0 AS kind, 0 AS y, attendance_id
        FROM b WHERE patient_id IS NOT NULL),
    cum AS (
        SELECT attendance_id, sum(kind) OVER w AS prior_n, sum(y) OVER w AS prior_ns
        FROM ev
        WINDOW w AS (PARTITION BY polyclinic_id, patient_id ORDER BY t, kind
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
    f AS (
        SELECT b.polyclinic_id, b.visit_type, {d.weekday("b.appointment_ts")} AS weekday,
               hour(b.appointment_ts) AS hour,
               least(greatest({d.days("b.booked", "b.appointment_ts")}, 0), {LEAD_CAP})
                   AS lead_raw,
               least(coalesce(c.prior_ns, 0), {PRIOR_CAP}) AS prior_no_shows,
               least(coalesce(c.prior_n, 0), 5) AS prior_appointments,
               b.appointment_ts >= TIMESTAMP '{cutoff}' AS test, b.sampled, b.y {ex}
        FROM b LEFT JOIN (SELECT * FROM cum WHERE attendance_id IS NOT NULL) c
          ON b.attendance_id = c.attendance_id)
    SELECT polyclinic_id, visit_type, CAST(weekday AS INTEGER) AS weekday,
           CAST(hour AS INTEGER) AS hour,
           CAST(CASE WHEN lead_raw <= 14 THEN lead_raw ELSE 7 * floor(lead_raw / 7) + 3 END
                AS INTEGER) AS lead_days,
           CAST(prior_no_shows AS INTEGER) AS prior_no_shows,
           CAST(prior_appointments AS INTEGER) AS prior_appointments, test, sampled {ex},
           {_n()} AS n, CAST(sum(y) AS BIGINT) AS no_shows
    FROM f GROUP BY {group}"""


def aggregate_sql(
    d: Dialect,
    name: str,
    config: EstimateConfig,
    scope: BookingScope | None = None,
    columns: Collection[str] | None = None,
) -> str:
    """The SQL of aggregate ``name`` in dialect ``d`` (``scope`` for ``agg_bookings``;
    ``columns`` of ``attendances`` when a history field may be absent, see
    :func:`~polyslot.estimate.aggregates_history.history_sql`)."""
    wd = d.weekday
    s = int(config.slot_minutes)
    if name in HISTORY_AGGREGATES or name in CLINIC_DAY_AGGREGATES:
        return (
            history_sql(d, name, columns)
            if name in HISTORY_AGGREGATES
            else clinic_day_sql(d, name)
        )
    if name == "agg_counts":
        day = f"CAST({WHEN} AS DATE)"
        return (
            f"SELECT polyclinic_id, visit_type, {_n()} AS n, min({day}) AS first_date, "
            f"max({day}) AS last_date FROM attendances GROUP BY 1, 2"
        )
    if name == "agg_duration_moments":
        x = "consultation_duration_minutes"
        return (
            f"SELECT polyclinic_id, visit_type, {_n()} AS n, {_exact(x)} AS s1, "
            f"{_exact(f'{x} * {x}')} AS s2, {_exact(f'ln({x})')} AS l1, "
            f"{_exact(f'ln({x}) * ln({x})')} AS l2 FROM attendances WHERE {_SEEN} GROUP BY 1, 2"
        )
    if name == "agg_duration_hist":
        return (
            f"SELECT polyclinic_id, visit_type, CAST(round(consultation_duration_minutes * "
            f"{DURATION_GRID}) AS BIGINT) AS k, {_n()} AS c FROM attendances WHERE {_SEEN} "
            "GROUP BY 1, 2, 3"
        )
    if name == "agg_punctuality":
        late = float(config.late_threshold_minutes)
        off = f"({d.micros('arrival_ts')} - {d.micros('appointment_ts')}) / 60000000.0"
        return f"""
        SELECT polyclinic_id, visit_type, CAST(floor(m / {s} + 0.5) AS BIGINT) AS k, {_n()} AS c,
               CAST(sum(CASE WHEN m > {late} THEN 1 ELSE 0 END) AS BIGINT) AS very_late
        FROM (SELECT polyclinic_id, visit_type, {off} AS m FROM attendances
              WHERE appointment_ts IS NOT NULL AND arrival_ts IS NOT NULL
                AND status = 'attended') p
        GROUP BY 1, 2, 3"""
    if name == "agg_bookings":
        if scope is None:
            raise ValueError("agg_bookings needs the booking scope")
        return _bookings(d, scope)
    if name == "agg_daily":
        return (
            f"SELECT polyclinic_id, visit_type, CAST({WHEN} AS DATE) AS d, "
            f"{_n()} AS y FROM attendances WHERE {_BOOKED_WHEN} GROUP BY 1, 2, 3"
        )
    if name == "agg_preference":
        return (
            f"SELECT polyclinic_id, visit_type, CAST({wd(WHEN)} AS INTEGER) AS wd, "
            f"CAST(hour({WHEN}) AS INTEGER) AS hour, {_n()} AS n FROM attendances "
            f"WHERE {_BOOKED_WHEN} GROUP BY 1, 2, 3, 4"
        )
    if name == "agg_open_days":
        return (
            "SELECT DISTINCT polyclinic_id, "
            "CAST(coalesce(appointment_ts, arrival_ts, consult_start_ts) AS DATE) AS d "
            "FROM attendances WHERE coalesce(appointment_ts, arrival_ts, consult_start_ts) "
            "IS NOT NULL"
        )
    if name == "agg_walk_ins":
        t = "coalesce(arrival_ts, consult_start_ts)"
        return (
            f"SELECT polyclinic_id, CAST({wd(t)} AS INTEGER) AS wd, CAST(hour({t}) AS INTEGER) "
            f"AS hour, {_n()} AS n FROM attendances WHERE status = 'walk_in' AND {t} IS NOT NULL "
            "GROUP BY 1, 2, 3"
        )
    if name == "agg_slot_days":
        return (
            f"SELECT polyclinic_id, CAST({wd('appointment_ts')} AS INTEGER) AS wd, "
            "CAST(hour(appointment_ts) * 60 + minute(appointment_ts) AS INTEGER) AS m, "
            f"visit_type, CAST(appointment_ts AS DATE) AS d, {_n()} AS c FROM attendances "
            f"WHERE {_BOOKED} GROUP BY 1, 2, 3, 4, 5"
        )
    if name == "agg_gaps":
        gap = f"CAST(floor(({d.micros('n.t2')} - {d.micros('n.t')}) / 60000000.0) AS INTEGER)"
        return f"""
        WITH b AS (
            SELECT polyclinic_id, visit_type, doctor_id, CAST(appointment_ts AS DATE) AS d,
                   appointment_ts AS t
            FROM attendances WHERE doctor_id IS NOT NULL AND appointment_ts IS NOT NULL
              AND status = 'attended'),
        u AS (SELECT DISTINCT polyclinic_id, doctor_id, d, t FROM b),
        n AS (SELECT polyclinic_id, doctor_id, d, t,
                     lead(t) OVER (PARTITION BY polyclinic_id, doctor_id, d ORDER BY t) AS t2
              FROM u)
        SELECT b.polyclinic_id, b.visit_type, {gap} AS gap, {_n()} AS n
        FROM b JOIN n ON b.polyclinic_id = n.polyclinic_id AND b.doctor_id = n.doctor_id
                     AND b.d = n.d AND b.t = n.t
        WHERE n.t2 IS NOT NULL AND {gap} > 0
        GROUP BY 1, 2, 3"""
    if name == "agg_predicted_cells":
        return f"""
        SELECT a.polyclinic_id, a.visit_type, CAST({wd("a.appointment_ts")} AS INTEGER) AS weekday,
               CAST(hour(a.appointment_ts) AS INTEGER) AS hour, {_exact("p.probability")} AS sp,
               {_n()} AS n
        FROM attendances a JOIN no_show_predictions p ON a.attendance_id = p.attendance_id
        WHERE a.status IN ('attended', 'no_show') AND a.appointment_ts IS NOT NULL
        GROUP BY 1, 2, 3, 4"""
    if name == "agg_predicted_eval":
        return """
        SELECT CASE WHEN a.status = 'no_show' THEN 1 ELSE 0 END AS y,
               CAST(floor(p.probability * 10000 + 0.5) AS BIGINT) AS p4,
               CAST(count(*) AS BIGINT) AS w
        FROM attendances a JOIN no_show_predictions p ON a.attendance_id = p.attendance_id
        WHERE a.status IN ('attended', 'no_show') GROUP BY 1, 2"""
    raise ValueError(f"unknown aggregate {name!r}")
