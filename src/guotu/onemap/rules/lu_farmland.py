"""LU-FL-001: farmland (耕地) in the survey that a site would occupy needs an offset (占补平衡)."""

from __future__ import annotations

from typing import Any

from guotu.core.units import format_m2, format_mu
from guotu.onemap.rule_engine import ATTENTION, PASS, Finding, Rule

LAYER = "survey"


def evaluate(facts: Any) -> Finding:
    reason = facts.missing(LAYER)
    if reason:
        return Finding(ATTENTION, reason, {"layer": LAYER})
    area = facts.farmland_m2
    if area > 0:
        return Finding(ATTENTION, "rules.fl.occupies", {"area_m2": format_m2(area), "area_mu": format_mu(area)})
    return Finding(PASS, "rules.fl.pass", {})


RULE = Rule("LU-FL-001", "1.0", "rules.fl.title", "rules.fl.basis", (LAYER,), evaluate)
