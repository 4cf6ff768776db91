"""CL-ER-001: a project site must not enter the ecological protection red line (生态保护红线)."""

from __future__ import annotations

from typing import Any

from guotu.core.units import format_m2, format_mu
from guotu.onemap.rule_engine import ATTENTION, CONFLICT, PASS, Finding, Rule

LAYER = "eco_redline"


def evaluate(facts: Any) -> Finding:
    line = facts.control_lines.get(LAYER)
    if line is None or not line.loaded:
        return Finding(ATTENTION, "rules.layer_missing", {"layer": LAYER})
    if line.area_m2 > 0:
        return Finding(CONFLICT, "rules.er.conflict",
                       {"area_m2": format_m2(line.area_m2), "area_mu": format_mu(line.area_m2)})
    return Finding(PASS, "rules.er.pass", {})


RULE = Rule("CL-ER-001", "1.0", "rules.er.title", "rules.er.basis", (LAYER,), evaluate)
