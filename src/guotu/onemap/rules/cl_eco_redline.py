"""CL-ER-001: a project site must not enter the ecological protection red line (生态保护红线)."""

from guotu.onemap.rule_engine import Rule
from guotu.onemap.rules._control_line import forbid_overlap

LAYER = "eco_redline"
RULE = Rule("CL-ER-001", "1.0", "rules.er.title", "rules.er.basis", (LAYER,), forbid_overlap(LAYER, "rules.er"))
