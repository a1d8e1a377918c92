"""The synthetic polyclinic network: a realistic history whose true parameters are known.

:func:`generate_network` builds every table of the data contract for a network of polyclinics
and :func:`write_network` writes them with ``truth.json`` (docs/synthetic.md). The modules:
``parameters`` (the true constants), ``current_template`` (sessions and today's slot template),
``booking`` (requests, booking, walk-ins), ``patients`` (who books, their history),
``clinic_day`` (the queue that produces the observed timestamps), ``polyclinic`` (one
polyclinic day by day), ``supplied_inputs`` (supplied demand forecast and no-show predictions),
``defects`` (realistic bad rows for the sample) and ``network`` (the whole network).
"""

from __future__ import annotations

from polyslot.synthetic.network import (
    GENERATOR_VERSION,
    TABLES,
    SyntheticNetwork,
    generate_network,
    write_network,
)

__all__ = ["GENERATOR_VERSION", "SyntheticNetwork", "TABLES", "generate_network", "write_network"]
