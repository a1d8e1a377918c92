"""Appointment times across the doctors of a pooled clinic, with the one model in the loop.

When doctors share one queue, what matters is the stream of patients arriving at the clinic, not
each doctor's list: nine doctors all booking a patient at 08:00, 08:10, ... send nine patients at
once every ten minutes, while the same slots staggered send one patient every 67 seconds. Each
bucket's patients (their number per doctor fixed by the allocation) are laid out in one of these
ways, on the ``sequencing_interval`` grid:

* ``block``: every doctor's patients evenly spaced over the bucket (the doctors in step);
* ``staggered``: the bucket's patients dealt to the doctors in turn and laid out as one evenly
  spaced stream (doctor ``j``'s first patient ``j`` steps after the bucket start);
* ``front``: like ``staggered``, with the first patient of every doctor at the bucket start (the
  pooled Bailey-Welch rule: no doctor waits for the first patient).

The weekday is evaluated under each layout by the one clinic-day model with the weekday's seed
(common random numbers) and the layout with the lowest objective (``w_wait`` x total wait +
``w_idle`` x idle + ``w_overtime`` x overtime, the MIP's weights) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from polyslot.clinic_model import ClinicModel, DoctorSession
from polyslot.evaluation.day_settings import DaySettings, day_seed
from polyslot.optimize.config import OptimizeConfig
from polyslot.optimize.weekday_inputs import WeekdayInputs
from polyslot.template import Slot

__all__ = ["LAYOUTS", "pooled_slots", "layout_slots"]

LAYOUTS = ("staggered", "block", "front")


def _grid_minutes(inp: WeekdayInputs, h: int, iv: int) -> list[int]:
    b = inp.buckets[h]
    return list(range(b, b + inp.bucket_minutes, iv))


def layout_slots(
    inp: WeekdayInputs,
    assignment: Mapping[str, Sequence[tuple[int, int]]],
    sessions: Sequence[DoctorSession],
    interval: int,
    layout: str,
) -> list[Slot]:
    """The weekday's slots under ``layout`` (see the module docstring)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    by_session = {s.session_id: s for s in sessions}
    slots: list[Slot] = []
    for h in range(len(inp.buckets)):
        queues = {
            sid: sorted((v for hh, v in items if hh == h), key=lambda v: -inp.mean_service[v])
            for sid, items in sorted(assignment.items())
        }
        queues = {sid: q for sid, q in queues.items() if q}
        if not queues:
            continue
        grid = _grid_minutes(inp, h, interval)
        placed: list[tuple[int, str, int]] = []  # (minute, session, visit type)
        if layout == "block":
            for sid, q in queues.items():
                for j, v in enumerate(q):
                    placed.append((grid[int(j * len(grid) // len(q))], sid, v))
        else:
            dealt: list[tuple[str, int]] = []
            depth = max(len(q) for q in queues.values())
            for j in range(depth):
                for sid, q in queues.items():
                    if j < len(q):
                        dealt.append((sid, q[j]))
            n = len(dealt)
            lead = len(queues) if layout == "front" else 0
            for k, (sid, v) in enumerate(dealt):
                if k < lead:
                    minute = grid[0]
                else:
                    rest = n - lead
                    pos = (k - lead) + (1 if lead else 0)
                    frac = pos / (rest + (1 if lead else 0)) if rest else 0.0
                    minute = grid[min(len(grid) - 1, int(frac * len(grid)))]
                placed.append((minute, sid, v))
        for minute, sid, v in placed:
            sess = by_session[sid]
            minute = min(max(minute, sess.start_minute), max(sess.start_minute,
                                                             sess.end_minute - 1))
            slots.append(
                Slot(
                    weekday=inp.weekday,
                    start_minute=int(minute),
                    duration_minutes=max(1, int(round(inp.mean_service[v]))),
                    visit_type=inp.visit_types[v],
                    doctor_session=sid,
                )
            )
    return _flag_overbooked(slots)


def _flag_overbooked(slots: list[Slot]) -> list[Slot]:
    out = []
    seen: set[tuple[str, int]] = set()
    for s in sorted(slots, key=lambda s: (s.doctor_session, s.start_minute)):
        key = (s.doctor_session, s.start_minute)
        out.append(
            Slot(s.weekday, s.start_minute, s.duration_minutes, s.visit_type, s.doctor_session,
                 key in seen)
        )
        seen.add(key)
    return out


def _objective(model: ClinicModel, inp: WeekdayInputs, slots: list[Slot], config: OptimizeConfig,
               days: DaySettings, seed: int) -> float:
    m = days.evaluate(days.build(model, slots, inp.weekday), day_seed(seed, inp.weekday))
    total = m.value("wait_mean") * m.value("patients_served")
    return float(
        config.w_wait * total + config.w_idle * m.value("idle")
        + config.w_overtime * m.value("overtime")
    )


def pooled_slots(
    model: ClinicModel,
    inp: WeekdayInputs,
    assignment: Mapping[str, Sequence[tuple[int, int]]],
    sessions: Sequence[DoctorSession],
    config: OptimizeConfig,
    days: DaySettings,
    seed: int,
    *,
    choose: bool = True,
) -> list[Slot]:
    """The weekday's slots of a pooled clinic: the best layout under the one model
    (``choose``), else the staggered one."""
    iv = max(1, int(config.sequencing_interval))
    if not choose:
        return layout_slots(inp, assignment, sessions, iv, "staggered")
    best: tuple[float, int, list[Slot]] | None = None
    for k, layout in enumerate(LAYOUTS):
        slots = layout_slots(inp, assignment, sessions, iv, layout)
        if not slots:
            return slots
        obj = _objective(model, inp, slots, config, days, seed)
        if best is None or obj < best[0] - 1e-9 * max(1.0, abs(best[0])):
            best = (obj, k, slots)
    assert best is not None
    return best[2]


def layout_name(index: int) -> str:
    """Name of the layout at ``index`` of :data:`LAYOUTS`."""
    return LAYOUTS[int(np.clip(index, 0, len(LAYOUTS) - 1))]
