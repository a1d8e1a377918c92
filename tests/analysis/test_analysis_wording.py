"""Percentages read as words with a non-negative number; never "-1165% shorter"."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from polyslot.analysis.wording import change_words, count_change_words


def test_examples() -> None:
    assert change_words(10.0, 6.2) == "38% shorter"
    assert change_words(10.0, 11.2) == "12% longer"
    assert change_words(10.0, 10.01) == "about the same"
    # the export of issue 15: 0.9 -> 10.9 minutes is not "-1165% shorter"
    assert change_words(0.9, 10.9) == "12 times as long"
    assert change_words(0.0, 2.5) == "2.5 min longer"
    assert change_words(None, 3.0) == "n/a"
    assert count_change_words(-6.2, "patients a week") == "6 fewer patients a week"
    assert count_change_words(45.0, "overtime minutes a day") == "45 more overtime minutes a day"
    assert count_change_words(0.2, "patients a week") == "the same patients a week"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(finite, finite)
def test_never_a_negative_percentage(before: float, after: float) -> None:
    text = change_words(before, after)
    assert "-" not in text
    assert not re.search(r"\d+% (shorter|longer)", text) or before > 0
    m = re.match(r"(\d+)% (shorter|longer)", text)
    if m:
        assert (m.group(2) == "longer") == (after > before)
        if m.group(2) == "shorter":
            assert int(m.group(1)) <= 100
