"""CL-PF-001: a project site must not occupy permanent basic farmland (永久基本农田)."""

from __future__ import annotations

from typing import Any

from guotu.core.units import format_m2, format_mu
from guotu.onemap.rule_engine import ATTENTION, CONFLICT, PASS, Finding, Rule

LAYER = "permanent_farmland"


def evaluate(facts: Any) -> Finding:
    line = facts.control_lines.get(LAYER)
    if line is None or not line.loaded:
        return Finding(ATTENTION, "rules.layer_missing", {"layer": LAYER})
    if line.area_m2 > 0:
        return Finding(CONFLICT, "rules.pf.conflict",
                       {"area_m2": format_m2(line.area_m2), "area_mu": format_mu(line.area_m2)})
    return Finding(PASS, "rules.pf.pass", {})


RULE = Rule("CL-PF-001", "1.0", "rules.pf.title", "rules.pf.basis", (LAYER,), evaluate)
