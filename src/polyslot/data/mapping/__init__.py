"""The mapping of a foreign export onto the data contract (``mapping.toml``).

:mod:`.model` (the frozen, validated :class:`Mapping`), :mod:`.parse` and :mod:`.parse_rules`
(read from TOML), :mod:`.apply` (applied to every raw chunk before validation, Arrow kernels),
:mod:`.fields` (where each contract column comes from), :mod:`.hours` and :mod:`.facility` (the
facility table and its opening hours), and ``polyslot map``'s drafting:
:mod:`.profile` (what each source column holds), :mod:`.draft` (the guesses) and
:mod:`.draft_toml` (the commented TOML written for review).
"""

from polyslot.data.mapping.model import (
    DEFAULT,
    EXCLUDE,
    ID_SCOPES,
    ID_SEPARATOR,
    PROVENANCES,
    SOURCE_KEYS,
    UNITS,
    ColumnRule,
    FacilityMapping,
    Mapping,
    TableMapping,
    ValueRule,
    WhenRule,
)
from polyslot.data.mapping.parse import as_mapping, load_mapping, parse_mapping

__all__ = [
    "DEFAULT",
    "EXCLUDE",
    "PROVENANCES",
    "UNITS",
    "FacilityMapping",
    "WhenRule",
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
