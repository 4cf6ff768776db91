"""The web layer: app assembly, one router per capability, OGC API – Features and vector tiles.

Only this package knows about HTTP; it maps the typed errors of :mod:`guotu.core.errors` to statuses.
"""

from guotu.api.main import create_app

__all__ = ["create_app"]
