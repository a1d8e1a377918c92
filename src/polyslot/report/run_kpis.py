"""The one model's KPIs of a template of a finished run: what ``polyslot kpis`` prints and the
studio's ``GET /api/kpis`` serves.

From ``out/``: the run's configuration (``run_config.json``), the polyclinic's model
(``model/<id>.json``) and its templates (the model's current one; ``templates/<id>.json`` the
recommended one). The clinic day is built by the one builder with the run's settings and
evaluated by the fast evaluator with the run's seed of that polyclinic and weekday, so the
numbers are those of the run's ``model`` rows in comparison.csv (to the last printed digit).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from polyslot.clinic_model import ClinicModel
from polyslot.config import RunConfig, config_from_dict
from polyslot.day import ClinicDay
from polyslot.errors import InputError
from polyslot.evaluation.clinic_day import DayMetrics
from polyslot.evaluation.day_settings import DaySettings, day_seed, polyclinic_seed
from polyslot.report.export import read_template
from polyslot.template import WEEKDAYS, SlotTemplate

__all__ = [
    "RUN_CONFIG_FILE",
    "KPIS",
    "run_config",
    "run_settings",
    "run_template",
    "kpis_document",
    "template_kpis",
]

#: The run's configuration, written by ``polyslot run`` next to its outputs.
RUN_CONFIG_FILE = "run_config.json"
#: The KPIs printed (the keys of comparison.csv without their suffixes).
KPIS = (
    "wait_mean",
    "wait_p90",
    "utilization",
    "overtime",
    "idle",
    "patients_served",
    "unmet_demand",
)
#: Decimals printed (those of comparison.csv).
DIGITS = 6


def run_config(out: str | Path) -> RunConfig:
    """The configuration the run in ``out`` was made with."""
    path = Path(out) / RUN_CONFIG_FILE
    if not path.is_file():
        raise InputError(
            "not a finished polyslot run (no run_config.json); run `polyslot run --out` first",
            source=str(out),
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read the run's configuration ({exc})", source=str(path)) from None
    return config_from_dict(data, source=str(path))


def run_settings(config: RunConfig) -> DaySettings:
    """How the run built and evaluated its clinic days."""
    return DaySettings.from_config(config)


def _model(out: Path, polyclinic: str) -> ClinicModel:
    path = out / "model" / f"{polyclinic}.json"
    if not path.is_file():
        known = sorted(p.stem for p in (out / "model").glob("*.json") if p.stem != "fit_summary")
        raise InputError(
            f"no such polyclinic in this run (known: {', '.join(known) or 'none'})",
            source=str(out),
            field="polyclinic",
            value=polyclinic,
        )
    return ClinicModel.from_json(path)


def run_template(out: str | Path, model: ClinicModel, template: str) -> SlotTemplate:
    """``current`` (the model's) or ``recommended`` (``templates/<id>.json``)."""
    if template == "current":
        return model.current_template
    if template == "recommended":
        return read_template(Path(out) / "templates" / f"{model.polyclinic_id}.json")
    raise InputError(
        "must be 'current' or 'recommended'", field="template", value=template
    )


def kpis_document(
    polyclinic: str,
    weekday: int,
    template: str,
    day: ClinicDay,
    metrics: DayMetrics,
) -> dict[str, Any]:
    """The JSON document of one template's weekday (rounded as comparison.csv)."""
    kpis: dict[str, Any] = {}
    for key in KPIS:
        est = metrics[key]
        lo, hi = est.ci
        kpis[key] = {
            "mean": round(est.mean, DIGITS),
            "se": round(est.se, DIGITS),
            "ci_low": round(lo, DIGITS),
            "ci_high": round(hi, DIGITS),
        }
    return {
        "polyclinic_id": polyclinic,
        "weekday": WEEKDAYS[weekday],
        "template": template,
        "source": "model",
        "discipline": day.discipline.value,
        "method": metrics.method,
        "replications": metrics.replications,
        "kpis": kpis,
    }


def _weekday(value: str | int) -> int:
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    text = str(value).strip()[:3].title()
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    raise InputError("must be a weekday Mon..Sun", field="weekday", value=value)


def template_kpis(
    out: str | Path, polyclinic: str, weekday: str | int, template: str
) -> dict[str, Any]:
    """The one model's KPIs of ``template`` on ``weekday`` of the run in ``out`` (see the
    module docstring); a weekday the template does not open is an error naming it."""
    out = Path(out)
    config = run_config(out)
    model = _model(out, polyclinic)
    wd = _weekday(weekday)
    tpl = run_template(out, model, template)
    if wd not in tpl.weekdays:
        open_days = ", ".join(WEEKDAYS[d] for d in tpl.weekdays)
        raise InputError(
            f"the {template} template has no slot on this weekday (open: {open_days})",
            field="weekday",
            value=WEEKDAYS[wd],
        )
    settings = run_settings(config)
    day = settings.build(model, tpl, wd, template)
    seed = day_seed(polyclinic_seed(config.seed, model.polyclinic_id), wd)
    return kpis_document(model.polyclinic_id, wd, template, day, settings.evaluate(day, seed))
