"""The network step's share of `polyslot run` on the embedded sample (issue 23's budget: at most
30% added to `make run`), and what the plan does on it.

Runs `polyslot run` as a child process with `[network] enabled = false` and with the defaults,
alternately (`--pairs` times, so both see the same machine load), and prints wall and CPU
seconds of each (CPU of every process of the run: the worker pool included), the difference
and its share; then, from the last run with the network, the staffing points computed, the
driver's part (`polyslot network OUT` with the responses saved: the MIP, the lenders asked on
the driver, the files, the report's and guide's network parts) and the plan against the goals.

Usage: .venv/bin/python bench/bench_network.py [--pairs 1] [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = "from polyslot.cli import main; main()"


def _run(out: Path, config: Path | None, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds of one `polyslot run` (a child process and its pool)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    args = [sys.executable, "-c", CLI, "run", "--out", str(out), "--workers", str(workers)]
    if config is not None:
        args += ["--config", str(config)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _plan_lines(doc: dict) -> list[str]:
    lines = [f"plan: {doc['message']}; {doc['response_points']} staffing points"]
    for n in doc.get("notes", []):
        lines.append(f"  note: {n}")
    for p in doc["polyclinics"]:
        cells = []
        for k, d in (("patients_served", 0), ("overtime", 0), ("wait_mean", 2)):
            cells.append("/".join(f"{p[s][k]['mean']:.{d}f}" for s in ("today", "recommended",
                                                                        "network")))
        lines.append(f"  {p['polyclinic_id']} {p['role']:<9} patients {cells[0]}  overtime "
                     f"{cells[1]}  wait {cells[2]}  (today/own plan/network)")
    g = doc["goals"]
    for pid, v in g.get("overloaded", {}).items():
        lines.append(f"  goal {pid}: patients kept {v['patients_at_least_today']}, overtime "
                     f"below today {v['overtime_below_today']}, wait within 2 min "
                     f"{v['wait_within_margin']}")
    lines.append(f"  lenders within tolerance {g.get('lenders_within_tolerance')}, network "
                 f"patients at least today's {g.get('network_patients_at_least_today')}, all "
                 f"met {g.get('met')}")
    for h in g.get("added_sessions_for_goals", []):
        lines.append(f"  to meet them, add: {h['polyclinic_id']} {h['weekday']} AM {h['AM']} "
                     f"PM {h['PM']} ({h['template']} template)")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, default=None, help="copy the last run with the network")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        off = Path(tmp) / "off.toml"
        off.write_text("[network]\nenabled = false\n")
        rows = []
        for k in range(args.pairs):
            for name, cfg in (("without", off), ("with", None)):
                out = Path(tmp) / f"{name}{k}"
                wall, cpu = _run(out, cfg, args.workers)
                rows.append((name, wall, cpu))
                print(f"run {k + 1} {name:<7} network: wall {wall:6.1f} s, CPU {cpu:6.1f} s",
                      flush=True)
        base = [r for r in rows if r[0] == "without"]
        full = [r for r in rows if r[0] == "with"]
        bw, bc = (sum(r[i] for r in base) / len(base) for i in (1, 2))
        fw, fc = (sum(r[i] for r in full) / len(full) for i in (1, 2))
        print(f"mean without: wall {bw:.1f} s, CPU {bc:.1f} s; with: wall {fw:.1f} s, CPU "
              f"{fc:.1f} s")
        print(f"network step: +{fw - bw:.1f} s wall ({100 * (fw - bw) / bw:+.1f}%), "
              f"+{fc - bc:.1f} CPU-s ({100 * (fc - bc) / bc:+.1f}%)")
        last = Path(tmp) / f"with{args.pairs - 1}"
        from polyslot.network import redo_network

        t0, c0 = time.perf_counter(), time.process_time()
        doc = redo_network(last)
        print(f"driver part (polyslot network OUT, responses saved): "
              f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} CPU-s")
        for line in _plan_lines(doc):
            print(line)
        if args.keep:
            shutil.copytree(last, args.keep, dirs_exist_ok=True)
            print(f"kept: {args.keep}")
        print(json.dumps(doc["objective"]))


if __name__ == "__main__":
    main()
