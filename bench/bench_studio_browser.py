"""The studio in the browser, as a planner feels it (prints figures for docs/performance.md).

Starts the real command (``polyslot studio --out OUT --port P``, which warms the KPI engine
before it listens), drives Debian's chromium with Playwright and measures:

* **server up**: from starting the command to the port accepting connections (includes the
  warm-up; the command's own "ready: KPI engine warmed in X s" is printed too);
* **first editor view** after the server is up: from ``page.goto`` to the KPI table in the
  page, painted, and the wait-by-hour chart (an SVG drawn by the server) in the page;
* **click to rendered KPIs** for ``--edits`` cell edits (``+`` then ``-`` on seeded random
  cells of the day): timed inside the page, from the click event to the first animation frame
  after the new KPI panel is in the DOM (the chart's ``Plotly.react`` runs before that frame),
  plus the server's own time (``X-Studio-Ms``) and the bytes of each answer.

Run: ``.venv/bin/python bench/bench_studio_browser.py --out out/ [--pc PC02 --day Mon]``
(a finished ``polyslot run`` in ``out/``; default polyclinic: the one with most slots on the
day). Needs Debian's chromium (``/usr/bin/chromium``) and Playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]  # fmt: skip

#: Installed in the page: the click time, and the first frame after a new KPI panel.
PROBE = """
() => {
  window.__probe = { t0: null, swap: null, frame: null, version: null };
  document.addEventListener('click', () => {
    const seen = window.__probe.seen;
    window.__probe = { t0: performance.now(), swap: null, frame: null, version: null, seen };
  }, true);
  new MutationObserver(() => {
    const p = document.getElementById('kpi-panel');
    const pr = window.__probe;
    if (!p || pr.t0 === null || pr.swap !== null) return;
    if (p.dataset.version === pr.seen) return;
    pr.swap = performance.now(); pr.version = p.dataset.version;
    requestAnimationFrame(() => { pr.frame = performance.now(); });
  }).observe(document.getElementById('side'), { childList: true, subtree: true });
}
"""


#: Installed before the editor's own scripts: when the KPI table and the chart appear
#: (milliseconds after the navigation started).
FIRST_VIEW = """
window.__first = { kpis: null, chart: null };
new MutationObserver(() => {
  const f = window.__first;
  if (f.kpis === null && document.getElementById('kpis')) {
    f.kpis = performance.now();
    requestAnimationFrame(() => { f.kpisFrame = performance.now(); });
  }
  if (f.chart === null && document.querySelector('#by-hour svg polyline')) {
    f.chart = performance.now();
  }
}).observe(document, { childList: true, subtree: true });
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick(out: Path, day: str) -> str:
    """The polyclinic with the most slots on ``day`` (recommended template)."""
    best, most = "", -1
    for path in sorted((out / "templates").glob("*.json")):
        if path.name.endswith(".fhir.json"):
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        n = sum(1 for s in doc.get("slots", []) if s.get("weekday") == day)
        if n > most:
            best, most = doc.get("polyclinic_id", path.stem), n
    return best


def start_server(out: Path, port: int) -> tuple[subprocess.Popen, float, list[str]]:
    """Start ``polyslot studio``; return it, the seconds until the port accepts, its lines."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from polyslot.cli import app; app()", "studio",
         "--out", str(out), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    lines: list[str] = []
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None:
                text = proc.stdout.read() if proc.stdout else ""
                raise SystemExit("studio exited: " + text) from None
            time.sleep(0.02)
    up = time.perf_counter() - t0
    return proc, up, lines


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("out"), help="a finished polyslot run")
    ap.add_argument("--pc", default=None, help="polyclinic (default: most slots on the day)")
    ap.add_argument("--day", default="Mon")
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    pid = args.pc or pick(args.out, args.day)
    port = free_port()
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
    proc, up, _ = start_server(args.out, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            sizes: list[int] = []
            server_ms: list[float] = []

            def on_response(r):
                if r.url.endswith("/cell"):
                    sizes.append(len(r.body()))
                    server_ms.append(float(r.headers.get("x-studio-ms", "nan")))

            page.add_init_script(FIRST_VIEW)
            t0 = time.perf_counter()
            page.goto(f"{base}/pc/{pid}/{args.day}", wait_until="commit")
            page.wait_for_selector("#by-hour svg polyline", timeout=60_000)
            wall = time.perf_counter() - t0
            first = page.evaluate(
                "() => ({...window.__first, fcp: (performance.getEntriesByName("
                "'first-contentful-paint')[0] || {}).startTime})"
            )
            page.on("response", on_response)
            page.evaluate(PROBE)
            cells = page.eval_on_selector_all(
                "#grid-working .cellbox",
                "els => els.filter(e => Number(e.querySelector('input').value) > 0).map(e => e.id)",
            )
            rng = random.Random(args.seed)
            clicks, swaps = [], []
            cell = cells[0]
            for i in range(args.edits):
                if i % 2 == 0:
                    cell = cells[rng.randrange(len(cells))]
                op = "inc" if i % 2 == 0 else "dec"
                version = page.get_attribute("#kpi-panel", "data-version")
                page.evaluate("v => { window.__probe.seen = v; }", version)
                page.click(f"#{cell} button.{op}")
                page.wait_for_function("() => window.__probe.frame !== null", timeout=30_000)
                pr = page.evaluate("() => window.__probe")
                clicks.append(pr["frame"] - pr["t0"])
                swaps.append(pr["swap"] - pr["t0"])
            browser.close()
    finally:
        proc.terminate()
        try:
            out_text = proc.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            out_text = proc.communicate()[0]
    ready = [ln for ln in out_text.splitlines() if ln.startswith("ready")]
    print(f"polyclinic {pid}, {args.day}; {args.edits} cell edits (+ then -), seed {args.seed}")
    print(f"server up (command start -> port listening, incl. warm-up): {up:.2f} s"
          f" ({ready[0] if ready else 'no ready line'})")  # fmt: skip
    print(
        f"first editor view after the server is up (from navigation start): KPI table in the "
        f"page {first['kpis'] / 1e3:.2f} s, painted {first['kpisFrame'] / 1e3:.2f} s (first "
        f"contentful paint {first['fcp'] / 1e3:.2f} s), chart drawn {first['chart'] / 1e3:.2f} s"
        f" (seen by the driver {wall:.2f} s)"
    )
    print(
        f"click -> rendered KPIs (first frame after the swap): median "
        f"{statistics.median(clicks):.0f} ms, p95 {pct(clicks, 0.95):.0f} ms, worst "
        f"{max(clicks):.0f} ms"
    )
    print(f"click -> KPI panel in the DOM: median {statistics.median(swaps):.0f} ms, "
          f"p95 {pct(swaps, 0.95):.0f} ms")  # fmt: skip
    print(f"server time per edit (X-Studio-Ms): median {statistics.median(server_ms):.1f} ms, "
          f"p95 {pct(server_ms, 0.95):.1f} ms")  # fmt: skip
    print(f"bytes per edit answer: median {statistics.median(sizes):,.0f}, max {max(sizes):,}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
