"""The land ledger (用地"一本账"): quotas, approvals, supply, unsupplied and idle land, projects, sea use.

Records live in the same Store as the plans, one layer per record kind (``ledger_<kind>``), so both
backends carry the ledger and every write is audited. See docs/ledger.md.
"""
