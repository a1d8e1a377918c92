"""Open report.html in a real headless chromium: every chart renders, no console errors,
no network requests."""

from __future__ import annotations

from polyslot.report import write_report
from polyslot.report.demo import demo_network_result
from polyslot.report.html import count_figures


def test_charts_render_without_console_errors(tmp_path, browser):
    path = write_report(demo_network_result(n_polyclinics=2), tmp_path / "report.html")
    n_figures = count_figures(path.read_text(encoding="utf-8"))
    assert n_figures == 13
    errors: list[str] = []
    remote: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: remote.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_figures}",
        timeout=30_000,
    )
    rendered = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(d => d.querySelector('.main-svg') && d._fullData && d._fullData.length)"
        ".length"
    )
    traces = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(d => d.querySelectorAll('.trace, .hm').length)"
    )
    title = page.title()
    assert rendered == n_figures
    assert all(t > 0 for t in traces), traces
    assert errors == []
    assert remote == []
    assert title.startswith("polyslot")


def test_capacity_section_renders(tmp_path, browser):
    """The first-visit / revisit capacity section: a table per weekday where a plan was made,
    a one-line reason where it was not, and no console errors."""
    path = write_report(demo_network_result(n_polyclinics=2), tmp_path / "report.html")
    errors: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    planned = page.locator("#capacity-PC01")
    rows = planned.locator("tbody tr")
    assert planned.is_visible() and rows.count() == 5
    cells = rows.nth(0).locator("td").all_inner_texts()
    off = page.locator("#capacity-PC02").inner_text()
    guide = page.locator("#guide").inner_text()
    # Monday of the demo section: 612 FV + RV minutes, 900 other, 1,440 rostered, 12 FV slots
    assert cells == ["Monday", "612", "900", "1,440", "+72", "12", "15", "2"]
    assert "Not computed for this polyclinic" in off and "rv_types" in off
    assert "First-visit slots to hold" in guide
    assert errors == []
