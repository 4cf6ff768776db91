"""ZN-001: a construction site should lie in zones that allow construction (规划分区)."""

from __future__ import annotations

from typing import Any

from guotu.core.units import format_m2, format_mu
from guotu.onemap.rule_engine import ATTENTION, PASS, Finding, Rule

LAYER = "zones"
# Zones where construction of a project needs special justification (指南 规划分区 管控要求).
RESTRICTED = ("ecological_protection", "ecological_control", "farmland_protection")


def evaluate(facts: Any) -> Finding:
    reason = facts.missing(LAYER)
    if reason:
        return Finding(ATTENTION, reason, {"layer": LAYER})
    hits = [z for z in facts.zones if z.group in RESTRICTED and z.area_m2 > 0]
    if hits:
        area = sum(z.area_m2 for z in hits)
        names = "、".join(z.label for z in hits)
        return Finding(ATTENTION, "rules.zn.restricted",
                       {"zones": names, "area_m2": format_m2(area), "area_mu": format_mu(area)})
    return Finding(PASS, "rules.zn.pass", {})


RULE = Rule("ZN-001", "1.0", "rules.zn.title", "rules.zn.basis", (LAYER,), evaluate)
