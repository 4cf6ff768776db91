"""Area units and the one rounding rule for reported figures.

1 mu (亩) = 10000 / 15 m² exactly; 1 ha (公顷) = 10000 m² = 15 mu.

**Rounding rule.** Areas are computed unrounded, in m², in the county's projected CGCS2000
Gauss-Krüger zone. Every other unit is derived from the *unrounded* m² figure, and only the reported
figure is rounded, half away from zero (ROUND_HALF_UP on the decimal value): m² to 2 decimals,
mu and ha to 4 decimals, percentages to 2 decimals. Sums are formed from unrounded parts and rounded
once.

>>> m2_to_mu(10000.0)
15.0
>>> report_mu(666.6666666)
1.0
>>> report_m2(0.125)
0.13
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from guotu.core.errors import InputError

M2_PER_MU = 10000.0 / 15.0
M2_PER_HA = 10000.0

DECIMALS_M2 = 2
DECIMALS_MU = 4
DECIMALS_HA = 4
DECIMALS_PERCENT = 2

ROUNDING_RULE_ZH = (
    "面积在CGCS2000高斯-克吕格3度带投影坐标系下以平方米计算；亩＝平方米×15÷10000，公顷＝平方米÷10000，"
    "均由未取舍的平方米值换算；报告值四舍五入：平方米保留2位小数，亩和公顷保留4位小数，百分比保留2位小数。"
)
ROUNDING_RULE_EN = (
    "Areas are computed in m² in the CGCS2000 3-degree Gauss-Krüger zone; mu = m² × 15 / 10000 and "
    "ha = m² / 10000, both from the unrounded m²; reported values are rounded half-up: m² to 2 decimals, "
    "mu and ha to 4, percentages to 2."
)


def m2_to_mu(m2: float) -> float:
    """Square metres to mu: m² × 15 / 10000."""
    return m2 * 15.0 / 10000.0


def mu_to_m2(mu: float) -> float:
    """Mu to square metres: mu × 10000 / 15."""
    return mu * 10000.0 / 15.0


def m2_to_ha(m2: float) -> float:
    return m2 / M2_PER_HA


def ha_to_m2(ha: float) -> float:
    return ha * M2_PER_HA


def round_half_up(value: float, decimals: int) -> float:
    """Round half away from zero on the decimal representation (not banker's rounding).

    >>> round_half_up(2.675, 2)  # the float 2.675 prints as 2.675, so it rounds up
    2.68
    >>> round_half_up(-0.5, 0)
    -1.0
    """
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def check_area(m2: float) -> float:
    """Refuse a negative or non-finite area (tiny negative noise from floating point is clamped)."""
    if m2 != m2 or m2 in (float("inf"), float("-inf")):
        raise InputError("units.not_finite", area=m2)
    if m2 < 0:
        if m2 > -1e-9:
            return 0.0
        raise InputError("units.negative_area", area=m2)
    return m2


def report_m2(m2: float) -> float:
    return round_half_up(check_area(m2), DECIMALS_M2)


def report_mu(m2: float) -> float:
    """The reported mu figure for an unrounded area in m²."""
    return round_half_up(m2_to_mu(check_area(m2)), DECIMALS_MU)


def report_ha(m2: float) -> float:
    return round_half_up(m2_to_ha(check_area(m2)), DECIMALS_HA)


def report_percent(part_m2: float, whole_m2: float) -> float:
    """Percentage of ``part`` in ``whole``, rounded; 0 when the whole is empty."""
    if whole_m2 <= 0:
        return 0.0
    return round_half_up(100.0 * part_m2 / whole_m2, DECIMALS_PERCENT)


def format_m2(m2: float) -> str:
    """The reported m² figure as text with its fixed decimals ("1234.50")."""
    return f"{report_m2(m2):.{DECIMALS_M2}f}"


def format_mu(m2: float) -> str:
    """The reported mu figure of an area in m² as text with its fixed decimals ("1.8518")."""
    return f"{report_mu(m2):.{DECIMALS_MU}f}"


def area_figure(m2: float, whole_m2: float | None = None) -> dict[str, float]:
    """The reported triple used in every report: ``area_m2``, ``area_mu`` (and ``percent`` of a whole)."""
    out = {"area_m2": report_m2(m2), "area_mu": report_mu(m2)}
    if whole_m2 is not None:
        out["percent"] = report_percent(m2, whole_m2)
    return out
