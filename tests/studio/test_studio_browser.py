"""The studio in a real browser (Playwright driving Debian's chromium): open the editor on the
small run, edit a cell and see the exact evaluator's mean wait, move a slider, click a frontier
point, run a simulation, export an XLSX and read it back. The test starts and stops its own
uvicorn server on a free local port (the ``server`` fixture of conftest.py)."""

from __future__ import annotations

import pytest

from polyslot.analysis.perturb import perturb

from .reference import reference_day


def _value(page, sel: str) -> float:
    return float(page.get_attribute(sel, "data-value"))


def _wait_version(page, version: str) -> None:
    page.wait_for_function(
        "v => document.querySelector('#kpi-panel').dataset.version != v",
        arg=version,
        timeout=30_000,
    )


def _timeline_edit_and_undo(page, working, vt: str, after: float) -> None:
    """A timeline edit in the "Doctor sessions" tab: the slot appears in the session's bar and
    the KPIs follow; undo takes it back to ``after``."""
    page.click("#tabbtn-timeline")
    form = page.wait_for_selector("#timeline-body form.tl", timeout=30_000)
    bar = form.evaluate("f => f.parentElement.querySelectorAll('.bar .slot').length")
    sid = form.evaluate("f => f.querySelector('input[name=session]').value")
    start = next(s for s in working.slots if s.weekday == 0 and s.doctor_session == sid)
    version = page.get_attribute("#kpi-panel", "data-version")
    form.eval_on_selector("select[name=op]", "s => { s.value = 'add'; }")
    form.eval_on_selector("input[name=start_time]", f"i => {{ i.value = '{start.start_time}'; }}")
    form.eval_on_selector("select[name=visit_type]", f"s => {{ s.value = '{vt}'; }}")
    form.eval_on_selector("button[type=submit]", "b => b.click()")
    _wait_version(page, version)
    assert page.inner_text("#edit-status").startswith("answered in")
    count = "b => b.querySelectorAll('.slot').length"
    assert page.eval_on_selector(f"#session-{sid} .bar", count) == bar + 1
    version = page.get_attribute("#kpi-panel", "data-version")
    page.click("#undo")
    _wait_version(page, version)
    assert _value(page, "#kpi-working-wait_mean") == after
    # the open tab reloads (after the KPI panel: wait for it)
    page.wait_for_function(
        f"n => document.querySelectorAll('#session-{sid} .bar .slot').length == n",
        arg=bar,
        timeout=30_000,
    )
    page.click("#tabbtn-timeline")  # closes the tab


def test_edit_slider_simulate_export_in_chromium(
    server, small_run, model, tmp_path, browser
) -> None:
    import openpyxl

    from polyslot.report.export import read_template

    slot = next(s for s in model.current_template.slots if s.weekday == 0)
    hour, vt = slot.hour, slot.visit_type
    errors: list[str] = []
    remote: list[str] = []
    page = browser.new_page(accept_downloads=True)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: remote.append(r.url) if not r.url.startswith(server) else None,
    )
    page.goto(f"{server}/pc/PC01/Mon", wait_until="load")
    page.wait_for_selector("#by-hour svg polyline", timeout=30_000)
    assert page.text_content("#wi-no_show-v") == "\u00d71.00"  # two decimals on load too

    # 1. edit a cell: the working copy's mean wait becomes the exact evaluator's value
    before = _value(page, "#kpi-working-wait_mean")
    page.click(f"#cell-{hour}-{vt} button.inc")
    page.wait_for_function(
        "b => Number(document.querySelector('#kpi-working-wait_mean').dataset.value) != b",
        arg=before,
        timeout=30_000,
    )
    shown = page.inner_text("#kpi-working-wait_mean")
    after = _value(page, "#kpi-working-wait_mean")
    export = page.request.get(f"{server}/pc/PC01/export/json")
    (tmp_path / "PC01.json").write_bytes(export.body())
    working = read_template(tmp_path / "PC01.json")
    ref = reference_day(model, working, 0)
    assert after == pytest.approx(ref["wait_mean"], rel=1e-9)
    assert shown == f"{ref['wait_mean']:,.2f} \u00b1 {ref['se']['wait_mean']:,.2f}"
    n_cell = sum(1 for s in working.slots if s.weekday == 0 and (s.hour, s.visit_type)
                 == (hour, vt))  # fmt: skip
    assert page.input_value(f"#cell-{hour}-{vt} input") == str(n_cell)

    _timeline_edit_and_undo(page, working, vt, after)

    # 2. a what-if slider recomputes the KPIs of all three templates
    cur_before = _value(page, "#kpi-current-wait_mean")
    page.click("#whatif-panel summary")
    page.eval_on_selector(
        "#wi-no_show",
        "el => { el.value = '1.5'; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }",
    )
    page.wait_for_function(
        "b => Number(document.querySelector('#kpi-current-wait_mean').dataset.value) != b",
        arg=cur_before,
        timeout=30_000,
    )
    ref_cur = reference_day(perturb(model, "no_show", 1.5), model.current_template, 0)
    assert _value(page, "#kpi-current-wait_mean") == pytest.approx(ref_cur["wait_mean"], rel=1e-9)
    assert page.inner_text("#wi-no_show-v") == "\u00d71.50"

    # 3. clicking a frontier point loads it as the working copy (point 0 = current)
    page.click("#tabbtn-frontier")
    page.wait_for_selector("#frontier-plot .main-svg", timeout=30_000)
    page.eval_on_selector(
        "#frontier-plot", "d => d.emit('plotly_click', {points: [{customdata: 0}]})"
    )
    page.wait_for_function(
        "() => document.querySelector('#kpi-working-wait_mean').dataset.value =="
        " document.querySelector('#kpi-current-wait_mean').dataset.value",
        timeout=30_000,
    )

    # 4. simulate on demand: progress, then means with 95% CIs for the three
    page.click("#tabbtn-sim")
    page.fill("#tab-sim input[name=replications]", "3")
    page.click("#simulate")
    page.wait_for_selector("#sim-results", timeout=60_000)
    for sc in ("working", "current", "recommended"):
        assert _value(page, f"#sim-{sc}-wait_mean") > 0
        assert "\u00b1" in page.inner_text(f"#sim-{sc}-wait_mean")

    # 5. export the working copy as XLSX and read it back
    page.click("#tabbtn-scenarios")
    page.wait_for_selector("#export-xlsx", timeout=30_000)
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    xlsx = tmp_path / "working.xlsx"
    dl.value.save_as(xlsx)
    wb = openpyxl.load_workbook(xlsx)
    rows = list(wb["template"].iter_rows(values_only=True))
    assert rows[0][:3] == ("polyclinic_id", "weekday", "start_time")
    current_mon = [s for s in model.current_template.slots if s.weekday == 0]
    assert sum(1 for r in rows[1:] if r[1] == "Mon") == len(current_mon)
    assert read_template(xlsx).for_weekday(0).slots == model.current_template.for_weekday(0).slots
    assert errors == []
    assert remote == []
