"""No-show rates per polyclinic x visit type x weekday x hour, and the model's evaluation.

The built-in :class:`~polyslot.estimate.noshow.NoShowModel` is trained on the bookings before a
time cutoff (the last ``test_fraction`` of the date range is held out), evaluated on the
held-out bookings (AUC, Brier score, calibration table), and its predicted probabilities are
averaged over all historical bookings of each cell to give the optimizer's rates, after a
last recalibration on all history (one log-odds shift per polyclinic x visit type so the
booking-weighted mean equals the observed rate). Only
attended and no-show bookings count (cancelled ones never had a chance to be missed).
With NO_SHOW_PREDICTIONS (supplied no-show predictions), the supplied probabilities are
averaged instead.

Without a booking time on any booking the lead time is unknown: the model leaves the feature
out (``metrics["lead_time"]``). A polyclinic whose history has no appointment times (a
consultation log) has no bookings to train on: its rate per visit type is the share of
no-shows among its attended and no-show rows (``no_show / (attended + no_show)``, 0 when its
statuses record no no-show), the same in every weekday x hour in which it had attendances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from polyslot.clinic_model import NoShowRate
from polyslot.data.store import Connection, has_table
from polyslot.estimate.aggregates import BookingScope
from polyslot.estimate.config import EstimateConfig
from polyslot.estimate.history import status_counts
from polyslot.estimate.noshow import NoShowModel

CATEGORICAL_FEATURES = (
    "visit_type",
    "lead_days",
    "weekday",
    "hour",
    "prior_no_shows",
    "prior_appointments",
    "polyclinic_id",
)

__all__ = ["booking_features", "estimate_no_show", "status_rates", "CAL_EDGES", "NO_LEAD_TIME"]

#: Why the lead time is left out of the no-show model.
NO_LEAD_TIME = "skipped: no booking has a booking time (booking_ts unknown), lead time unknown"

CAL_EDGES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0)


def booking_features(con: Connection) -> pd.DataFrame:
    """Grouped feature rows of attended/no-show bookings (``agg_bookings``): one row per
    distinct feature vector and split, with ``n`` bookings and ``no_shows``; ``test`` marks the
    held-out period and ``sampled`` a seeded hash sample of the bookings (for training)."""
    return con.execute("SELECT * FROM agg_bookings").df()


def _expand(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Two weighted rows per group: y = 1 with weight no_shows, y = 0 with weight n - no_shows."""
    pos = frame[frame["no_shows"] > 0]
    neg = frame[frame["n"] > frame["no_shows"]]
    X = pd.concat([pos, neg], ignore_index=True)  # noqa: N806
    y = np.concatenate([np.ones(len(pos), int), np.zeros(len(neg), int)])
    w = np.concatenate(
        [pos["no_shows"].to_numpy(float), (neg["n"] - neg["no_shows"]).to_numpy(float)]
    )
    return X, y, w


