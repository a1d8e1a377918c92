"""Benchmark of the studio's latencies and of the public evaluation path (prints figures).

* ``polyslot.evaluate`` on the standard case (K = 20 patients every 24 slots, L = 480,
  lognormal mean 20 CV 0.5 cut at 60, no-show 0.1): the same Schedule again (preparation
  cached), a new but equal Schedule each call (cached by content), and ``Evaluator.evaluate``
  (the kernel with prepared arrays) measured interleaved;
* a whole clinic day's exact evaluation for the largest sample polyclinic (most slots on a
  weekday): ``evaluate_many`` (means) and ``evaluate_day`` (means + exact pooled p90), a day
  the cache has seen and a day after a what-if change (every distribution new);
* the studio: one cell edit through the app (HTTP request -> new working copy -> exact KPIs
  of the day -> rendered workspace), and "simulate" (30 clinic days of each of the three
  templates, common random numbers).

Run: ``.venv/bin/python bench/bench_studio.py [--out out/]``. With ``--out`` the models of that
run are used; without, the embedded sample network (6 polyclinics x 365 days) is generated,
ingested and estimated into a temporary folder first (about a minute).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from polyslot.clinic_model import ClinicModel
from polyslot.evaluation import Evaluator, evaluate, evaluate_day, evaluate_many
from polyslot.schedule import PatientSpec, Schedule

try:
    from bench_evaluate import GAP, P_NS, K, L, paired_best, standard_case
except ImportError:  # run from the repository root
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_evaluate import GAP, P_NS, K, L, paired_best, standard_case


def best(fn, number: int, repeat: int = 7) -> float:
    """Best mean seconds per call."""
    fn()
    out = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        out = min(out, (time.perf_counter() - t0) / number)
    return out


def min_single(fn, n: int = 20_000) -> float:
    """Fastest single call in ``n`` (robust to a loaded machine: a short call that was not
    preempted shows the cost of the work itself)."""
    fn()
    out = float("inf")
    pc = time.perf_counter
    for _ in range(n):
        t0 = pc()
        fn()
        out = min(out, pc() - t0)
    return out


def public_evaluate() -> None:
    tau, service, no_show = standard_case()
    row = tuple(float(x) for x in service[0])
    sched = Schedule(L, tuple(PatientSpec(int(t), row, P_NS) for t in tau))
    ev = Evaluator(service, no_show, L)

    def fresh():  # an equal schedule built from new objects: the content key hits
        s = Schedule(L, tuple(PatientSpec(int(t), tuple(row), P_NS) for t in tau))
        return evaluate(s)

    def build_only():
        return Schedule(L, tuple(PatientSpec(int(t), tuple(row), P_NS) for t in tau))

    t = paired_best(
        {
            "same": lambda: evaluate(sched),
            "fresh": fresh,
            "build": build_only,
            "ev": lambda: ev.evaluate(tau),
        },
        200,
        15,
    )
    print(f"standard case (K={K}, L={L}, every {GAP} slots, p={P_NS}), interleaved best of 15")
    print(f"  polyslot.evaluate(schedule)            {t['same'] * 1e6:7.1f} us")
    print(
        f"  evaluate(new equal Schedule)           {(t['fresh'] - t['build']) * 1e6:7.1f} us"
        f"  (+ {t['build'] * 1e6:.1f} us to build the Schedule)"
    )
    print(f"  Evaluator.evaluate (kernel + totals)   {t['ev'] * 1e6:7.1f} us")
    m_pub = min_single(lambda: evaluate(sched))
    m_ev = min_single(lambda: ev.evaluate(tau))
    print(
        f"  fastest single call of 20,000: evaluate {m_pub * 1e6:.1f} us, "
        f"Evaluator.evaluate {m_ev * 1e6:.1f} us"
    )


def sample_models(out: Path | None) -> dict[str, ClinicModel]:
    if out is not None and (out / "model").is_dir():
        files = sorted(p for p in (out / "model").glob("*.json") if p.stem != "fit_summary")
        return {p.stem: ClinicModel.from_json(p) for p in files}
    from polyslot.config import load_config
    from polyslot.runners.local import estimate_models, prepare_data

    tmp = Path(tempfile.mkdtemp(prefix="polyslot-bench-studio-"))
    print(f"generating and estimating the embedded sample network in {tmp} ...", flush=True)
    cfg = load_config(overrides={"holdout_days": 0})
    models, _ = estimate_models(prepare_data(None, cfg, tmp), cfg, tmp)
    return models


def largest(models: dict[str, ClinicModel]) -> tuple[ClinicModel, int]:
    def size(m: ClinicModel) -> tuple[int, int]:
        per_day = [sum(1 for s in m.current_template.slots if s.weekday == d) for d in range(7)]
        return max(per_day), int(np.argmax(per_day))

    pid = max(models, key=lambda k: size(models[k])[0])
    return models[pid], size(models[pid])[1]


def clinic_day(model: ClinicModel, weekday: int) -> None:
    from polyslot.analysis.perturb import perturb
    from polyslot.studio.kpis import ModelIndex, day_kpis

    index = ModelIndex(model)
    tpl = model.current_template
    day = tpl.for_weekday(weekday)
    groups = sorted(day.sessions().items())
    scheds = [index.schedule(list(g), 1.0) for _, g in groups]
    n = sum(len(s.patients) for s in scheds)
    print(
        f"\nclinic day: {model.polyclinic_id} weekday {weekday}: {len(scheds)} doctor sessions, "
        f"{n} slots, slot {model.slot_minutes} min, punctuality and no-shows"
    )
    from polyslot.evaluation import many

    def day_cold():
        many._DAY_CACHE.clear()
        return evaluate_day(scheds)

    last = scheds[-1]
    pats = list(last.patients)
    shifted = [
        Schedule(
            last.session_end,
            (*pats[:-1], dataclasses.replace(pats[-1], appointment=pats[-1].appointment + d)),
            last.doctor_start,
            last.slot_minutes,
        )
        for d in (1, 2)
    ]
    flip = [0]

    def day_edit():  # one session changed since the previous call
        flip[0] ^= 1
        return evaluate_day([*scheds[:-1], shifted[flip[0]]])

    t_many = best(lambda: evaluate_many(scheds), 5)
    t_day = best(day_cold, 5)
    t_edit = best(day_edit, 5)
    t_kpis = best(lambda: day_kpis(index, tpl, weekday), 5)
    print(f"  evaluate_many (means, every session)   {t_many * 1e3:7.2f} ms")
    print(f"  evaluate_day (means + exact p90)       {t_day * 1e3:7.2f} ms  (every session)")
    print(f"  evaluate_day after a one-session edit  {t_edit * 1e3:7.2f} ms")
    print(
        f"  fastest single call of 200: evaluate_day every session "
        f"{min_single(day_cold, 200) * 1e3:.2f} ms, after an edit "
        f"{min_single(day_edit, 200) * 1e3:.2f} ms"
    )
    print(f"  studio day_kpis (schedules + day)      {t_kpis * 1e3:7.2f} ms")
    counter = [1.0]

    def new_model_day():  # a what-if: every distribution is new, nothing cached
        counter[0] += 0.01
        m = perturb(model, "duration_mean", counter[0])
        day_kpis(ModelIndex(m), tpl, weekday)

    t_new = best(new_model_day, 1, 5)
    print(f"  what-if change (perturb + index + day) {t_new * 1e3:7.2f} ms")


def studio_latency(model: ClinicModel, weekday: int) -> None:
    from fastapi.testclient import TestClient

    from polyslot.studio import create_app
    from polyslot.template import WEEKDAYS

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        model.to_json(out / "model" / f"{model.polyclinic_id}.json")
        app = create_app(out)
        day = WEEKDAYS[weekday]
        slot = next(s for s in model.current_template.slots if s.weekday == weekday)
        url = f"/pc/{model.polyclinic_id}/{day}/cell"
        with TestClient(app) as c:
            c.get(f"/pc/{model.polyclinic_id}/{day}")
            times, server = [], []
            for i in range(20):
                op = "inc" if i % 2 == 0 else "dec"
                t0 = time.perf_counter()
                r = c.post(url, data={"hour": slot.hour, "visit_type": slot.visit_type, "op": op})
                times.append(time.perf_counter() - t0)
                server.append(float(r.headers["x-studio-ms"]))
                assert r.status_code == 200
            print(f"\nstudio cell edit ({len(times)} edits, {model.polyclinic_id} {day})")
            print(
                f"  request -> answer (KPI panel + cell): median {np.median(times) * 1e3:6.1f} ms, "
                f"max {max(times) * 1e3:6.1f} ms (edit + KPIs: median {np.median(server):.1f} ms)"
            )
            t0 = time.perf_counter()
            r = c.post(f"/pc/{model.polyclinic_id}/{day}/simulate", data={"replications": "30"})
            job = r.text.split("/sim/")[1].split('"')[0]
            while "sim-results" not in (r := c.get(f"/sim/{job}")).text:
                assert "sim-error" not in r.text, r.text
                time.sleep(0.05)
            print(
                f"  simulate 3 templates x 30 clinic days (CRN): {time.perf_counter() - t0:.2f} s"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=None, help="output folder of a polyslot run")
    args = ap.parse_args()
    public_evaluate()
    model, weekday = largest(sample_models(args.out))
    clinic_day(model, weekday)
    studio_latency(dataclasses.replace(model), weekday)


if __name__ == "__main__":
    main()
