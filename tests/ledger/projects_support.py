"""Helpers for the tests of the project families: squares of known area and records from keywords.

Geometries are drawn in the metric zone (EPSG:4549, Pinghu) as offsets in metres from a point inside
the county and stored in CGCS2000, so their areas are known: a 100 m square is 10 000 m² = 15 mu.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.ledger.model import Record
from guotu.ledger.repository import make_records

X0, Y0 = 600_000.0, 3_400_000.0
METRIC = 4549
TOWN_A = "330482101"
TOWN_B = "330482102"
D = dt.date


def rect(x: float, y: float, w: float, h: float) -> Any:
    """A w × h metre rectangle at offset (x, y) from the origin, in CGCS2000."""
    g = shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
    return transform_geometries(np.array([g], dtype=object), METRIC, CGCS2000)[0]


def square(x: float, y: float, size: float = 100.0) -> Any:
    return rect(x, y, size, size)


def bowtie(x: float, y: float) -> Any:
    """A self-intersecting polygon (invalid)."""
    g = shapely.Polygon([(X0 + x, Y0 + y), (X0 + x + 100, Y0 + y + 100), (X0 + x + 100, Y0 + y),
                         (X0 + x, Y0 + y + 100), (X0 + x, Y0 + y)])
    return transform_geometries(np.array([g], dtype=object), METRIC, CGCS2000)[0]


def rec(kind: str, rid: str, geometry: Any = None, **attrs: Any) -> Record:
    """One record of ``kind`` through the same coercion as every import."""
    return make_records(kind, [{"record_id": rid, **attrs}], [geometry])[0]


# --- one valid record of each kind, to vary in the tests ----------------------------------------------
def sea(rid: str = "S1", geometry: Any = None, **over: Any) -> Record:
    attrs = {"approval_no": f"平海批〔2024〕{rid}号", "project": "独山港区码头", "use_code": "ydyh-2023:2001",
             "approved_on": "2024-03-01", "valid_from": "2024-03-01", "valid_to": "2074-02-28", "term_years": 50,
             "fee_wan": 120.5, "town_code": TOWN_A} | over
    return rec("sea_use", rid, square(0, -5000) if geometry is None else geometry, **attrs)


def project(rid: str = "P1", geometry: Any = None, **over: Any) -> Record:
    attrs = {"project_no": f"ZZ-{rid}", "name": f"整治项目{rid}", "category": "comprehensive", "town_code": TOWN_A,
             "approved_on": "2023-05-01", "planned_investment_wan": 1000} | over
    return rec("consolidation_project", rid, square(0, 1000, 300) if geometry is None else geometry, **attrs)


def subproject(rid: str = "SP1", geometry: Any = None, **over: Any) -> Record:
    attrs = {"project": "P1", "name": f"子项目{rid}", "category": "farmland_consolidation",
             "investment_wan": 200} | over
    return rec("consolidation_subproject", rid, geometry, **attrs)


def acceptance(rid: str, target: str, on: str, geometry: Any = None, **over: Any) -> Record:
    kind = "consolidation_subproject" if target.startswith("SP") else "consolidation_project"
    attrs = {"target_kind": kind, "target": target, "accepted_on": on, "level": "county", "result": "passed"} | over
    return rec("acceptance", rid, geometry, **attrs)


def reclamation(rid: str, geometry: Any, **over: Any) -> Record:
    attrs = {"project_no": f"FK-{rid}", "name": f"复垦{rid}", "category": "reclamation", "town_code": TOWN_A,
             "approved_on": "2024-01-01"} | over
    return rec("reclamation", rid, geometry, **attrs)


def block_plan(rid: str = "BP1", geometry: Any = None, **over: Any) -> Record:
    attrs = {"plan_no": f"CP-{rid}", "name": f"成片开发{rid}", "approved_on": "2023-10-01",
             "public_interest_percent": 45, "town_code": TOWN_A} | over
    return rec("block_development_plan", rid, square(5000, 0, 500) if geometry is None else geometry, **attrs)


def expropriation(rid: str = "EB1", geometry: Any = None, **over: Any) -> Record:
    attrs = {"batch_no": f"ZS-{rid}", "approved_on": "2024-03-01", "authority": "province", "town_code": TOWN_A} | over
    return rec("expropriation_batch", rid, square(5000, 0) if geometry is None else geometry, **attrs)


def resettlement(rid: str = "RP1", **over: Any) -> Record:
    attrs = {"plan_no": f"AZ-{rid}", "batch": "EB1", "announced_on": "2024-02-01", "households": 10, "persons": 31,
             "compensation_wan": 1000} | over
    return rec("resettlement_plan", rid, **attrs)


def settled(rid: str, plan: str, on: str, signed: int, paid: float) -> Record:
    return rec("resettlement_progress", rid, plan=plan, on=on, households_signed=signed, compensation_paid_wan=paid)


def invested(rid: str, project_id: str, on: str, done: float) -> Record:
    return rec("consolidation_progress", rid, project=project_id, on=on, investment_done_wan=done)
