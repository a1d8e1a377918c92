"""No-show model: calibrated logistic regression on what is known at booking time.

Features (computed in DuckDB, grouped so that identical feature rows are counted once):
polyclinic, visit type, weekday and hour of the appointment, booking lead time in whole days
(capped at 90, in 7-day bins beyond two weeks; also per visit type, so each type has its
own lead slope), the patient's
earlier no-shows and earlier appointments (capped at 5) at the same polyclinic counted strictly from
appointments that took place before the booking was made (an ASOF join on a running window
count), and low-cardinality extra columns such as ``age_group``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from polyslot.errors import InputError, NotFittedError

__all__ = ["NoShowModel", "NUMERIC", "CATEGORICAL", "LEAD_CAP", "PRIOR_CAP"]

LEAD_CAP = 90
PRIOR_CAP = 5
CATEGORICAL = ("polyclinic_id", "visit_type", "weekday", "hour")
NUMERIC = ("lead_days", "prior_no_shows", "prior_appointments")


class NoShowModel:
    """scikit-learn style classifier of P(no-show | features known at booking time).

    Parameters
    ----------
    extra_features : tuple of str
        Additional categorical columns (e.g. ``age_group``).
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    calibration : {"none", "sigmoid", "isotonic"}
        ``"none"`` (default) uses the maximum-likelihood logistic regression as is: its score
        equations make the weighted mean prediction equal the observed rate within every
        one-hot category, and the held-out calibration table checks it. The wrappers use
        :class:`~sklearn.calibration.CalibratedClassifierCV` (3 folds); on grouped, weighted
        rows they are biased (folds split a group's positive and negative rows, and Platt's
        prior correction counts rows, not weights), so they are not used by default.
    random_state : int
        Seed kept for the calibration folds (stratified, not shuffled).
    lead_time : bool
        Use the booking lead time (``lead_days``: linear, log and a per-visit-type slope).
        False when no booking has a booking time: the lead time is then unknown, and the
        feature is left out rather than read as 0 days.
    """

    def __init__(
        self,
        extra_features: tuple[str, ...] = (),
        C: float = 1.0,  # noqa: N803 - scikit-learn's name
        calibration: str = "none",
        random_state: int = 0,
        lead_time: bool = True,
    ) -> None:
        self.extra_features = extra_features
        self.C = C
        self.calibration = calibration
        self.random_state = random_state
        self.lead_time = lead_time

    # -- design matrix -----------------------------------------------------------------------
    def _design(self, X: pd.DataFrame, fit: bool) -> np.ndarray:  # noqa: N803
        cats = [*CATEGORICAL, *self.extra_features]
        numeric = NUMERIC if self.lead_time else tuple(c for c in NUMERIC if c != "lead_days")
        missing = [c for c in (*cats, *numeric) if c not in X.columns]
        if missing:
            raise InputError("missing feature column", field=missing[0], value=list(X.columns))
        if fit:
            self.categories_ = {c: sorted(X[c].astype(str).unique()) for c in cats}
        cols: list[np.ndarray] = []
        for c in cats:
            values = X[c].astype(str).to_numpy()
            for level in self.categories_[c][1:]:  # first level is the reference
                cols.append((values == level).astype(float))
        prior = np.minimum(X["prior_no_shows"].to_numpy(dtype=float), PRIOR_CAP)
        n_prior = X["prior_appointments"].to_numpy(dtype=float)
        lead = (
            np.minimum(X["lead_days"].to_numpy(dtype=float), LEAD_CAP) if self.lead_time else None
        )
        if lead is not None:
            cols += [lead / 30.0, np.log1p(lead)]
        cols += [
            prior,
            (n_prior > 0).astype(float),
            np.log1p(n_prior),
            prior / np.maximum(n_prior, 1.0),
        ]
        if lead is not None:  # each visit type its own lead slope
            vt = X["visit_type"].astype(str).to_numpy()
            for level in self.categories_["visit_type"]:
                cols.append((vt == level) * lead / 30.0)
        return np.column_stack(cols)

    # -- scikit-learn contract ---------------------------------------------------------------
    def fit(
        self,
        X: pd.DataFrame,  # noqa: N803
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> NoShowModel:
        """Fit on feature rows ``X`` with outcomes ``y`` (1 = no-show) and optional weights."""
        y = np.asarray(y, dtype=int)
        if len(y) != len(X) or len(y) == 0:
            raise InputError(
                "X and y must be non-empty and of equal length", field="y", value=len(y)
            )
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise InputError(
                "must be sigmoid, isotonic or none", field="calibration", value=self.calibration
            )
        Z = self._design(X, fit=True)  # noqa: N806
        self.mean_ = Z.mean(axis=0)
        self.scale_ = np.where(Z.std(axis=0) > 0, Z.std(axis=0), 1.0)
        Z = (Z - self.mean_) / self.scale_  # noqa: N806
        base = LogisticRegression(C=self.C, max_iter=2000)
        if len(np.unique(y)) < 2:
            self.constant_: float | None = float(y[0])
            self.estimator_ = None
        else:
            self.constant_ = None
            if self.calibration == "none":
                est = base
            else:
                est = CalibratedClassifierCV(base, method=self.calibration, cv=3)
            self.estimator_ = est.fit(Z, y, sample_weight=sample_weight)
        self.n_features_in_ = Z.shape[1]
        return self

    def _check(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError("NoShowModel is not fitted; call fit(X, y) first")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """``(n, 2)`` array: P(show), P(no-show)."""
        self._check()
        if self.estimator_ is None:
            p = np.full(len(X), self.constant_)
        else:
            Z = (self._design(X, fit=False) - self.mean_) / self.scale_  # noqa: N806
            p = self.estimator_.predict_proba(Z)[:, 1]
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """1 where P(no-show) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
