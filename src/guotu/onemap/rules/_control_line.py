"""What the control-line rules share: a line that a site must not overlap beyond slivers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guotu.core.units import format_m2, format_mu
from guotu.onemap.rule_engine import ATTENTION, CONFLICT, PASS, Finding


def forbid_overlap(layer: str, messages: str) -> Callable[[Any], Finding]:
    """An ``evaluate`` giving a conflict when the site overlaps ``layer`` (slivers excluded).

    ``messages`` is the catalog prefix holding ``.conflict`` and ``.pass``.
    """

    def evaluate(facts: Any) -> Finding:
        reason = facts.missing(layer)
        if reason:
            return Finding(ATTENTION, reason, {"layer": layer})
        line = facts.layers[layer]
        if line.area_m2 > 0:
            return Finding(CONFLICT, f"{messages}.conflict",
                           {"area_m2": format_m2(line.area_m2), "area_mu": format_mu(line.area_m2)})
        return Finding(PASS, f"{messages}.pass", {})

    return evaluate
