"""A small hand-built county for the land-flow tests (tests/ledger), whose answers are known by construction.

Geometry is drawn as rectangles in the metric zone (EPSG:4549, metres east/north of an origin in
Pinghu) and stored in CGCS2000, so every area below is exact: 100 m × 100 m = 10 000 m² = 15 mu.

Batches and parcels (town codes 101 = 330482101 …):

=======  ==========  ==========================  =============  ======
batch    approved    parcel (x0, y0, w, h)       area           town
=======  ==========  ==========================  =============  ======
B2015    2015-06-01  P15   (0, 0, 300, 100)      30 000 (45 mu) 101
B2020    2020-01-10  P20   (0, 200, 200, 100)    20 000 (30 mu) 103
B2023    2023-05-01  P23a  (400, 0, 200, 100)    20 000 (30 mu) 101
                     P23b  (400, 200, 100, 100)  10 000 (15 mu) 101
B2024    2024-04-01  P24a  (700, 0, 200, 200)    40 000 (60 mu) 102
                     P24b  (700, 300, 100, 100)  10 000 (15 mu) 101
=======  ==========  ==========================  =============  ======

Supplies (each 10 000 m² = 15 mu unless said):

* S2016 on P15 (0..100), industrial sale, 500 万元, signed 2016-03-01; started 2016-10-01, completed 2018-06-01.
* S2021 on P20 (0..100), industrial sale, 1000 万元, signed 2021-01-10, agreed start 2021-06-01, never
  started; idle fee 200 万元 decided 2022-08-01; recovered 2024-10-01.
* S2022 on P20 (100..200), industrial sale, 800 万元, signed 2022-03-01, due 2024-03-01; started
  2022-07-01, completed 2024-05-20 (late).
* S2023 on P23b, residential sale, 600 万元, signed 2023-06-01, agreed start 2023-08-01, due 2025-08-01;
  never started → idle from 2024-08-02 (fee due); idle fee 120 万元 decided 2024-09-01.
* S2024a on P15 (100..200), industrial sale, 300 万元, signed 2024-03-15, due 2026-03-15.
* S2024b on P23a (20 000 m², 30 mu), commercial sale, 2000 万元, signed 2024-06-01, due 2025-03-01
  (60 days after 2024-12-31: due soon).
* S2024c on P24a (700..800, 0..200; 20 000 m², 30 mu), infrastructure allocation, town 102, signed
  2024-07-01, due 2024-12-01 (overdue on 2024-12-31).

Quotas: Q2023 provincial plan 500 mu (2023-03-01, town 101); Q2024 provincial plan 1000 mu (2024-02-01,
town 101); QL2024 linkage 200 mu (2024-05-01, town 102). Allocations: A2023 100 mu of Q2023 to B2023
(2023-04-01); A2024 300 mu of Q2024 to B2024 (2024-03-01).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.ledger.model import Record
from guotu.ledger.repository import ID_FIELD, make_records, write_records
from guotu.store import Store

ORIGIN = (596000.0, 3397000.0)  # EPSG:4549, inside Pinghu
D = dt.date


def rect(x0: float, y0: float, w: float, h: float) -> Any:
    """A rectangle drawn in metres from the origin, returned in CGCS2000 (as stored)."""
    box = shapely.box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x0 + w, ORIGIN[1] + y0 + h)
    return transform_geometries(np.array([box], dtype=object), 4549, CGCS2000)[0]


def rec(kind: str, rid: str, geometry: Any = None, **attrs: Any) -> Record:
    return make_records(kind, [{ID_FIELD: rid, **attrs}], [geometry] if geometry is not None else None)[0]


def supply(rid: str, geometry: Any, signed: dt.date, start: dt.date, due: dt.date, *, use: str = "industrial",
           method: str = "sale", price: float | None = 100.0, town: str = "330482101", **more: Any) -> Record:
    more.setdefault("contract_no", f"C-{rid}")
    return rec("supply", rid, geometry, method=method, use_type=use, land_user="某公司", price_wan=price,
               signed_on=signed, agreed_start_on=start, agreed_completion_on=due, town_code=town, **more)


def batch(rid: str, approved: dt.date, **more: Any) -> Record:
    more.setdefault("batch_no", f"NO-{rid}")
    more.setdefault("batch_type", "conversion_and_expropriation")
    return rec("batch", rid, authority="浙江省人民政府", approved_on=approved, **more)


def parcel(rid: str, batch_id: str, geometry: Any, town: str = "330482101") -> Record:
    return rec("batch_parcel", rid, geometry, batch=batch_id, parcel_no=rid, town_code=town)


def county_records() -> list[Record]:
    return [
        rec("quota", "Q2023", source="provincial_plan", year=2023, amount_mu=500, received_on=D(2023, 3, 1),
            town_code="330482101"),
        rec("quota", "Q2024", source="provincial_plan", year=2024, amount_mu=1000, received_on=D(2024, 2, 1),
            town_code="330482101"),
        rec("quota", "QL2024", source="linkage", year=2024, amount_mu=200, received_on=D(2024, 5, 1),
            town_code="330482102"),
        batch("B2015", D(2015, 6, 1)),
        batch("B2020", D(2020, 1, 10)),
        batch("B2023", D(2023, 5, 1), batch_type="conversion"),
        batch("B2024", D(2024, 4, 1)),
        rec("quota_allocation", "A2023", quota="Q2023", project="园区道路", amount_mu=100, allocated_on=D(2023, 4, 1),
            batch="B2023"),
        rec("quota_allocation", "A2024", quota="Q2024", project="产业园", amount_mu=300, allocated_on=D(2024, 3, 1),
            batch="B2024"),
        parcel("P15", "B2015", rect(0, 0, 300, 100)),
        parcel("P20", "B2020", rect(0, 200, 200, 100), town="330482103"),
        parcel("P23a", "B2023", rect(400, 0, 200, 100)),
        parcel("P23b", "B2023", rect(400, 200, 100, 100)),
        parcel("P24a", "B2024", rect(700, 0, 200, 200), town="330482102"),
        parcel("P24b", "B2024", rect(700, 300, 100, 100)),
        supply("S2016", rect(0, 0, 100, 100), D(2016, 3, 1), D(2016, 9, 1), D(2018, 9, 1), price=500),
        supply("S2021", rect(0, 200, 100, 100), D(2021, 1, 10), D(2021, 6, 1), D(2023, 6, 1), price=1000,
               town="330482103"),
        supply("S2022", rect(100, 200, 100, 100), D(2022, 3, 1), D(2022, 6, 1), D(2024, 3, 1), price=800,
               town="330482103"),
        supply("S2023", rect(400, 200, 100, 100), D(2023, 6, 1), D(2023, 8, 1), D(2025, 8, 1), use="residential",
               price=600),
        supply("S2024a", rect(100, 0, 100, 100), D(2024, 3, 15), D(2024, 9, 15), D(2026, 3, 15), price=300),
        supply("S2024b", rect(400, 0, 200, 100), D(2024, 6, 1), D(2024, 8, 1), D(2025, 3, 1), use="commercial",
               price=2000),
        supply("S2024c", rect(700, 0, 100, 200), D(2024, 7, 1), D(2024, 8, 1), D(2024, 12, 1), use="infrastructure",
               method="allocation", price=None, town="330482102"),
        rec("progress", "E1", supply="S2016", event="started", on=D(2016, 10, 1)),
        rec("progress", "E2", supply="S2016", event="completed", on=D(2018, 6, 1), developed_area_m2=10000),
        rec("progress", "E3", supply="S2022", event="started", on=D(2022, 7, 1)),
        rec("progress", "E4", supply="S2022", event="completed", on=D(2024, 5, 20), developed_area_m2=10000),
        rec("idle_disposal", "X1", supply="S2021", action="fee", decided_on=D(2022, 8, 1), fee_wan=200),
        rec("idle_disposal", "X2", supply="S2021", action="recovery", decided_on=D(2024, 10, 1)),
        rec("idle_disposal", "X3", supply="S2023", action="fee", decided_on=D(2024, 9, 1), fee_wan=120),
    ]


def raw_write(store: Store, records: Sequence[Record]) -> None:
    """Write records without any check, as an import that bypassed the ledger would."""
    write_records(store, records, "import")
