"""Queue disciplines of the clinic day and where an arriving patient queues.

- ``fcfs``: one pooled queue, first come first served by arrival, any doctor on duty.
- ``dedicated``: each booked patient queues for the doctor session of their slot (FCFS by
  arrival within it); walk-ins (and patients turned walk-in by the late policy) join the doctor
  on duty with the fewest patients waiting or in consultation (ties: first listed).
- ``appointment``: like ``dedicated``, but each doctor serves the patients present in their
  queue in order of appointment time (walk-ins are ordered by their arrival time). With one
  doctor and punctual patients this is the exact evaluator's appointment order.
"""

from __future__ import annotations

from enum import StrEnum

from polyslot.errors import InputError

__all__ = ["Discipline", "SETTINGS_SPELLINGS", "parse_discipline"]


class Discipline(StrEnum):
    """Queue discipline of a simulated clinic day."""

    FCFS = "fcfs"
    DEDICATED = "dedicated"
    APPOINTMENT = "appointment"

    @property
    def pooled(self) -> bool:
        """True when all doctors share one queue."""
        return self is Discipline.FCFS


#: The spellings of the ``[simulate] discipline`` setting that name a discipline by what it does:
#: ``pooled_fcfs`` is :attr:`Discipline.FCFS` (one queue shared by every doctor, first come first
#: served) and ``appointment_order`` is :attr:`Discipline.APPOINTMENT`.
SETTINGS_SPELLINGS = {"pooled_fcfs": "fcfs", "appointment_order": "appointment"}


def parse_discipline(value: str | Discipline) -> Discipline:
    """Validate a discipline name (``fcfs``, ``dedicated`` or ``appointment``, or a settings
    spelling of :data:`SETTINGS_SPELLINGS`)."""
    if isinstance(value, Discipline):
        return value
    name = str(value).lower()
    try:
        return Discipline(SETTINGS_SPELLINGS.get(name, name))
    except ValueError:
        raise InputError(
            f"unknown queue discipline {value!r}; expected 'fcfs', 'dedicated' or 'appointment'",
            field="discipline",
            value=value,
        ) from None
