"""Queue disciplines of the clinic day: the one :class:`~polyslot.day.spec.Discipline`.

- ``pooled`` (``fcfs``, ``pooled_fcfs``): one pooled queue, first come first served by arrival,
  any doctor on duty.
- ``per_doctor`` (``appointment``, ``appointment_order``): each booked patient queues for the
  doctor session of their slot and each doctor serves the patients present in order of
  appointment time; walk-ins (and patients turned walk-in by the late policy) join the doctor on
  duty with the fewest patients waiting or in consultation (ties: first listed), ordered by
  their arrival. With one doctor and punctual patients this is the exact evaluator's order.
- ``dedicated``: like ``per_doctor`` but first come first served by arrival within each queue.
"""

from __future__ import annotations

from polyslot.day.spec import DISCIPLINE_SPELLINGS, Discipline, parse_discipline

__all__ = ["Discipline", "SETTINGS_SPELLINGS", "parse_discipline"]

#: Other spellings of the disciplines (settings and former names).
SETTINGS_SPELLINGS = DISCIPLINE_SPELLINGS
