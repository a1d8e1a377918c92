"""The studio's routes through the framework's test client: pages, edits and their KPIs, bad
edits, simulate, what-if, frontier, exports, save, token, privacy, read-only outputs."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from polyslot.cli import app as cli_app
from polyslot.errors import ConfigError
from polyslot.report.export import read_template
from polyslot.studio import create_app
from polyslot.studio.security import check_binding

from .conftest import make_small_run
from .reference import reference_day

EDIT = "/pc/PC01/Mon/cell"


def kpi(html: str, scenario: str, name: str) -> float:
    m = re.search(rf'id="kpi-{scenario}-{name}" data-value="([^"]+)"', html)
    assert m, f"kpi-{scenario}-{name} not in page"
    return float(m.group(1))


def error_of(html: str) -> str:
    m = re.search(r'id="edit-error"[^>]*>([^<]+)<', html)
    return m.group(1) if m else ""


@pytest.fixture()
def client(small_run):
    with TestClient(create_app(small_run), raise_server_exceptions=False) as c:
        yield c


def first_cell(model) -> tuple[int, str]:
    s = next(s for s in model.current_template.slots if s.weekday == 0)
    return s.hour, s.visit_type


def test_overview_lists_polyclinics_with_verdict(client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert 'href="/pc/PC01"' in r.text and "adopt" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_editor_page_and_assets_are_local(client) -> None:
    r = client.get("/pc/PC01", follow_redirects=True)
    assert r.status_code == 200 and str(r.url).endswith("/pc/PC01/Mon")
    srcs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    local = [s for s in srcs if not s.startswith(("/", "data:"))]
    assert srcs and not local, local
    for name in ("htmx.min.js", "plotly.min.js", "studio.js", "studio.css"):
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and len(asset.content) > 1000 or name == "studio.css"
    assert client.get("/static/../../etc/passwd").status_code == 404
    for name in ("grid-working", "kpis", "whatif", "by-hour", "undo", "edit-status"):
        assert f'id="{name}"' in r.text
    grids = client.get("/pc/PC01/Mon/panel/grids").text  # the tab, loaded when opened
    for name in ("grid-current", "grid-recommended"):
        assert f'id="{name}"' in grids


def test_cell_edit_gives_the_exact_evaluator_numbers(client, model, small_run) -> None:
    hour, vt = first_cell(model)
    before = client.get("/pc/PC01/Mon").text
    r = client.post(EDIT, data={"hour": hour, "visit_type": vt, "op": "inc"})
    assert r.status_code == 200, r.text[:300]
    working = read_template_from(client)
    ref = reference_day(model, working, 0)
    assert kpi(r.text, "working", "wait_mean") == pytest.approx(ref["wait_mean"], rel=1e-9)
    assert kpi(r.text, "working", "wait_p90") == pytest.approx(ref["wait_p90"])
    assert kpi(r.text, "working", "overtime") == pytest.approx(ref["overtime"], rel=1e-9)
    assert kpi(r.text, "working", "wait_mean") != kpi(before, "working", "wait_mean")
    cur = reference_day(model, model.current_template, 0)
    assert kpi(r.text, "current", "wait_mean") == pytest.approx(cur["wait_mean"], rel=1e-9)
    assert float(r.headers["x-studio-ms"]) < 2000
    typed = client.post(EDIT, data={"hour": hour, "visit_type": vt, "op": "set", "count": "0"})
    assert typed.status_code == 200
    assert f'id="cell-{hour}-{vt}"' in typed.text
    assert re.search(
        rf'id="cell-{hour}-{vt}"[^>]*><button[^>]*>[^<]*</button><input[^>]*value="0"', typed.text
    )
    changes = client.get("/pc/PC01/Mon/panel/changes").text  # the change list's tab
    assert f"Mon {hour:02d}:00: {vt}" in changes


def read_template_from(client):
    """The server's working copy, through its JSON export."""
    r = client.get("/pc/PC01/export/json")
    assert r.status_code == 200
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "PC01.json"
        f.write_bytes(r.content)
        return read_template(f)


BAD_EDITS = [
    ({"hour": "9", "visit_type": "acute", "op": "set", "count": "-2"}, "-2", "0 or more"),
    ({"hour": "9", "visit_type": "acute", "op": "set", "count": "many"}, "many", "whole number"),
    ({"hour": "9", "visit_type": "surgery", "op": "inc"}, "surgery", "unknown visit type"),
    ({"hour": "5", "visit_type": "acute", "op": "inc"}, "05:00", "outside duty hours"),
    ({"hour": "x", "visit_type": "acute", "op": "inc"}, "x", "hour"),
    ({"hour": "9", "visit_type": "acute", "op": "explode"}, "explode", "inc, dec or set"),
    ({}, "hour", "hour"),
]


