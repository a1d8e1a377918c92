"""The trust figures of a finished run: before/after per polyclinic with verdicts, the fidelity
table (model vs history) and the frontier of every overloaded weekday.

Usage: .venv/bin/python bench/bench_trust.py [OUT_DIR]   (default: out/, as written by make run)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _f(v: object, fmt: str = "{:.1f}") -> str:
    return "n/a" if v is None else fmt.format(v)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    summary = json.loads((out / "summary.json").read_text())
    print(
        "| polyclinic | source | wait now | wait new | change | patients/wk now | new | "
        "overtime/wk now | new | verdict | confidence |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for e in [*summary["polyclinics"], summary["network"]]:
        print(
            f"| {e['polyclinic_id']} | {e.get('source')} | {_f(e.get('wait_mean_current'))} | "
            f"{_f(e.get('wait_mean_recommended'))} | {e.get('wait_change', '')} | "
            f"{_f(e.get('patients_served_current'), '{:.0f}')} | "
            f"{_f(e.get('patients_served_recommended'), '{:.0f}')} | "
            f"{_f(e.get('overtime_current'), '{:.0f}')} | "
            f"{_f(e.get('overtime_recommended'), '{:.0f}')} | {e.get('verdict', '')} | "
            f"{e.get('confidence', '')} |"
        )
    print()
    print(
        "| polyclinic | mean wait model / history | p90 wait | utilisation | patients/wk | "
        "overtime/day | within |"
    )
    print("|---|---|---|---|---|---|---|")
    for e in summary["polyclinics"]:
        w = (e.get("fidelity") or {}).get("week") or {}

        def pair(k: str, scale: float = 1.0, fmt: str = "{:.1f}", w: dict = w) -> str:
            g = w.get(k)
            if not g:
                return "n/a"
            return f"{fmt.format(g['model'] * scale)} / {fmt.format(g['observed'] * scale)}"

        print(
            f"| {e['polyclinic_id']} | {pair('wait_mean')} | {pair('wait_p90')} | "
            f"{pair('utilization', 100)} % | {pair('patients_served', 1, '{:.0f}')} | "
            f"{pair('overtime')} | {(e.get('fidelity') or {}).get('within_tolerance')} |"
        )
    for path in sorted((out / "frontier").glob("*.json")):
        doc = json.loads(path.read_text())
        for day, f in doc["weekdays"].items():
            if not f.get("overloaded"):
                continue
            print(f"\n{doc['polyclinic_id']} {day} (policy {doc['policy']}, chosen *)")
            print("| point | floor | overtime weight | wait | patients | overtime/day | util |")
            print("|---|---|---|---|---|---|---|")
            for i, p in enumerate(f["points"]):
                print(
                    f"| {'* ' if i == f['chosen'] else ''}{p['label']} | "
                    f"{p['throughput_floor']:.2f} | {p['overtime_weight']:.1f} | "
                    f"{_f(p['wait_mean'])} | {_f(p['patients_per_week'], '{:.0f}')} | "
                    f"{_f(p['overtime'], '{:.0f}')} | {_f(p['utilization'], '{:.2f}')} |"
                )
    for e in summary["polyclinics"]:
        if e.get("traded"):
            print(f"\ntraded at {e['polyclinic_id']}: {e['traded']}")


if __name__ == "__main__":
    main()
