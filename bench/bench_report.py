"""Benchmark the deliverables: time to write everything for a network of demo results.

Prints wall-clock seconds (best of ``--repeat``) and the report size. Run:
``.venv/bin/python bench/bench_report.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from polyslot.report import write_deliverables
from polyslot.report.demo import demo_network_result
from polyslot.report.export import write_templates
from polyslot.report.guide import build_guide
from polyslot.report.html import render_report


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _measure(n: int, repeat: int) -> str:
    net = demo_network_result(n_polyclinics=n)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_tpl = _best(
            lambda: [write_templates(r.recommended, out / "t") for r in net.polyclinics], repeat
        )
        t_guide = _best(lambda: build_guide(net), repeat)
        t_html = _best(lambda: render_report(net), repeat)
        t_all = _best(lambda: write_deliverables(net, out / "all"), repeat)
        size = (out / "all" / "report.html").stat().st_size / 1e6
    return f"{n:11d} | {t_tpl:26.2f} | {t_guide:7.2f} | {t_html:8.2f} | {t_all:5.2f} | {size:9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("polyclinics | templates (csv+json+xlsx) s | guide s | report s | all s | report MB")
    for n in (1, 5, 10):
        print(_measure(n, args.repeat))


if __name__ == "__main__":
    main()
