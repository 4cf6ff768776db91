"""guotu (国土): one spatial database for a Natural Resources and Planning Bureau."""

__version__ = "0.1.0"
