"""``polyslot studio``: a local web app over a finished run (see docs/studio.md).

A peer of :mod:`polyslot.cli`: it may import every layer; only the CLI imports it.
"""

from polyslot.studio.app import create_app, serve

__all__ = ["create_app", "serve"]
