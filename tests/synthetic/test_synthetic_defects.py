"""The sample's injected defects are quarantined under the documented reason codes."""

from __future__ import annotations

from polyslot.data import load_attendances
from polyslot.synthetic import generate_network
from polyslot.synthetic.defects import DEFECTS, inject_defects


def test_every_defect_lands_in_quarantine_with_its_reason(tmp_path) -> None:
    att = generate_network(1, 21, seed=3).attendances
    bad, counts = inject_defects(att, 0.01, seed=5)
    assert set(counts) == set(DEFECTS.values())
    path = tmp_path / "attendances.parquet"
    bad.to_parquet(path)
    res = load_attendances(path)
    got = res.quarantine["reason"].value_counts().to_dict()
    assert got == counts
    assert len(res.valid) + len(res.quarantine) == len(bad)
    assert len(res.valid) == len(att) - sum(
        n for r, n in counts.items() if r != "duplicate_attendance_id"
    )


def test_defects_are_seeded() -> None:
    att = generate_network(1, 14, seed=3).attendances
    a, _ = inject_defects(att, 0.01, seed=5)
    b, _ = inject_defects(att, 0.01, seed=5)
    c, _ = inject_defects(att, 0.01, seed=6)
    assert a.equals(b) and not a.equals(c)
