"""Completing a loaded store: cross-table checks and the tables ingest infers.

:mod:`.template_check` (a template's visit types must occur in the history) and
:mod:`.roster` (a roster inferred from consultation activity when none was supplied). Their
SQL is :mod:`polyslot.data.store.completion`'s.
"""

from polyslot.data.completion.roster import INFERRED_COLUMN, infer_roster
from polyslot.data.completion.template_check import check_template_visit_types

__all__ = ["INFERRED_COLUMN", "check_template_visit_types", "infer_roster"]
