"""The Python examples of docs/report.md run, and the JSON example there has the summary keys."""

from __future__ import annotations

import re
from pathlib import Path

from polyslot.report.summary import SUMMARY_KEYS

DOC = Path(__file__).resolve().parents[2] / "docs" / "report.md"


def test_python_examples_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        namespace: dict = {}
        exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the doc's own example
    assert (tmp_path / "out" / "report.html").exists()
    assert (tmp_path / "out" / "templates" / "PC01.xlsx").exists()


def test_summary_example_names_required_keys():
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", text, flags=re.S).group(1)
    for key in SUMMARY_KEYS:
        assert f'"{key}"' in example
