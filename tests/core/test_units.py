import math

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from guotu.core.errors import InputError
from guotu.core.geometry import area_m2
from guotu.core.units import (
    area_figure,
    m2_to_mu,
    mu_to_m2,
    report_m2,
    report_mu,
    report_percent,
    round_half_up,
)


def test_hundred_metre_square_in_epsg4549_is_exactly_15_mu() -> None:
    square = shapely.box(605000.0, 3398000.0, 605100.0, 3398100.0)
    area = float(area_m2(np.array([square]), 4549)[0])
    assert area == 10000.0
    assert m2_to_mu(area) == 15.0
    assert report_mu(area) == 15.0


def test_one_mu_is_ten_thousand_fifteenths_of_a_square_metre() -> None:
    assert mu_to_m2(1.0) == pytest.approx(10000.0 / 15.0, rel=1e-15)
    assert report_mu(10000.0 / 15.0) == 1.0


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_mu_round_trip(m2: float) -> None:
    assert mu_to_m2(m2_to_mu(m2)) == pytest.approx(m2, rel=1e-12, abs=1e-9)


def test_rounding_is_half_up_not_bankers() -> None:
    assert round_half_up(0.125, 2) == 0.13  # banker's rounding would give 0.12
    assert round_half_up(2.5, 0) == 3.0
    assert report_m2(1234.565) == 1234.57
    assert report_percent(1, 3) == 33.33


def test_mu_is_derived_from_unrounded_square_metres() -> None:
    m2 = 0.004  # rounds to 0.00 m² but is 0.0000 mu only after its own rounding
    assert report_m2(m2) == 0.0
    assert report_mu(66.6666) == round_half_up(66.6666 * 15 / 10000, 4)


def test_negative_area_is_refused() -> None:
    with pytest.raises(InputError) as err:
        report_m2(-5.0)
    assert "-5.0" in err.value.message
    assert report_m2(-1e-12) == 0.0  # floating-point noise is clamped


def test_area_figure_has_percent_of_whole() -> None:
    fig = area_figure(2500.0, 10000.0)
    assert fig == {"area_m2": 2500.0, "area_mu": 3.75, "percent": 25.0}
    assert not math.isnan(fig["area_mu"])
