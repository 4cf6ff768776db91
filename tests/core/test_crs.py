import json
from pathlib import Path

import numpy as np
import pytest

from guotu.core.crs import (
    check_coordinates,
    epsg_of,
    gcj02_to_wgs84,
    gk3_epsg,
    gk3_info,
    gk3_zone,
    metric_epsg_for,
    wgs84_to_gcj02,
)
from guotu.core.errors import CRSError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "pinghu"


def test_pinghu_lies_in_zone_40_cm_120() -> None:
    assert gk3_zone(121.10) == 40
    assert gk3_zone(120.95) == 40
    assert metric_epsg_for(121.1) == 4549
    assert gk3_epsg(40, prefixed=True) == 4528
    info = gk3_info(4549)
    assert info is not None and info.central_meridian == 120 and not info.prefixed
    assert gk3_info(4528) == gk3_info(4528)
    assert gk3_info(4490) is None


def test_zone_outside_china_is_refused() -> None:
    with pytest.raises(CRSError):
        gk3_zone(10.0)


@pytest.mark.parametrize(
    ("coords", "epsg", "key"),
    [
        ([[605683.8, 3398841.7]], 4490, "crs.metres_for_degrees"),
        ([[30.70, 121.10]], 4490, "crs.axes_swapped_geographic"),
        ([[2.0, 48.8]], 4490, "crs.outside_china"),
        ([[121.10, 30.70]], 4549, "crs.degrees_for_metres"),
        ([[3398841.7, 605683.8]], 4549, "crs.axes_swapped_projected"),
        ([[40605683.8, 3398841.7]], 4549, "crs.zone_prefix_unexpected"),
        ([[605683.8, 3398841.7]], 4528, "crs.zone_prefix_missing"),
        ([[39605683.8, 3398841.7]], 4528, "crs.wrong_zone_prefix"),
        ([[3398841.7, 40605683.8]], 4528, "crs.axes_swapped_projected"),
    ],
)
def test_impossible_coordinates_are_named(coords: list[list[float]], epsg: int, key: str) -> None:
    with pytest.raises(CRSError) as err:
        check_coordinates(np.array(coords), epsg, source="site.txt", record="J1")
    assert err.value.key == key
    assert "site.txt" in err.value.message and "J1" in err.value.message


@pytest.mark.parametrize(
    ("coords", "epsg"),
    [([[121.1, 30.7]], 4490), ([[605683.8, 3398841.7]], 4549), ([[40605683.8, 3398841.7]], 4528)],
)
def test_plausible_coordinates_pass(coords: list[list[float]], epsg: int) -> None:
    check_coordinates(np.array(coords), epsg)


def test_suggested_prefixed_epsg_in_message() -> None:
    with pytest.raises(CRSError) as err:
        check_coordinates(np.array([[40605683.8, 3398841.7]]), 4549)
    assert "4528" in err.value.message


def test_epsg_of_reads_codes_and_prj_wkt() -> None:
    assert epsg_of("EPSG:4549") == 4549
    assert epsg_of(4490) == 4490
    from pyproj import CRS

    assert epsg_of(CRS.from_epsg(4549).to_wkt("WKT1_ESRI")) == 4549
    assert epsg_of(None) is None


def test_gcj02_inverse_round_trip_to_a_millimetre() -> None:
    rng = np.random.default_rng(1)
    wgs = np.column_stack([rng.uniform(120.9, 121.4, 500), rng.uniform(30.4, 30.9, 500)])
    back = gcj02_to_wgs84(wgs84_to_gcj02(wgs))
    assert np.abs(back - wgs).max() < 1e-8  # ≈ 1 mm


def test_gcj02_offset_at_pinghu_matches_the_measured_one() -> None:
    measured = json.loads((SHARED / "pinghu_measurements.json").read_text())["gcj_offset_at_pinghu_centroid"]
    gcj = wgs84_to_gcj02(np.array([measured["wgs_lonlat"]]))[0]
    assert gcj[0] - measured["wgs_lonlat"][0] == pytest.approx(measured["dlon_deg"], abs=2e-6)
    assert gcj[1] - measured["wgs_lonlat"][1] == pytest.approx(measured["dlat_deg"], abs=2e-6)


def test_no_offset_outside_china() -> None:
    paris = np.array([[2.35, 48.85]])
    assert np.array_equal(wgs84_to_gcj02(paris), paris)
