"""Changes read as words: "38% shorter", "12% longer", "about the same", never "-1165% shorter".

A relative change is only meaningful against a positive baseline; a change from (almost) zero
is said in the quantity's own unit ("9.9 min longer"), and a change of more than nine-fold is
said as a factor ("12 times as long").
"""

from __future__ import annotations

import math

__all__ = ["change_words", "count_change_words", "signed_words"]

_AS = {"longer": "long", "higher": "high", "more": "many", "larger": "large"}
#: Below this relative change (percent) two values read as "about the same".
SAME_PCT = 0.5


def change_words(
    before: float | None,
    after: float | None,
    *,
    up: str = "longer",
    down: str = "shorter",
    unit: str = "min",
    same: str = "about the same",
) -> str:
    """How ``after`` compares with ``before``, in words with a non-negative percentage.

    Parameters
    ----------
    before, after : float or None
        The two values (e.g. mean wait today and with the recommended template).
    up, down : str
        Words for an increase and a decrease.
    unit : str
        Unit used when the baseline is (almost) zero.
    same : str
        Text when the change is below :data:`SAME_PCT` percent.

    Returns
    -------
    str
        ``"38% shorter"``, ``"12% longer"``, ``"12 times as long"`` (ten-fold or more),
        ``"2.5 min longer"`` (no positive baseline) or ``same``; ``"n/a"`` when a value is
        missing.
    """
    if before is None or after is None:
        return "n/a"
    b, a = float(before), float(after)
    if not (math.isfinite(b) and math.isfinite(a)):
        return "n/a"
    diff = a - b
    word = up if diff > 0 else down
    if b < 1e-9 or a < 0:  # no positive baseline (or a signed quantity): say it in units
        if abs(diff) < 1e-9:
            return same
        return f"{abs(diff):.1f} {unit} {word}".replace("  ", " ")
    pct = 100.0 * abs(diff) / abs(b)
    if pct < SAME_PCT:
        return same
    if diff > 0 and pct >= 900.0:
        return f"{a / b:.0f} times as {_AS.get(word, 'much')}"
    return f"{pct:.0f}% {word}"


def count_change_words(delta: float, noun: str, *, more: str = "more", fewer: str = "fewer") -> str:
    """``"6 fewer patients a week"`` / ``"45 more overtime minutes a day"`` (``noun`` given)."""
    if delta is None or not math.isfinite(float(delta)):
        return f"{noun}: n/a"
    d = float(delta)
    if round(abs(d)) == 0:
        return f"the same {noun}"
    return f"{abs(d):.0f} {more if d > 0 else fewer} {noun}"


def signed_words(delta: float, unit: str, *, up: str = "more", down: str = "less") -> str:
    """``"2.4 min less"`` / ``"1.0 pp more"``: an absolute change with a word for its sign."""
    if delta is None or not math.isfinite(float(delta)):
        return "n/a"
    d = float(delta)
    if abs(d) < 0.05:
        return f"no change ({unit})"
    return f"{abs(d):.1f} {unit} {up if d > 0 else down}"
