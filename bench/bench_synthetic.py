"""Benchmark: generate and write the default synthetic network (6 polyclinics x 365 days).

Prints generation and writing time, rows per second and peak memory (max RSS).
Usage: python bench/bench_synthetic.py [polyclinics] [days]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time

from polyslot.synthetic import generate_network, write_network


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 365
    t = time.perf_counter()
    net = generate_network(n, days, seed=0)
    gen = time.perf_counter() - t
    rows = len(net.attendances)
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        write_network(net, out)
        wr = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"generate {n} polyclinics x {days} days: {gen:.2f} s, {rows:,} attendance rows "
        f"({rows / gen:,.0f} rows/s)"
    )
    print(f"write parquet + truth.json: {wr:.2f} s")
    print(f"peak memory (max RSS): {rss:,.0f} MB")


if __name__ == "__main__":
    main()
