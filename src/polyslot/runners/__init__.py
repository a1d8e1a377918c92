"""Engines that map :func:`polyslot.pipeline.plan_polyclinic` over a network's polyclinics."""
