"""The geometry policy, in one place: metric CRS, precision grid, tolerances.

No module chooses its own tolerance: validation, repair, overlay and the compliance review take them
from a :class:`GeometryPolicy`. Another county is another policy (its Gauss-Krüger zone).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from guotu.core.crs import CGCS2000


@dataclass(frozen=True)
class GeometryPolicy:
    """Tolerances and reference systems for every geometric operation.

    - ``storage_epsg``: CRS of stored geometries (CGCS2000 geographic).
    - ``metric_epsg``: the county's 3° Gauss-Krüger zone, where every area and overlay is computed.
    - ``grid_m``: the precision grid (metres) that repair snaps to; 0.1 mm keeps survey precision.
    - ``sliver_m2``: overlaps smaller than this are slivers (listed apart, never a conflict).
    - ``spike_angle_deg``: a vertex whose two edges meet at a smaller angle is a spike.
    """

    storage_epsg: int = CGCS2000
    metric_epsg: int = 4549
    grid_m: float = 0.0001
    sliver_m2: float = 1.0
    spike_angle_deg: float = 0.01

    def with_(self, **changes: object) -> GeometryPolicy:
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_POLICY = GeometryPolicy()
