"""CL-PF-001: a project site must not occupy permanent basic farmland (永久基本农田)."""

from guotu.onemap.rule_engine import Rule
from guotu.onemap.rules._control_line import forbid_overlap

LAYER = "permanent_farmland"
RULE = Rule("CL-PF-001", "1.0", "rules.pf.title", "rules.pf.basis", (LAYER,), forbid_overlap(LAYER, "rules.pf"))
