"""CL-DB-001: urban construction belongs inside the urban development boundary (城镇开发边界)."""

from __future__ import annotations

from typing import Any

from guotu.core.units import format_m2, format_mu
from guotu.onemap.rule_engine import ATTENTION, PASS, Finding, Rule

LAYER = "dev_boundary"


def evaluate(facts: Any) -> Finding:
    reason = facts.missing(LAYER)
    if reason:
        return Finding(ATTENTION, reason, {"layer": LAYER})
    line = facts.layers[LAYER]
    outside = max(facts.site_area_m2 - line.area_m2 - line.sliver_m2, 0.0)
    if outside >= facts.policy.sliver_m2:
        return Finding(ATTENTION, "rules.db.outside",
                       {"area_m2": format_m2(outside), "area_mu": format_mu(outside)})
    return Finding(PASS, "rules.db.pass", {})


RULE = Rule("CL-DB-001", "1.0", "rules.db.title", "rules.db.basis", (LAYER,), evaluate)