@pytest.mark.parametrize(("form", "value", "text"), BAD_EDITS)
def test_bad_cell_edits_get_an_inline_message(client, form, value, text) -> None:
    r = client.post(EDIT, data=form)
    assert r.status_code == 422
    msg = error_of(r.text)
    assert value in msg and text in msg, msg
    assert 'id="kpis"' in r.text  # the workspace is still there
    assert "Traceback" not in r.text


def test_break_and_timeline_errors_inline(client, model) -> None:
    from polyslot.studio.edits import duty_windows
    from polyslot.studio.kpis import ModelIndex

    windows = duty_windows(ModelIndex(model), model.current_template, 0)
    covered = {h for a, b in windows.values() for h in range(a // 60, (b - 1) // 60 + 1)}
    gap = next(h for h in range(8, 20) if h not in covered and h > min(covered))
    r = client.post(EDIT, data={"hour": gap, "visit_type": "acute", "op": "inc"})
    assert r.status_code == 422 and "inside a break" in error_of(r.text)
    sid = next(iter(windows))
    cases = [
        ({"op": "add", "session": sid, "start_time": f"{gap:02d}:15", "visit_type": "acute"},
         f"{gap:02d}:15", "inside a break"),
        ({"op": "add", "session": sid, "start_time": "06:00", "visit_type": "acute"},
         "06:00", "outside duty hours"),
        ({"op": "add", "session": sid, "start_time": "9h", "visit_type": "acute"}, "9h", "HH:MM"),
        ({"op": "remove", "session": sid, "slot": "500"}, "500", "must be 0.."),
        ({"op": "add", "session": "ghost", "start_time": "09:00"}, "ghost", "unknown doctor"),
        ({"op": "type", "session": sid, "slot": "0", "visit_type": "x-ray"}, "x-ray", "unknown"),
        ({"op": "fly", "session": sid}, "fly", "add, remove, move or type"),
    ]  # fmt: skip
    for form, value, text in cases:
        r = client.post("/pc/PC01/Mon/timeline", data=form)
        assert r.status_code == 422, form
        assert value in error_of(r.text) and text in error_of(r.text), (form, error_of(r.text))
    ok = client.post(
        "/pc/PC01/Mon/timeline",
        data={"op": "add", "session": sid, "start_time": "09:05", "visit_type": "any"},
    )
    assert ok.status_code == 200 and error_of(ok.text) == ""
    assert "anyslot" in ok.text


def test_malformed_requests_never_crash(client) -> None:
    cases = [
        client.post(EDIT, content=b"\xff\xfe\x00", headers={"content-type": "text/plain"}),
        client.post("/pc/PC01/Mon/whatif", data={"no_show": "lots"}),
        client.post("/pc/PC01/Mon/whatif", data={"demand": "9"}),
        client.post("/pc/PC01/Mon/frontier/load", data={"point": "77"}),
        client.post("/pc/PC01/Mon/reset", data={"to": "yesterday"}),
        client.post("/pc/PC01/Mon/simulate", data={"replications": "0"}),
        client.post("/pc/PC01/Mon/reoptimise", data={"policy": "greedy"}),
        client.post("/pc/PC01/Mon/reoptimise", data={"policy": "balanced", "w_wait": "-1"}),
        client.post("/pc/PC01/Mon/reoptimise", data={"throughput_floor": "2"}),
    ]
    for r in cases:
        assert r.status_code == 422, (r.request.url, r.status_code, r.text[:200])
        assert "Traceback" not in r.text
    for url in ("/pc/NOPE/Mon", "/pc/PC01/Funday", "/pc/PC01/export/pdf", "/sim/s999", "/x"):
        r = client.get(url)
        assert r.status_code == 404 and "Traceback" not in r.text
    assert client.get("/").status_code == 200  # still serving


def test_what_if_recomputes_all_three(client) -> None:
    base = client.get("/pc/PC01/Mon").text
    r = client.post(
        "/pc/PC01/Mon/whatif",
        data={"no_show": "1", "duration_mean": "1.3", "duration_cv": "1",
              "demand": "1", "punctuality": "1"},
    )  # fmt: skip
    assert r.status_code == 200
    for sc in ("current", "recommended", "working"):
        assert kpi(r.text, sc, "wait_mean") > kpi(base, sc, "wait_mean")


def test_simulation_job_reports_progress_then_cis(client) -> None:
    r = client.post("/pc/PC01/Mon/simulate", data={"replications": "4"})
    assert r.status_code == 200 and 'id="sim-progress"' in r.text
    job = re.search(r"/sim/(s\d+)", r.text).group(1)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = client.get(f"/sim/{job}")
        if "sim-results" in r.text:
            break
        time.sleep(0.2)
    assert "sim-results" in r.text, r.text[:500]
    for sc in ("working", "current", "recommended"):
        m = re.search(rf'id="sim-{sc}-wait_mean" data-value="([^"]+)">([^<]+)<', r.text)
        assert m and float(m.group(1)) > 0 and "&plusmn;" in m.group(2)


def test_frontier_points_load_as_working_copy(client, small_run) -> None:
    fr = client.get("/pc/PC01/Mon/frontier.json").json()
    assert fr["has_file"] and [p["label"] for p in fr["points"]] == ["current", "recommended"]
    r = client.post("/pc/PC01/Mon/frontier/load", data={"point": "0"})
    assert r.status_code == 200
    assert kpi(r.text, "working", "wait_mean") == pytest.approx(kpi(r.text, "current", "wait_mean"))
    assert "no frontier in this run" not in client.get("/pc/PC01/Mon/panel/frontier").text


def test_reoptimise_adds_a_point(client, model) -> None:
    r = client.post(
        "/pc/PC01/Sat/reoptimise",
        data={"policy": "on_time", "w_wait": "3", "w_overtime": "", "throughput_floor": "0.9"},
    )
    assert r.status_code == 200, r.text[:500]
    fr = client.get("/pc/PC01/Sat/frontier.json").json()
    new = fr["points"][-1]
    assert new["studio"] and "on_time" in new["label"] and "w_wait=3" in new["label"]
    assert "throughput_floor=0.9" in new["label"]
    # evaluated like every other point: one Saturday, the studio's engine
    client.post("/pc/PC01/Sat/frontier/load", data={"point": str(new["index"])})
    ref = reference_day(model, read_template_from(client), 5)
    assert new["wait_mean"] == pytest.approx(ref["wait_mean"], rel=1e-9)
    assert new["patients_served"] == pytest.approx(ref["patients_served"], rel=1e-9)


def test_no_frontier_message(tmp_path) -> None:
    out = make_small_run(tmp_path / "out", frontier=False)
    with TestClient(create_app(out)) as c:
        assert "no frontier in this run" in c.get("/pc/PC01/Mon/panel/frontier").text
        fr = c.get("/pc/PC01/Mon/frontier.json").json()
        assert fr["points"] == []
        assert [m["kind"] for m in fr["markers"]] == ["current", "recommended", "working"]


def test_exports_round_trip_and_change_list(client, model, tmp_path) -> None:
    hour, vt = first_cell(model)
    client.post("/pc/PC01/Mon/reset", data={"to": "current"})
    r = client.post(EDIT, data={"hour": hour, "visit_type": vt, "op": "dec"})
    assert r.status_code == 200
    templates = {}
    for fmt in ("csv", "json", "xlsx"):
        resp = client.get(f"/pc/PC01/export/{fmt}")
        assert resp.status_code == 200
        assert "attachment" in resp.headers["content-disposition"]
        path = tmp_path / f"PC01.{fmt}"
        path.write_bytes(resp.content)
        templates[fmt] = read_template(path)
    assert templates["csv"].slots == templates["json"].slots == templates["xlsx"].slots
    mon = templates["csv"].for_weekday(0)
    cur = model.current_template.for_weekday(0)
    assert len(mon.slots) == len(cur.slots) - 1
    text = client.get("/pc/PC01/export/changes").text
    n = sum(1 for s in cur.slots if s.hour == hour and s.visit_type == vt)
    assert f"Mon {hour:02d}:00: {vt} {n} -> {n - 1}" in text.splitlines()


def test_outputs_read_only_except_studio(small_run, patient_ids) -> None:
    """Exercise every route; no patient id in any response; only studio/ is written."""

    def snapshot() -> dict[str, str]:
        return {
            str(p.relative_to(small_run)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in small_run.rglob("*")
            if p.is_file() and p.relative_to(small_run).parts[0] != "studio"
        }

    before = snapshot()
    shutil.rmtree(small_run / "studio" / "scenarios" / "PC01" / "readonly-check.json",
                  ignore_errors=True)  # fmt: skip
    bodies = []
    with TestClient(create_app(small_run), raise_server_exceptions=False) as c:
        for url in ("/", "/pc/PC01/Mon", "/pc/PC01/Tue", "/pc/PC01/Mon/frontier.json",
                    "/api/pc/PC01/Mon/kpis", "/static/studio.js",
                    "/api/kpis?polyclinic=PC01&weekday=Mon&template=current",
                    "/pc/PC01/compare?a=current&b=working&day=Mon",
                    "/api/pc/PC01/scenarios"):  # fmt: skip
            bodies.append(c.get(url))
        for name in ("changes", "timeline", "grids", "frontier", "scenarios"):
            bodies.append(c.get(f"/pc/PC01/Mon/panel/{name}"))
        for fmt in ("csv", "json", "xlsx", "changes"):
            bodies.append(c.get(f"/pc/PC01/export/{fmt}"))
        bodies.append(c.post(EDIT, data={"hour": "9", "visit_type": "acute", "op": "inc"}))
        bodies.append(c.post("/pc/PC01/Mon/whatif", data={"no_show": "1.2"}))
        bodies.append(c.post("/pc/PC01/Mon/frontier/load", data={"point": "1"}))
        sim = c.post("/pc/PC01/Mon/simulate", data={"replications": "2"})
        bodies.append(sim)
        job = re.search(r"/sim/(s\d+)", sim.text).group(1)
        for _ in range(600):
            r = c.get(f"/sim/{job}")
            if "sim-results" in r.text or "sim-error" in r.text:
                break
            time.sleep(0.1)
        bodies.append(r)
        saved = c.post("/pc/PC01/Mon/scenarios", data={"name": "readonly-check"})
        bodies.append(saved)
        bodies.append(c.get("/pc/PC01/export/xlsx?template=readonly-check"))
        bodies.append(c.post("/pc/PC01/Mon/undo"))
    assert saved.status_code == 200
    assert "studio/scenarios/PC01/readonly-check.json" in saved.text
    for resp in bodies:
        assert resp.status_code < 500
        text = resp.content.decode("utf-8", errors="ignore")
        if resp.headers.get("content-type", "").startswith("application/vnd"):
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(resp.content))
            text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
        leaked = [i for i in patient_ids if i in text]
        assert not leaked, (resp.request.url, leaked[:3])
    assert snapshot() == before


def test_token_gate(small_run) -> None:
    app = create_app(small_run, token="s3cret-token-0123")
    with TestClient(app) as c:
        for url in ("/", "/pc/PC01/Mon", "/static/htmx.min.js", "/api/pc/PC01/Mon/kpis"):
            assert c.get(url).status_code == 401
        assert c.post(EDIT, data={"hour": "9"}).status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer s3cret-token-0123"}).status_code == 200
        first = c.get("/?token=s3cret-token-0123")
        assert first.status_code == 200 and "polyslot_studio=" in first.headers["set-cookie"]
        assert c.get("/pc/PC01/Mon").status_code == 200  # the cookie now carries it


def test_loopback_hosts_and_binding() -> None:
    check_binding("127.0.0.1", None)
    check_binding("localhost", None)
    check_binding("0.0.0.0", "tok")
    with pytest.raises(ConfigError) as err:
        check_binding("0.0.0.0", None)
    assert "--host" in str(err.value) and "0.0.0.0" in str(err.value)
    res = CliRunner().invoke(cli_app, ["studio", "--host", "0.0.0.0", "--out", "nowhere"])
    assert res.exit_code == 2 and "--token" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(cli_app, ["studio", "--out", "/nonexistent/out"])
    assert res.exit_code == 2 and "polyslot run" in res.output


def test_dns_rebinding_guard(small_run) -> None:
    app = create_app(small_run, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8050") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "evil.example:8050"}).status_code == 400


def test_fhir_export_when_polyslot_has_the_exporter(client) -> None:
    from polyslot.studio.exports import fhir_writer

    r = client.get("/pc/PC01/export/fhir")
    if fhir_writer() is None:
        assert r.status_code == 404
        assert 'id="export-fhir"' not in client.get("/pc/PC01/Mon/panel/scenarios").text
        return
    assert r.status_code == 200
    doc = r.json()
    assert doc["resourceType"] == "Bundle"
    slots = [e for e in doc["entry"] if e["resource"]["resourceType"] == "Slot"]
    working = read_template_from(client)
    assert len(slots) == len(working.slots)
    assert 'id="export-fhir"' in client.get("/pc/PC01/Mon/panel/scenarios").text
