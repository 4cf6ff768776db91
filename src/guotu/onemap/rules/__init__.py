"""Compliance rules, one per module; each defines ``RULE``. See :mod:`guotu.onemap.rule_engine`."""