def evaluation(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> dict:
    """AUC, Brier score and a calibration table of probabilities ``p`` for outcomes ``y``."""
    out: dict = {"n": int(round(w.sum()))}
    out["auc"] = round(float(roc_auc_score(y, p, sample_weight=w)), 4) if len(set(y)) == 2 else None
    out["brier"] = round(float(brier_score_loss(y, p, sample_weight=w)), 5)
    table = []
    bins = np.clip(np.searchsorted(CAL_EDGES, p, side="right") - 1, 0, len(CAL_EDGES) - 2)
    for b in range(len(CAL_EDGES) - 1):
        m = bins == b
        if not m.any():
            continue
        wb = w[m]
        table.append(
            {
                "bin": f"[{CAL_EDGES[b]:.2f}, {CAL_EDGES[b + 1]:.2f})",
                "n": int(round(wb.sum())),
                "mean_predicted": round(float(np.average(p[m], weights=wb)), 4),
                "observed_rate": round(float(np.average(y[m], weights=wb)), 4),
            }
        )
    out["calibration"] = table
    return out


def _predict_chunked(model: NoShowModel, X: pd.DataFrame, chunk: int = 100_000) -> np.ndarray:  # noqa: N803
    """P(no-show) in chunks, so the design matrix of a large store never exists whole."""
    if len(X) == 0:
        return np.zeros(0)
    return np.concatenate(
        [model.predict_proba(X.iloc[i : i + chunk])[:, 1] for i in range(0, len(X), chunk)]
    )


def _recalibrate(frame: pd.DataFrame) -> np.ndarray:
    """Shift the log-odds of every polyclinic x visit type by one constant so that the
    booking-weighted mean prediction equals the observed no-show rate over all history (the
    model was trained on a sample; this removes its sampling error from the rates)."""
    p = np.clip(frame["p"].to_numpy(float), 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    with np.errstate(over="ignore"):  # a shift toward a rate of ~0 overflows exp harmlessly
        return _shift(frame, logit, p.copy())


def _shift(frame: pd.DataFrame, logit: np.ndarray, out: np.ndarray) -> np.ndarray:
    n = frame["n"].to_numpy(float)
    keys = frame["polyclinic_id"].astype(str) + "\x1f" + frame["visit_type"].astype(str)
    for _, idx in frame.groupby(keys.to_numpy()).indices.items():
        target = frame["no_shows"].to_numpy(float)[idx].sum() / n[idx].sum()
        target = min(max(target, 1e-4), 1 - 1e-4)
        shift = 0.0
        for _ in range(30):  # Newton on sum n (sigmoid(logit + shift) - target) = 0
            q = 1 / (1 + np.exp(-(logit[idx] + shift)))
            f = np.dot(n[idx], q) / n[idx].sum() - target
            df = np.dot(n[idx], q * (1 - q)) / n[idx].sum()
            shift -= f / max(df, 1e-9)
            if abs(f) < 1e-10:
                break
        out[idx] = 1 / (1 + np.exp(-(logit[idx] + shift)))
    return out


def _rates(cells: pd.DataFrame) -> dict[str, list[NoShowRate]]:
    out: dict[str, list[NoShowRate]] = {}
    for r in cells.itertuples(index=False):
        out.setdefault(str(r.polyclinic_id), []).append(
            NoShowRate(
                str(r.visit_type),
                int(r.weekday),
                int(r.hour),
                float(min(max(r.rate, 0.0), 1.0)),
                int(r.n),
            )
        )
    return out


def status_rates(
    counts: pd.DataFrame, cells: dict[str, list[tuple[int, int]]]
) -> tuple[dict[str, list[NoShowRate]], list[dict]]:
    """Rates from the statuses alone (no appointment times): per polyclinic x visit type
    ``no_show / (attended + no_show)`` in each of the polyclinic's (weekday, hour) ``cells``;
    ``n_obs`` is the visit type's attended + no-show rows. Returns the rates and the
    ``by_visit_type`` summary rows."""
    out: dict[str, list[NoShowRate]] = {}
    rows: list[dict] = []
    for r in counts.itertuples(index=False):
        n = int(r.attended) + int(r.no_show)
        pc = str(r.polyclinic_id)
        if n == 0 or pc not in cells:
            continue
        rate = int(r.no_show) / n
        rows.append(
            {"polyclinic_id": pc, "visit_type": str(r.visit_type), "n": n,
             "observed_rate": round(rate, 4), "model_rate": round(rate, 4)}
        )  # fmt: skip
        out.setdefault(pc, []).extend(
            NoShowRate(str(r.visit_type), wd, hour, rate, n) for wd, hour in cells[pc]
        )
    return out, rows


def estimate_no_show(
    con: Connection,
    config: EstimateConfig,
    scope: BookingScope,
    cells: dict[str, list[tuple[int, int]]] | None = None,
) -> tuple[dict[str, list[NoShowRate]], dict]:
    """``({polyclinic: [NoShowRate]}, metrics)``; ``metrics["source"]`` is ``"model"``,
    ``"supplied_predictions"`` or ``"statuses"``. ``scope``: the cutoff, training sample and
    extra features the aggregates were computed with; ``cells``: the (weekday, hour) of each
    polyclinic's attendances, where rates from statuses apply (polyclinics without any
    booking with an appointment time, listed in ``metrics["status_polyclinics"]``)."""
    if has_table(con, "agg_predicted_cells"):
        return _supplied_predictions(con)
    rates, metrics = _model_rates(con, config, scope)
    fallback, rows = status_rates(status_counts(con), {
        pc: c for pc, c in (cells or {}).items() if pc not in rates
    })  # fmt: skip
    if fallback:
        rates.update(fallback)
        metrics["status_polyclinics"] = sorted(fallback)
        metrics["status_rule"] = (
            "no appointment times: no_show / (attended + no_show) per visit type"
        )
        metrics.setdefault("by_visit_type", []).extend(rows)
        if scope.cutoff is None:
            metrics["source"] = "statuses"
    return rates, metrics


def _model_rates(
    con: Connection, config: EstimateConfig, scope: BookingScope
) -> tuple[dict[str, list[NoShowRate]], dict]:
    if scope.cutoff is None:
        return {}, {
            "source": "model",
            "skipped": "no attended or no-show booking with an appointment time",
        }
    extras = list(scope.extras)
    frame = booking_features(con)
    train = frame[~frame["test"] & frame["sampled"]]
    test = frame[frame["test"]]
    features = [f for f in CATEGORICAL_FEATURES if scope.lead_time or f != "lead_days"]
    metrics: dict = {
        "source": "model",
        "model": "logistic regression (maximum likelihood)",
        "features": [*features, *extras],
        "lead_time": "used" if scope.lead_time else NO_LEAD_TIME,
        "cutoff": str(scope.cutoff),
        "train_sample_fraction": round(scope.sample_fraction, 4),
    }
    if train.empty or test.empty:
        train = frame[frame["sampled"]]
        metrics["note"] = "too few days for a time-based split; evaluated in-sample"
        test = frame
    model = NoShowModel(
        tuple(extras), calibration="none", random_state=config.seed, lead_time=scope.lead_time
    )
    X, y, w = _expand(train)  # noqa: N806
    model.fit(X, y, sample_weight=w)
    Xt, yt, wt = _expand(test)  # noqa: N806
    metrics["test"] = evaluation(yt, _predict_chunked(model, Xt), wt)
    del Xt
    metrics["train_bookings"] = int(train["n"].sum())
    # the rates use a model refitted on the sampled bookings of the whole period
    X, y, w = _expand(frame[frame["sampled"]])  # noqa: N806
    model = NoShowModel(
        tuple(extras), calibration="none", random_state=config.seed, lead_time=scope.lead_time
    )
    model.fit(X, y, sample_weight=w)
    frame = frame.assign(p=_predict_chunked(model, frame))
    frame["p"] = _recalibrate(frame)
    frame["pn"] = frame["p"] * frame["n"]
    cells = frame.groupby(["polyclinic_id", "visit_type", "weekday", "hour"], as_index=False)[
        ["pn", "n", "no_shows"]
    ].sum()
    cells["rate"] = cells["pn"] / cells["n"]
    by_vt = frame.groupby(["polyclinic_id", "visit_type"])[["pn", "n", "no_shows"]].sum()
    metrics["by_visit_type"] = [
        {
            "polyclinic_id": pc,
            "visit_type": vt,
            "n": int(r.n),
            "observed_rate": round(float(r.no_shows / r.n), 4),
            "model_rate": round(float(r.pn / r.n), 4),
        }
        for (pc, vt), r in by_vt.iterrows()
    ]
    return _rates(cells), metrics


def _supplied_predictions(
    con: Connection,
) -> tuple[dict[str, list[NoShowRate]], dict]:
    cells = con.execute(
        "SELECT polyclinic_id, visit_type, weekday, hour, sp, n FROM agg_predicted_cells"
    ).df()
    cells["rate"] = cells["sp"].astype(float) / cells["n"]
    # probabilities binned to 1e-4 as exact integers (identical in every engine)
    ev = con.execute("SELECT y, p4 / 10000 AS p, w FROM agg_predicted_eval").df()
    metrics: dict = {"source": "supplied_predictions"}
    if not ev.empty:
        metrics["test"] = evaluation(
            ev["y"].to_numpy(int), ev["p"].to_numpy(float), ev["w"].to_numpy(float)
        )
        metrics["note"] = "supplied no-show probabilities evaluated on all their bookings"
    return _rates(cells), metrics
