"""The one errors module: every error polyslot raises on purpose is a :class:`PolyslotError`.

The CLI turns any of these into a single line on stderr and exit code 2; the API lets them
propagate so callers can catch them by type.
"""

from __future__ import annotations

__all__ = [
    "PolyslotError",
    "InputError",
    "DataError",
    "SchemaError",
    "ModelError",
    "NotFittedError",
    "SolverError",
    "InfeasibleError",
    "ConfigError",
    "MappingError",
    "QuarantineError",
]


class PolyslotError(Exception):
    """Base class of every error polyslot raises deliberately."""


class InputError(PolyslotError, ValueError):
    """A value supplied by the user is invalid (names the field, the value and what was expected).

    Parameters
    ----------
    message : str
        Human-readable one-line description.
    source : str, optional
        File (or other source) the value came from.
    field : str, optional
        Field / column / JSON path that is wrong.
    value : object, optional
        The offending value.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.message = message
        parts = []
        if source:
            parts.append(str(source))
        if field:
            shown = _shown(value)
            echo = f" = {shown}" if shown and shown not in message else ""
            parts.append(f"field {field!r}{echo}")
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


def _shown(value: object, limit: int = 60) -> str:
    """The refused value as the user wrote it (short), or empty when there is none."""
    if value is None:
        return ""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DataError(InputError):
    """An input table is missing, unreadable or lacks a required column."""


class SchemaError(DataError):
    """An input table's structure does not match the data contract."""


class ConfigError(InputError):
    """A configuration file or option is invalid."""


class MappingError(ConfigError):
    """A mapping file (``mapping.toml``) is invalid or does not fit its source.

    The message names the mapping file, the key and the columns available.
    """


class QuarantineError(DataError):
    """More of a table's rows were quarantined than ``max_quarantine_share`` allows.

    The message names the top reason, the column, an example value and the likely fix.
    """


class ModelError(PolyslotError):
    """A model (statistical or optimisation) cannot be built or used as asked."""


class NotFittedError(ModelError, AttributeError):
    """A statistical model was used before ``fit`` was called."""


class SolverError(ModelError):
    """A MIP/LP solver is unavailable or failed."""


class InfeasibleError(ModelError):
    """An optimisation model has no feasible solution.

    Parameters
    ----------
    message : str
        Plain explanation naming the conflicting requirements with numbers.
    conflicts : list of str, optional
        One line per conflicting requirement.
    relaxation : list of str, optional
        The smallest relaxation found that restores feasibility.
    """

    def __init__(
        self,
        message: str,
        conflicts: list[str] | None = None,
        relaxation: list[str] | None = None,
    ) -> None:
        self.conflicts = list(conflicts or [])
        self.relaxation = list(relaxation or [])
        #: slots (bucket, visit type index) -> count of the elastic solution, when one was found
        self.counts: dict[tuple[int, int], int] = {}
        super().__init__(message)
