"""Hardening: 413 before a large body is read, tokens of 16 characters or more (``--token auto``
prints one), closed days 404, what-if limits the same in the sliders and the server, labels and
units consistent, every error echoes the value it refused, the KPI JSON API."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from polyslot.cli import app as cli_app
from polyslot.errors import ConfigError
from polyslot.studio import create_app
from polyslot.studio.app import studio_state
from polyslot.studio.http import MAX_FORM_BYTES
from polyslot.studio.kpi_format import round_kpi
from polyslot.studio.kpis import WHATIF_LIMITS, ModelIndex, day_kpis
from polyslot.studio.security import MIN_TOKEN_LENGTH, check_token

from .conftest import free_port, serve_studio
from .reference import reference_day
from .test_studio_api import EDIT, error_of, kpi, read_template_from


@pytest.fixture()
def client(small_run):
    with TestClient(create_app(small_run), raise_server_exceptions=False) as c:
        yield c


def _raw_post(url: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, str, float]:
    """Send a request by hand (status, body, seconds to the answer)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        t0 = time.perf_counter()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"POST /pc/PC01/Mon/cell HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode() + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        seconds = time.perf_counter() - t0
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1].decode(), seconds


def test_413_before_the_body_is_read(small_run) -> None:
    """A Content-Length over the limit is answered 413 without sending (or reading) the body;
    a streamed (chunked) body is cut as soon as it passes the limit; the server goes on."""
    with serve_studio(small_run) as url:
        status, text, _ = _raw_post(
            url,
            {"Content-Length": "200000000", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 413
        assert text.startswith("body = 200000000 bytes: larger than the limit of 64000 bytes")
        status, text, _ = _raw_post(url, {"Content-Length": "12x"})
        assert status == 400  # a malformed length: refused (by uvicorn, or by BodyLimit)
        with urllib.request.urlopen(f"{url}/pc/PC01/Mon", timeout=30) as r:
            assert r.status == 200
    with TestClient(create_app(small_run, warm=False), raise_server_exceptions=False) as c:

        def chunks():
            for _ in range(10):
                yield b"hour=" + b"9" * 10_000

        r = c.post(EDIT, content=chunks(), headers={"content-type": "text/plain"})
        assert r.status_code == 413 and f"limit of {MAX_FORM_BYTES} bytes" in r.text
        exact = c.post(EDIT, content=b"hour=" + b"9" * (MAX_FORM_BYTES - 5))
        assert exact.status_code == 422  # at the limit: read, and refused for its content


def test_tokens_are_long_and_auto_makes_one(small_run, tmp_path) -> None:
    for short in ("abc", "x" * (MIN_TOKEN_LENGTH - 1)):
        with pytest.raises(ConfigError):
            create_app(small_run, token=short)
        res = CliRunner().invoke(cli_app, ["studio", "--out", str(small_run), "--token", short])
        assert res.exit_code == 2 and "Traceback" not in res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and "--token" in lines[0]
        assert f"{len(short)} characters given" in lines[0] and "16" in lines[0]
    res = CliRunner().invoke(cli_app, ["studio", "--out", str(small_run), "--token", "a&b" * 6])
    assert res.exit_code == 2 and "--token" in res.output
    a, b = check_token("auto"), check_token("auto")
    assert a != b and len(a) >= MIN_TOKEN_LENGTH and check_token("x" * 16) == "x" * 16

    port = free_port()  # the real command: prints the token, serves only with it
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from polyslot.cli import app; app()",
            "studio",
            "--out",
            str(small_run),
            "--port",
            str(port),
            "--token",
            "auto",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("ready") or not line:
                break
        token = next(ln.split(": ", 1)[1].strip() for ln in lines if ln.startswith("access token"))
        assert len(token) >= MIN_TOKEN_LENGTH
        assert any(f"?token={token}" in ln for ln in lines)
        base = f"http://127.0.0.1:{port}/"
        for _ in range(100):  # "ready" is printed just before the socket listens
            try:
                urllib.request.urlopen(base, timeout=30)
            except urllib.error.HTTPError as err:
                assert err.code == 401
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            raise AssertionError("the studio did not answer")
        req = urllib.request.Request(base, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_closed_days_are_404(client) -> None:
    for method, url in (
        ("get", "/pc/PC01/Sun"),
        ("post", "/pc/PC01/Sun/cell"),
        ("get", "/pc/PC01/Sun/frontier.json"),
        ("get", "/api/pc/PC01/Sun/kpis"),
        ("get", "/api/kpis?polyclinic=PC01&weekday=Sun&template=current"),
        ("get", "/pc/PC01/Sun/panel/changes"),
    ):
        r = getattr(client, method)(url)
        assert r.status_code == 404, url
        assert "Sun" in r.text and "Traceback" not in r.text
    assert client.get("/pc/PC01/Sat").status_code == 200
    assert "/pc/PC01/Sun" not in client.get("/pc/PC01/Mon").text  # no tab for a closed day


def test_what_if_limits_are_the_servers(client) -> None:
    page = client.get("/pc/PC01/Mon").text
    for name, (lo, hi) in WHATIF_LIMITS.items():
        tag = re.search(rf'<input type="range" name="{name}"[^>]*>', page).group(0)
        assert f'min="{lo}"' in tag and f'max="{hi}"' in tag, tag
        assert re.search(rf'id="wi-{name}-v">\u00d71\.00<', page)  # two decimals on load
        ok = client.post("/pc/PC01/Mon/whatif", data={name: str(hi)})
        assert ok.status_code == 200, (name, ok.text[:200])
        for bad in (hi + 0.05, lo - 0.05, 3):
            r = client.post("/pc/PC01/Mon/whatif", data={name: str(bad)})
            assert r.status_code == 422
            assert error_of(r.text).startswith(f"{name} = {bad}: must be a factor in"), r.text
        client.post("/pc/PC01/Mon/whatif", data={name: "1"})


def test_utilisation_in_percent_on_overview_and_editor(small_run, tmp_path) -> None:
    out = tmp_path / "out"
    shutil.copytree(small_run, out, ignore=shutil.ignore_patterns("studio", "sample", "store"))
    summary = json.loads((out / "summary.json").read_text())
    summary["polyclinics"][0].update(utilization_current=0.8123, utilization_recommended=0.79)
    (out / "summary.json").write_text(json.dumps(summary))
    with TestClient(create_app(out, warm=False)) as c:
        ov = c.get("/").text
        assert re.search(r'id="ov-PC01-utilization_current" data-value="0.8123">81.23<', ov)
        assert "Utilisation now (%)" in ov and "a whole average week" in ov
        ed = c.get("/pc/PC01/Mon").text
        value = kpi(ed, "current", "utilization")
        shown = re.search(r'id="kpi-current-utilization"[^>]*>([^<]+)<', ed).group(1)
        assert 0 < value < 1 and shown.startswith(f"{100 * value:,.2f} \u00b1 ")
        assert "Utilisation (%)" in ed


def test_every_error_echoes_the_value(client) -> None:
    cases = [
        ("/pc/PC01/Mon/reoptimise", {"policy": "greedy"}, "policy = greedy"),
        ("/pc/PC01/Mon/reoptimise", {"w_wait": "-1"}, "w_wait = -1"),
        ("/pc/PC01/Mon/reoptimise", {"throughput_floor": "2"}, "throughput_floor = 2"),
        ("/pc/PC01/Mon/reoptimise", {"w_idle": "lots"}, "w_idle = lots"),
        ("/pc/PC01/Mon/simulate", {"replications": "0"}, "replications = 0"),
        ("/pc/PC01/Mon/frontier/load", {"point": "77"}, "point = 77"),
        ("/pc/PC01/Mon/whatif", {"no_show": "lots"}, "no_show = lots"),
        ("/pc/PC01/Mon/reset", {"to": "yesterday"}, "to = yesterday"),
        ("/pc/PC01/Mon/scenarios", {"name": "../etc"}, "name = ../etc"),
        ("/pc/PC01/Mon/scenarios/open", {"name": "ghost"}, "name = ghost"),
        (EDIT, {"hour": "9", "visit_type": "acute", "op": "set", "count": "many"}, "= many"),
    ]
    for url, form, echo in cases:
        r = client.post(url, data=form)
        assert r.status_code == 422, (url, r.status_code)
        assert echo in r.text, (url, r.text[:300])
    for url, echo in (
        ("/api/kpis?polyclinic=PC01&weekday=Mon&template=best", "template = best"),
        ("/api/kpis?polyclinic=PC01&template=current", "weekday = "),
        ("/api/kpis?polyclinic=PC09&weekday=Mon", "polyclinic = PC09"),
        ("/pc/PC01/export/pdf", "format = pdf"),
        ("/sim/s999", "job = s999"),
    ):
        r = client.get(url)
        assert r.status_code in (404, 422) and echo in r.text, (url, r.text)


def test_api_kpis_is_the_shared_format(client, model, small_run) -> None:
    """current and recommended through the API: the document of ``polyslot kpis --json`` to the
    last digit (the one model with the run's settings and seed), each KPI with its standard
    error and 95% CI; the numbers are the one model's (the reference, computed apart)."""
    from polyslot.report.run_kpis import KPIS, template_kpis
    from polyslot.studio.run_data import StudioRun

    pc = StudioRun(small_run).polyclinic("PC01")
    for name, tpl in (("current", pc.current), ("recommended", pc.recommended)):
        got = client.get(f"/api/kpis?polyclinic=PC01&weekday=Tue&template={name}").json()
        assert got == template_kpis(small_run, "PC01", "Tue", name)
        assert list(got["kpis"]) == list(KPIS) and "whatif" not in got
        ref = reference_day(model, tpl, 1)
        assert got["kpis"]["wait_mean"]["mean"] == round(ref["wait_mean"], 6)
        assert got["kpis"]["wait_mean"]["se"] == round(ref["se"]["wait_mean"], 6) > 0
        w = got["kpis"]["wait_mean"]
        assert w["ci_low"] < w["mean"] < w["ci_high"]
        assert got["source"] == "model" and got["template"] == name
    assert round_kpi(-0.0001) == 0.0 and str(round_kpi(-0.0001)) == "0.0"
    assert round_kpi(float("nan")) is None and round_kpi(2.00049) == 2.0


def test_an_edit_answers_with_a_few_kilobytes(client, model) -> None:
    """Only what changed travels: the KPI panel, the cell, its row total; no grid, no
    timeline, no change list."""
    s = next(s for s in model.current_template.slots if s.weekday == 0)
    page = client.get("/pc/PC01/Mon").text
    r = client.post(EDIT, data={"hour": s.hour, "visit_type": s.visit_type, "op": "inc"})
    assert r.status_code == 200
    assert len(r.content) < 8_000 < len(page)
    assert r.text.count('class="cellbox') == 1 and 'id="grid-working"' not in r.text
    assert 'id="timeline-body"' not in r.text and "<li>" not in r.text
    assert f'id="total-{s.hour}" hx-swap-oob="true"' in r.text


def test_wait_by_hour_chart_draws_the_engine_numbers(client, model) -> None:
    """The SVG chart that comes back with every edit: one line per template, its values the
    engine's waits by hour, its y axis a nice ceiling of the largest."""
    from polyslot.studio.chart import line_chart, nice_ceiling

    assert [nice_ceiling(v) for v in (0, 0.7, 1, 1.01, 3, 7.5, 12, 47, 250)] == [
        1,
        1,
        1,
        2,
        5,
        10,
        20,
        50,
        250,
    ]
    s = next(s for s in model.current_template.slots if s.weekday == 0)
    r = client.post(EDIT, data={"hour": s.hour, "visit_type": s.visit_type, "op": "inc"})
    k = day_kpis(ModelIndex(model), read_template_from(client), 0)
    title = re.search(r'data-name="working"[^>]*><title>([^<]+)</title>', r.text).group(1)
    expected = ", ".join(f"{h:02d}:00 {v:.2f}" for h, v in sorted(k.by_hour.items()))
    assert title == f"working, mean wait (min): {expected}"
    chart = line_chart({"a": {8: 5.0, 9: 10.0}}, width=100, height=100)
    assert chart["lines"][0]["points"] == "38.0,34.0 92.0,8.0"  # 5 of 10: half way up 8..60
    assert [t["label"] for t in chart["yticks"]] == ["0", "2", "4", "6", "8", "10"]


def test_warm_up_covers_the_first_editor_view(small_run) -> None:
    """The app computes every open day's current and recommended KPIs when it starts, so the
    first editor view of any day computes nothing (the working copy is the recommended)."""
    app = create_app(small_run)
    with TestClient(app) as c:
        state = studio_state(app)
        cached = state.cached_days
        assert cached == 2 * len(state.polyclinic("PC01").open_days) and state.warm_seconds > 0
        for day in ("Mon", "Wed", "Sat"):
            assert c.get(f"/pc/PC01/{day}").status_code == 200
        assert state.cached_days == cached
    cold = create_app(small_run, warm=False)
    with TestClient(cold):
        assert studio_state(cold).cached_days == 0
