"""Fixtures of the capacity tests: the store with a known revisit pattern (tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def store(revisit_store):
    """100 first visits: alpha = 0.25, beta = 75/100, window [14, 21] (see ``revisit_store``)."""
    return revisit_store
