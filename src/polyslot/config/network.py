"""``[network]``: the network answer for overloaded polyclinics (docs/network.md), a section of
:class:`polyslot.config.RunConfig` validated when the configuration is read."""

from __future__ import annotations

from dataclasses import dataclass

from polyslot.errors import ConfigError

__all__ = ["NetworkSettings"]


@dataclass(frozen=True)
class NetworkSettings:
    """The network answer for overloaded polyclinics (``[network]``; docs/network.md).

    ``groups``: lists of polyclinic ids that may share doctor-sessions (two polyclinics may
    share when some group holds both); empty: the whole network is one group.
    ``max_lend`` / ``max_borrow``: doctor-sessions a polyclinic may lend / borrow per weekday
    and half-day (AM, PM). ``lender_tolerance``: minutes by which a lender's mean wait, and its
    overtime per doctor-session on duty, may exceed its recommended plan's on a weekday it
    lends. ``target_wait_minutes``: the mean wait the hiring answer aims at (None: the
    network's median recommended wait).
    """

    enabled: bool = True
    groups: tuple[tuple[str, ...], ...] = ()
    max_moves_per_week: int = 24
    max_lend: int = 1
    max_borrow: int = 1
    lender_tolerance: float = 2.0
    target_wait_minutes: float | None = None

    def __post_init__(self) -> None:
        groups = []
        for g in self.groups:
            if isinstance(g, str) or not isinstance(g, tuple | list) or not g or any(
                not isinstance(p, str) or not p.strip() for p in g
            ):
                raise ConfigError(
                    "must be a list of lists of polyclinic ids, e.g. [[\"PC01\", \"PC02\"]]",
                    field="network.groups",
                    value=g,
                )
            groups.append(tuple(str(p) for p in g))
        object.__setattr__(self, "groups", tuple(groups))
        for n in ("max_moves_per_week", "max_lend", "max_borrow"):
            v = getattr(self, n)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= (
                10_000 if n == "max_moves_per_week" else 4
            ):
                raise ConfigError(
                    "must be a whole number in [0, 4]" if n != "max_moves_per_week"
                    else "must be a whole number >= 0",
                    field=f"network.{n}",
                    value=v,
                )
        tol = self.lender_tolerance
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 <= tol < 1e6:
            raise ConfigError(
                "must be a number of minutes >= 0", field="network.lender_tolerance", value=tol
            )
        t = self.target_wait_minutes
        if t is not None and (isinstance(t, bool) or not isinstance(t, int | float) or t <= 0):
            raise ConfigError(
                "must be a number of minutes > 0 (or leave it out: the network's median "
                "recommended wait)",
                field="network.target_wait_minutes",
                value=t,
            )
