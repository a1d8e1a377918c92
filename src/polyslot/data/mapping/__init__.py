"""The mapping of a foreign export onto the data contract (``mapping.toml``).

:mod:`.parse` (the frozen, validated :class:`Mapping` read from TOML), :mod:`.apply` (applied
to every raw chunk before validation, Arrow kernels), and ``polyslot map``'s drafting:
:mod:`.profile` (what each source column holds), :mod:`.draft` (the guesses) and
:mod:`.draft_toml` (the commented TOML written for review).
"""

from polyslot.data.mapping.parse import (
    EXCLUDE,
    ID_SCOPES,
    ID_SEPARATOR,
    SOURCE_KEYS,
    ColumnRule,
    Mapping,
    TableMapping,
    ValueRule,
    as_mapping,
    load_mapping,
    parse_mapping,
)

__all__ = [
    "EXCLUDE",
    "ID_SCOPES",
    "ID_SEPARATOR",
    "SOURCE_KEYS",
    "ColumnRule",
    "Mapping",
    "TableMapping",
    "ValueRule",
    "as_mapping",
    "load_mapping",
    "parse_mapping",
]
