"""A planner's day in a real browser (Playwright, Debian's chromium): edit, undo and +1/-1 give
byte-identical KPIs, save a scenario, restart the server, reopen it, compare it with the
current template, export it, and see it on the frontier with every other point in the same
units from the same engine."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from polyslot.report.export import read_template

from .conftest import serve_studio
from .reference import reference_day

KPI_IDS = "#kpis td[id^=kpi-]"


def _kpis(page) -> list[tuple[str, str, str]]:
    """Every KPI cell of the panel: (id, data-value, text)."""
    return page.eval_on_selector_all(
        KPI_IDS, "els => els.map(e => [e.id, e.dataset.value, e.textContent])"
    )


def _click_and_wait(page, selector: str) -> None:
    version = page.get_attribute("#kpi-panel", "data-version")
    page.click(selector)
    page.wait_for_function(
        "v => document.querySelector('#kpi-panel').dataset.version != v", arg=version,
        timeout=30_000,
    )  # fmt: skip


def _api(page, base: str, template: str = "working") -> bytes:
    return page.request.get(
        f"{base}/api/kpis?polyclinic=PC01&weekday=Mon&template={template}"
    ).body()


def _frontier_shares_units(page, base: str, working_wait: float) -> None:
    """The frontier: one weekday, one engine, patients per day; the working copy and the
    scenario are on it where the KPI panel says."""
    page.click("#tabbtn-frontier")
    page.wait_for_selector("#frontier-plot .main-svg", timeout=30_000)
    fr = json.loads(page.request.get(f"{base}/pc/PC01/Mon/frontier.json").body())
    everything = fr["points"] + fr["markers"]
    assert {p["source"] for p in everything} == {"model"}
    assert fr["units"] == {"wait_mean": "min", "patients_served": "patients/day"}
    served = float(page.get_attribute("#kpi-working-patients_served", "data-value"))
    (working,) = [m for m in fr["markers"] if m["kind"] == "working"]
    (scenario,) = [m for m in fr["markers"] if m["kind"] == "scenario"]
    assert working["patients_served"] == served == scenario["patients_served"]
    assert working["wait_mean"] == working_wait
    current = next(m for m in fr["markers"] if m["kind"] == "current")
    assert fr["points"][0]["wait_mean"] == current["wait_mean"]  # point 0 is the current
    assert all(p["patients_served"] < 2 * served for p in everything)  # no week mixed in
    assert page.get_attribute("#frontier-plot", "data-markers") == str(len(fr["markers"]))


@pytest.fixture()
def run_copy(small_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(small_run, out, ignore=shutil.ignore_patterns("studio", "edits"))
    return out


def test_edit_undo_save_restart_reopen_compare_export(run_copy, model, browser, tmp_path):
    s0 = next(s for s in model.current_template.slots if s.weekday == 0)
    cell = f"#cell-{s0.hour}-{s0.visit_type}"
    errors: list[str] = []
    with serve_studio(run_copy) as base:
        page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/pc/PC01/Mon")
        page.wait_for_selector("#by-hour svg polyline", timeout=30_000)
        start, start_api = _kpis(page), _api(page, base)

        # +1 then -1: the grid and the KPIs come back, byte for byte
        _click_and_wait(page, f"{cell} button.inc")
        plus = _kpis(page)
        assert plus != start
        _click_and_wait(page, f"{cell} button.dec")
        assert _kpis(page) == start and _api(page, base) == start_api
        # +1 then undo: the same
        _click_and_wait(page, f"{cell} button.inc")
        assert _kpis(page) == plus
        _click_and_wait(page, "#undo")
        assert _kpis(page) == start and _api(page, base) == start_api

        # the grid, the KPIs and the chart stay in view below the fold of the grid
        assert page.is_visible("#kpi-panel") and page.is_visible("#by-hour svg polyline")

        # two edits, then save them as a scenario
        _click_and_wait(page, f"{cell} button.inc")
        _click_and_wait(page, f"{cell} button.inc")
        saved = _kpis(page)
        saved_api = _api(page, base)
        working_wait = float(page.get_attribute("#kpi-working-wait_mean", "data-value"))
        page.click("#tabbtn-scenarios")
        page.fill("#save-scenario input[name=name]", "two more")
        page.click("#save")
        page.wait_for_selector("#saved", timeout=30_000)
        assert (run_copy / "studio" / "scenarios" / "PC01" / "two more.json").is_file()
        page.close()

    with serve_studio(run_copy) as base:  # a restart: the working copy is the recommended again
        page = browser.new_page(accept_downloads=True, viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/pc/PC01/Mon")
        page.wait_for_selector("#by-hour svg polyline", timeout=30_000)
        assert _kpis(page) != saved
        page.click("#tabbtn-scenarios")
        page.wait_for_selector("tr.scenario[data-name='two more']", timeout=30_000)
        with page.expect_navigation():
            page.click("tr.scenario[data-name='two more'] button.open")
        page.wait_for_selector("#scenario-note", timeout=30_000)
        assert "two more" in page.inner_text("#scenario-note")
        assert _kpis(page) == saved
        assert _api(page, base) == saved_api
        # the engine's number is the exact evaluator's for the reopened template
        page.click("#tabbtn-scenarios")
        page.wait_for_selector("tr.scenario[data-name='two more']", timeout=30_000)
        with page.expect_download() as dl:
            page.click("tr.scenario[data-name='two more'] a[href*='export/csv']")
        path = tmp_path / "two more.csv"
        dl.value.save_as(path)
        exported = read_template(path)
        ref = reference_day(model, exported, 0)
        assert working_wait == pytest.approx(ref["wait_mean"], rel=1e-9)
        recommended = read_template(run_copy / "templates" / "PC01.json")
        n = sum(
            1 for s in recommended.slots
            if s.weekday == 0 and (s.hour, s.visit_type) == (s0.hour, s0.visit_type)
        )  # fmt: skip

        _frontier_shares_units(page, base, working_wait)

        # compare the scenario with the recommended template it was made from
        page.goto(f"{base}/pc/PC01/compare?a=recommended&b=two+more&day=Mon")
        rows = page.eval_on_selector_all(
            "#compare-cells tbody tr", "rs => rs.map(r => r.innerText.split('\\t'))"
        )
        assert rows == [[f"{s0.hour:02d}:00", s0.visit_type, str(n), str(n + 2)]]
        assert float(page.get_attribute("#cmp-b-wait_mean", "data-value")) == working_wait
        shown = page.inner_text("#cmp-a-wait_mean")
        assert re.fullmatch(r"-?[\d,]+\.\d\d \u00b1 [\d,]+\.\d\d", shown), shown
        page.close()
    assert errors == []
