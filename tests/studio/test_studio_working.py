"""The working copy is a pure function of its base and the edited grid: the same grid gives the
same slots and the same KPIs, bit for bit, whatever the path to it; undo restores exactly."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyslot.studio import edits
from polyslot.studio.kpis import ModelIndex, day_kpis
from polyslot.studio.working import WorkingCopy, materialize

from .reference import reference_day


@pytest.fixture(scope="module")
def index(model) -> ModelIndex:
    return ModelIndex(model)


def _cells(template, weekday: int) -> list[tuple[int, str]]:
    return sorted(edits.grid_counts(template, weekday))


def test_plus_then_minus_is_the_base_on_every_cell(model, index) -> None:
    """The issue's case (+1 then -1 on a cell returned the grid but not the KPIs): on every cell
    of Monday, the template and its KPIs come back identical."""
    base = model.current_template
    k0 = day_kpis(index, base, 0)
    moved = 0
    for hour, vt in _cells(base, 0):
        wc = WorkingCopy(base)
        n = edits.grid_counts(base, 0)[(hour, vt)][0]
        wc.set_cell(index, 0, hour, vt, n + 1)
        plus = wc.template
        wc.set_cell(index, 0, hour, vt, n)
        assert wc.template.slots == base.slots
        assert day_kpis(index, wc.template, 0) == k0
        # the old path (set_count on the edited template) can take another slot away
        old = edits.set_count(index, plus, 0, hour, vt, n)
        moved += old.slots != base.slots
    assert moved > 0, "the sample has a cell where the old path moved a slot"


def test_undo_restores_the_exact_state(model, index) -> None:
    base = model.current_template
    wc = WorkingCopy(base)
    (h1, v1), (h2, v2) = _cells(base, 0)[:2]
    states = [wc.template]
    wc.set_cell(index, 0, h1, v1, 0)
    states.append(wc.template)
    wc.set_cell(index, 0, h2, v2, 7)
    states.append(wc.template)
    wc.set_day(2, ())
    assert wc.undo_depth == 3
    for expected in reversed(states):
        assert wc.undo()
        assert wc.template.slots == expected.slots
        assert day_kpis(index, wc.template, 0) == day_kpis(index, expected, 0)
        if expected is states[0]:
            break
    assert not wc.undo() and wc.undo_depth == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 12))
def test_same_grid_same_slots_whatever_the_path(model, index, seed, steps) -> None:
    """Random edits (+1, -1, typed counts) on random cells, replayed in another order to the
    same final grid, give the same template and the same KPIs; the result is
    ``materialize(base, grid)``."""
    rng = random.Random(seed)
    base = model.current_template
    cells = _cells(base, 0)
    wc = WorkingCopy(base)
    for _ in range(steps):
        hour, vt = rng.choice(cells)
        have = edits.grid_counts(wc.template, 0).get((hour, vt), (0, 0))[0]
        wc.set_cell(index, 0, hour, vt, max(0, have + rng.choice((-2, -1, 1, 2))))
    final = {c: n for c, (n, _) in edits.grid_counts(wc.template, 0).items()}
    other = WorkingCopy(base)
    for (hour, vt), n in sorted(final.items(), key=lambda _: rng.random()):
        other.set_cell(index, 0, hour, vt, n)
    for hour, vt in cells:  # cells emptied by the edits
        if (hour, vt) not in final:
            other.set_cell(index, 0, hour, vt, 0)
    assert other.template.slots == wc.template.slots
    assert day_kpis(index, other.template, 0) == day_kpis(index, wc.template, 0)
    assert materialize(index, base, 0, wc.target(0)).slots == wc.template.slots


def test_materialize_keeps_the_exact_evaluator_numbers(model, index) -> None:
    base = model.current_template
    (hour, vt) = _cells(base, 0)[0]
    n = edits.grid_counts(base, 0)[(hour, vt)][0]
    tpl = materialize(index, base, 0, {(hour, vt): n + 3})
    assert edits.grid_counts(tpl, 0)[(hour, vt)][0] == n + 3
    assert edits.change_list(base, tpl) == [f"Mon {hour:02d}:00: {vt} {n} -> {n + 3}"]
    ref = reference_day(model, tpl, 0)
    assert day_kpis(index, tpl, 0).wait_mean == pytest.approx(ref["wait_mean"], rel=1e-9)


def test_a_refused_cell_leaves_the_working_copy_unchanged(model, index) -> None:
    base = model.current_template
    wc = WorkingCopy(base)
    windows = edits.duty_windows(index, base, 0)
    covered = {h for a, b in windows.values() for h in range(a // 60, (b - 1) // 60 + 1)}
    gap = next(h for h in range(min(covered), 20) if h not in covered)
    with pytest.raises(edits.EditError) as err:
        wc.set_cell(index, 0, gap, model.visit_types[0], 1)
    assert "inside a break" in err.value.message
    assert wc.template.slots == base.slots and wc.undo_depth == 0 and wc.version == 0
