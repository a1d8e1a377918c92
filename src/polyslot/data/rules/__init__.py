"""The row rules: coerce raw values to the contract's types, check every rule, split accepted
and quarantined rows.

:mod:`.timeformats` (date-time parsing), :mod:`.coerce` (raw text to typed columns, with notes
on what could not be parsed), :mod:`.checks` (the pandera schemas and the rules relating
several columns, each named after its quarantine reason) and :mod:`.validate` (one chunk:
coerce, check, split, with the quarantine detail).
"""

from polyslot.data.rules.checks import CROSS_RULES, CrossRule, Failure, build_schema, evaluate
from polyslot.data.rules.validate import ChunkResult, field_name, validate_chunk

__all__ = [
    "CROSS_RULES",
    "ChunkResult",
    "CrossRule",
    "Failure",
    "build_schema",
    "evaluate",
    "field_name",
    "validate_chunk",
]
