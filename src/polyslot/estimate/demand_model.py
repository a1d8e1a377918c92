"""Censored negative-binomial demand regression (statsmodels ``GenericLikelihoodModel``).

Daily appointment requests ``D_t`` of one polyclinic x visit type are modelled as
``NB2(mu_t, size r)`` with ``log mu_t = beta_weekday + a cos(2 pi doy / 365.25) +
b sin(2 pi doy / 365.25) [+ c holiday_t]``. Bookings are ``min(D_t, capacity_t)``: on a day whose
bookings reached the day's capacity the request count is only known to be at least the
bookings, so that day contributes ``P(D_t >= y_t)`` to the likelihood (right censoring).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special, stats
from statsmodels.base.model import GenericLikelihoodModel

__all__ = ["CensoredNegBin", "Terms", "design", "expected_bookings", "MIN_SEASONAL_DAYS"]

#: Yearly seasonality is fitted only on a history spanning at least this many days.
MIN_SEASONAL_DAYS = 300


def design(
    weekday: np.ndarray,
    doy: np.ndarray,
    holiday: np.ndarray | None,
    weekdays: list[int],
    seasonal: bool = True,
) -> np.ndarray:
    """Design matrix: one column per weekday in ``weekdays``, yearly Fourier pair (unless
    ``seasonal`` is false: a history shorter than a season cannot identify it), holiday."""
    cols = [(weekday == w).astype(float) for w in weekdays]
    if seasonal:
        ang = 2 * np.pi * doy / 365.25
        cols += [np.cos(ang), np.sin(ang)]
    if holiday is not None:
        cols.append(holiday.astype(float))
    return np.column_stack(cols)


@dataclass(frozen=True)
class Terms:
    """The terms of one fit: a level per weekday present in its days, and the yearly Fourier
    pair when those days span at least :data:`MIN_SEASONAL_DAYS`.

    Every fit (the whole history, each backtest origin's training days) takes the terms of the
    days it has, so a backtest origin with a shorter span, or without a weekday seen only
    later, has fewer parameters than the full fit.
    """

    weekdays: tuple[int, ...]
    seasonal: bool

    @classmethod
    def of(cls, weekday: np.ndarray, span_days: int) -> Terms:
        """The terms of days with these weekdays spanning ``span_days`` calendar days."""
        return cls(
            tuple(sorted(int(w) for w in set(weekday.tolist()))), span_days >= MIN_SEASONAL_DAYS
        )

    @property
    def size(self) -> int:
        """Number of regression coefficients (without the dispersion)."""
        return len(self.weekdays) + (2 if self.seasonal else 0)

    def design(self, weekday: np.ndarray, doy: np.ndarray) -> np.ndarray:
        """Design matrix of these terms."""
        return design(weekday, doy, None, list(self.weekdays), self.seasonal)

    def start_from(self, other: Terms, params: np.ndarray) -> np.ndarray:
        """Start values for these terms from the fitted ``params`` of ``other``: shared weekday
        levels and seasonal pair carried over, a new weekday at the mean level, a new seasonal
        pair at zero, the dispersion kept."""
        p = np.asarray(params, float)
        level = dict(zip(other.weekdays, p[: len(other.weekdays)], strict=True))
        mean = float(np.mean(list(level.values()))) if level else 0.0
        out = [level.get(w, mean) for w in self.weekdays]
        if self.seasonal:
            k = len(other.weekdays)
            out += list(p[k : k + 2]) if other.seasonal else [0.0, 0.0]
        return np.append(np.asarray(out, float), p[-1])


class CensoredNegBin(GenericLikelihoodModel):
    """NB2 regression with right-censored counts; the last parameter is ``log r``."""

    def __init__(self, endog, exog, censored, **kwds):
        self.censored = np.asarray(censored, dtype=bool)
        super().__init__(endog, exog, **kwds)
        self.nparams = exog.shape[1] + 1

    def nloglikeobs(self, params: np.ndarray) -> np.ndarray:
        beta, log_r = params[:-1], np.clip(params[-1], -5, 12)
        mu = np.exp(np.clip(self.exog @ beta, -20, 20))
        r = np.exp(log_r)
        p = r / (r + mu)
        y = self.endog
        # log P(D = y) and log P(D >= y) = log I_{1-p}(y, r) (regularised incomplete beta)
        logpmf = (
            special.gammaln(y + r)
            - special.gammaln(r)
            - special.gammaln(y + 1)
            + r * np.log(p)
            + y * np.log1p(-p)
        )
        ll = np.where(self.censored, self._logsf(y, mu, r), logpmf)
        return -ll

    def _logsf(self, y: np.ndarray, mu: np.ndarray, r: float | np.ndarray) -> np.ndarray:
        p = r / (r + mu)
        sf = special.betainc(np.maximum(y, 1e-12), r, 1 - p)
        return np.where(y > 0, np.log(np.maximum(sf, 1e-300)), 0.0)

    def score(self, params: np.ndarray) -> np.ndarray:
        """Gradient of the log-likelihood: analytic for exact counts, central differences of
        the log survival function for censored days."""
        beta, log_r = params[:-1], np.clip(params[-1], -5, 12)
        eta = np.clip(self.exog @ beta, -20, 20)
        mu = np.exp(eta)
        r = np.exp(log_r)
        y = self.endog
        d_eta = (y - mu) * r / (r + mu)
        d_logr = r * (
            special.digamma(y + r)
            - special.digamma(r)
            + np.log(r / (r + mu))
            + 1
            - (r + y) / (r + mu)
        )
        c = self.censored
        if c.any():
            h = 1e-5
            yc, mc = y[c], mu[c]
            d_eta[c] = (
                self._logsf(yc, mc * np.exp(h), r) - self._logsf(yc, mc * np.exp(-h), r)
            ) / (2 * h)
            d_logr[c] = (
                self._logsf(yc, mc, r * np.exp(h)) - self._logsf(yc, mc, r * np.exp(-h))
            ) / (2 * h)
        return np.append(self.exog.T @ d_eta, d_logr.sum())

    def fit(self, start_params=None, maxiter=500, **kwds):
        if start_params is None:
            y = np.maximum(self.endog, 0.5)
            beta = np.linalg.lstsq(self.exog, np.log(y), rcond=None)[0]
            start_params = np.append(beta, np.log(30.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return super().fit(
                start_params=start_params,
                maxiter=maxiter,
                method="bfgs",
                disp=0,
                skip_hessian=True,
                **kwds,
            )


def expected_bookings(mu: np.ndarray, r: float, cap: np.ndarray) -> np.ndarray:
    """``E[min(D, cap)]`` for ``D ~ NB2(mu, r)``: the sum of ``P(D > k)`` over ``k < cap``."""
    out = np.empty(len(mu))
    for i, (m, c) in enumerate(zip(mu, cap, strict=True)):
        k = np.arange(int(c))
        out[i] = float(stats.nbinom.sf(k, r, r / (r + m)).sum()) if c > 0 else 0.0
    return out
