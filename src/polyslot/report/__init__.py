"""Deliverables: importable templates, ``report.html``, ``guide.md``, ``summary.json``.

:func:`write_deliverables` writes them all from a :class:`~polyslot.results.NetworkResult`;
every file is written atomically and is deterministic (no timestamps, fixed figure ids).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from polyslot.analysis.compare import compare_network
from polyslot.atomic import write_json, write_text
from polyslot.report.export import read_template, write_template_json, write_templates
from polyslot.report.fhir import write_fhir_bundle
from polyslot.report.guide import build_guide, write_guide
from polyslot.report.html import render_report, write_report
from polyslot.report.summary import build_summary, write_summary
from polyslot.results import NetworkResult

__all__ = [
    "write_deliverables",
    "write_templates",
    "read_template",
    "write_report",
    "render_report",
    "write_guide",
    "build_guide",
    "write_summary",
    "build_summary",
    "write_comparison",
]


def write_comparison(result: NetworkResult, path: str | Path) -> Path:
    """Write the current-vs-recommended table (:func:`compare_network`) as CSV atomically."""
    buf = io.StringIO()
    compare_network(result).to_csv(buf, index=False, float_format="%.6f", lineterminator="\n")
    return write_text(path, buf.getvalue())


def write_deliverables(result: NetworkResult, out_dir: str | Path) -> dict[str, Path]:
    """Write every deliverable of ``result`` into ``out_dir``.

    Parameters
    ----------
    result : NetworkResult
    out_dir : path-like
        Created if needed.

    Returns
    -------
    dict of str to Path
        Keyed by the path relative to ``out_dir``: ``templates/<id>.csv|json|xlsx``,
        ``templates/<id>.fhir.json`` (when ``result.assumptions`` has ``fhir_week_start``),
        ``templates/current/<id>.json`` (the current template, same format),
        ``frontier/<id>.json`` (trade-off frontier per weekday), ``summary.json``,
        ``comparison.csv``, ``guide.md``, ``report.html``.
    """
    out = Path(out_dir)
    written: dict[str, Path] = {}
    for res in result.polyclinics:
        for ext, path in write_templates(res.recommended, out / "templates").items():
            written[f"templates/{res.polyclinic_id}.{ext}"] = path
        week = result.assumptions.get("fhir_week_start")
        if week:
            name = f"templates/{res.polyclinic_id}.fhir.json"
            written[name] = write_fhir_bundle(
                res.recommended,
                out / name,
                dt.date.fromisoformat(str(week)),
                str(result.assumptions.get("fhir_utc_offset", "+00:00")),
            )
        current = out / "templates" / "current" / f"{res.polyclinic_id}.json"
        written[f"templates/current/{res.polyclinic_id}.json"] = write_template_json(
            res.current, current
        )
    for res in result.polyclinics:
        doc = res.trust.get("frontier_document")
        if doc:
            path = write_json(out / "frontier" / f"{res.polyclinic_id}.json", doc)
            written[f"frontier/{res.polyclinic_id}.json"] = path
    written["summary.json"] = write_summary(result, out / "summary.json")
    written["comparison.csv"] = write_comparison(result, out / "comparison.csv")
    written["guide.md"] = write_guide(result, out / "guide.md")
    written["report.html"] = write_report(result, out / "report.html")
    return written
