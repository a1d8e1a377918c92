"""The network page in a real browser (Playwright driving Debian's chromium): the moves are
listed, "undo this move" shows both polyclinics' KPIs (the one model's, as computed without the
studio), the what-if form answers, and a refused what-if shows its message."""

from __future__ import annotations

import json

import pytest

from .conftest import serve_studio
from .test_studio_network import reference_kpis


def _value(page, sel: str) -> float:
    return float(page.get_attribute(sel, "data-value"))


def test_network_page_in_chromium(network_run, browser) -> None:
    plan = json.loads((network_run / "network" / "plan.json").read_text())
    with serve_studio(network_run) as url:
        page = browser.new_page()
        page.goto(url + "/")
        page.click("#network-link")
        page.wait_for_selector("#network-moves")
        assert page.locator("#network-moves tbody tr").count() == len(plan["moves"])
        m = plan["moves"][0]
        page.click("#move-1 .undo-move")
        page.wait_for_selector(f"#nw-{m['from']}", timeout=60_000)
        for pid, change in ((m["to"], -1), (m["from"], +1)):
            after = reference_kpis(network_run, plan, pid, m["weekday"], m["session"], change)
            got = _value(page, f"#nw-{pid}-wait_mean-after")
            assert got == pytest.approx(after.value("wait_mean"), rel=1e-12)
        # the form: hire one more doctor at the overloaded polyclinic on Tuesday afternoon
        page.select_option("#nw-polyclinic", "PC02")
        page.select_option("#nw-weekday", "Tue")
        page.select_option("#nw-session", "PM")
        page.select_option("#nw-change", "+1")
        page.select_option("#nw-other", "")
        page.click("#nw-apply")
        page.wait_for_function(
            "() => (document.querySelector('#nw-PC02 caption') || {}).textContent"
            " && document.querySelector('#nw-PC02 caption').textContent.includes('Tue PM')",
            timeout=60_000,
        )
        before = _value(page, "#nw-PC02-overtime-before")
        after = _value(page, "#nw-PC02-overtime-after")
        want = reference_kpis(network_run, plan, "PC02", "Tue", "PM", +1)
        assert after == pytest.approx(want.value("overtime"), rel=1e-12)
        assert after < before
        # refused: the doctor cannot come from the same polyclinic
        page.select_option("#nw-other", "PC02")
        page.click("#nw-apply")
        page.wait_for_selector("#network-error", timeout=30_000)
        assert page.inner_text("#network-error").startswith("other = PC02:")
        page.close()
