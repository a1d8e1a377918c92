"""Request files of the CLI: the ``polyslot sequence`` request, ``polyslot optimize`` on a folder.

Parsing these files belongs beside the commands that read them; the solving is
:mod:`polyslot.optimize`'s (``local_search``, ``optimize_clinic``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from polyslot.atomic import write_json
from polyslot.clinic_model import ClinicModel
from polyslot.errors import InfeasibleError, InputError
from polyslot.optimize.clinic import optimize_clinic
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.sequencing import grid_size, local_search, pad_services
from polyslot.schedule import PatientSpec, Schedule, check_int, check_request, parse_patient

__all__ = ["sequence_request", "optimize_directory"]

_REQUEST_KEYS = {"session_end", "interval", "slot_minutes", "patients", "weights", "doctor_start"}
_WEIGHT_KEYS = ("wait", "idle", "overtime")


def _weights(data: Any) -> dict[str, float]:
    if data is None:
        return {"wait": 0.5, "idle": 0.0, "overtime": 0.5}
    if not isinstance(data, Mapping):
        raise InputError("must be an object {wait, idle, overtime}", field="weights", value=data)
    out = {}
    for key, val in data.items():
        if key not in _WEIGHT_KEYS:
            raise InputError(f"unknown key {key!r}", field=f"weights.{key}", value=key)
        try:
            num = float(val)
        except (TypeError, ValueError):
            num = math.nan
        if isinstance(val, bool) or not math.isfinite(num) or num < 0:
            raise InputError(
                f"must be a finite number >= 0, got {val!r}", field=f"weights.{key}", value=val
            )
        out[key] = num
    return {k: out.get(k, 0.0) for k in _WEIGHT_KEYS}


def sequence_request(data: Any, *, source: str | None = None) -> dict[str, Any]:
    """Solve a ``polyslot sequence`` request and return its JSON answer.

    The answer is the schedule in the format ``polyslot evaluate`` reads plus ``objective`` and
    ``counts`` (patients per interval, one entry per grid point ``0, interval, ...``).

    Raises
    ------
    polyslot.errors.InputError
        Naming the field, the value and what was expected.
    """
    try:
        data = check_request(data, _REQUEST_KEYS)
        session_end = check_int(data["session_end"], "session_end", minimum=1)
        interval = check_int(data.get("interval", 1), "interval", minimum=1)
        doctor_start = check_int(data.get("doctor_start", 0), "doctor_start", minimum=0)
        slot_minutes = data.get("slot_minutes", 1)
        if (
            isinstance(slot_minutes, bool)
            or not isinstance(slot_minutes, int | float)
            or not (math.isfinite(slot_minutes) and slot_minutes > 0)
        ):
            raise InputError("must be a number > 0", field="slot_minutes", value=slot_minutes)
        patients = data.get("patients")
        if not isinstance(patients, Sequence) or isinstance(patients, str) or not patients:
            raise InputError("must be a non-empty list", field="patients", value=patients)
        specs = [parse_patient(p, k, require_appointment=False) for k, p in enumerate(patients)]
        weights = _weights(data.get("weights"))
    except InputError as exc:
        if source and exc.source is None:
            raise InputError(str(exc), source=source, value=exc.value) from None
        raise
    service = pad_services([p.service for p in specs])
    no_show = np.array([p.no_show for p in specs])
    res = local_search(service, no_show, session_end, interval, weights, doctor_start=doctor_start)
    ordered = [specs[k] for k in res.order]
    sched = Schedule(
        session_end=session_end,
        doctor_start=doctor_start,
        slot_minutes=float(slot_minutes),
        patients=tuple(
            PatientSpec(a, p.service, p.no_show, p.punctuality, p.visit_type)
            for a, p in zip(res.appointments, ordered, strict=True)
        ),
    )
    counts = [0] * grid_size(session_end, interval)
    for a in res.appointments:
        counts[a // interval] += 1
    out = sched.to_dict()
    out["objective"] = res.objective
    out["counts"] = counts
    return out


def _load_models(model_dir: Path) -> list[tuple[Path, ClinicModel]]:
    if not model_dir.is_dir():
        raise InputError("must be a folder of ClinicModel JSON files", source=str(model_dir))
    models = []
    import json

    for path in sorted(model_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"not valid JSON ({exc})", source=str(path)) from None
        if not (isinstance(data, Mapping) and "polyclinic_id" in data and "service" in data):
            continue  # not a ClinicModel (e.g. a summary file)
        try:
            models.append((path, ClinicModel.from_dict(data)))
        except (KeyError, TypeError) as exc:
            raise InputError(f"not a ClinicModel ({exc})", source=str(path)) from None
        except InputError as exc:
            raise InputError(str(exc), source=str(path), value=exc.value) from None
    if not models:
        raise InputError("contains no ClinicModel JSON file", source=str(model_dir))
    return models


def _run_one(args: tuple[ClinicModel, OptimizeConfig]) -> dict[str, Any]:
    model, config = args
    try:
        res = optimize_clinic(model, config)
    except InfeasibleError as exc:
        return {
            "polyclinic_id": model.polyclinic_id,
            "status": "infeasible",
            "message": str(exc),
            "conflicts": exc.conflicts,
            "relaxation": exc.relaxation,
        }
    return {"summary": res.to_dict(), "template": res.template.to_dict()}


def optimize_directory(
    model_dir: str | Path,
    out_dir: str | Path,
    config: OptimizeConfig | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Optimise every ClinicModel JSON in ``model_dir``; write ``<polyclinic_id>.json``
    templates and ``optimize_summary.json`` into ``out_dir``.

    Raises
    ------
    polyslot.errors.InfeasibleError
        After writing everything else, when a polyclinic is infeasible.
    """
    config = config or OptimizeConfig()
    out = Path(out_dir)
    models = _load_models(Path(model_dir))
    jobs = [(m, config) for _, m in models]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            results = list(pool.map(_run_one, jobs))
    else:
        results = [_run_one(j) for j in jobs]
    clinics = []
    infeasible = []
    for r in results:
        if "template" in r:
            write_json(out / f"{r['summary']['polyclinic_id']}.json", r["template"])
            clinics.append(r["summary"])
        else:
            clinics.append(r)
            infeasible.append(r)
    summary = {
        "status": "infeasible" if infeasible else "ok",
        "solver": config.solver,
        "polyclinics": clinics,
    }
    write_json(out / "optimize_summary.json", summary)
    if infeasible:
        first = infeasible[0]
        raise InfeasibleError(
            f"{first['polyclinic_id']}: {first['message']}",
            first["conflicts"],
            first["relaxation"],
        )
    return summary
