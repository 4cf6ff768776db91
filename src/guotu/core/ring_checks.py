"""The ring checks of the geometry policy, as one compiled pass over every ring's coordinates.

For each ring ``xy[starts[r]:ends[r]]`` (closed: its last coordinate repeats its first):

- **duplicate points**: coordinate k equal to coordinate k + 1;
- **spikes**: after dropping the closing coordinate and the second of each pair of equal consecutive
  coordinates, a vertex whose two neighbours (cyclically) leave it at an angle under the policy's
  limit, in a ring that keeps at least three vertices.

Both lists come back in ring order, then coordinate order (duplicates and spikes separately).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

_I64 = npt.NDArray[np.int64]


def ring_defects(
    xy: npt.NDArray[np.float64], starts: _I64, ends: _I64, spike_angle_deg: float
) -> tuple[_I64, _I64, _I64, _I64]:
    """(ring, coordinate) of every duplicate point, then (ring, coordinate) of every spike."""
    xy = np.ascontiguousarray(xy, dtype=np.float64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    dup_ring, dup_at, spike_ring, spike_at = _defects(xy, starts, ends, float(spike_angle_deg))
    return dup_ring, dup_at, spike_ring, spike_at


@njit(cache=True, nogil=True)
def _defects(xy: Any, starts: Any, ends: Any, limit_deg: float) -> tuple[Any, Any, Any, Any]:
    longest = 0
    for r in range(len(starts)):
        longest = max(longest, ends[r] - starts[r])
    kept = np.empty(max(longest, 1), dtype=np.int64)
    narrow = limit_deg < 45.0
    margin = np.tan(np.radians(2.0 * limit_deg)) if narrow else 0.0
    dup_ring = []
    dup_at = []
    spike_ring = []
    spike_at = []
    for r in range(len(starts)):
        s, e = starts[r], ends[r]
        if e - s < 2:
            continue
        m = 0
        for k in range(s, e - 1):
            same_as_next = xy[k, 0] == xy[k + 1, 0] and xy[k, 1] == xy[k + 1, 1]
            if same_as_next:
                dup_ring.append(r)
                dup_at.append(k)
            if k == s or not (xy[k, 0] == xy[k - 1, 0] and xy[k, 1] == xy[k - 1, 1]):
                kept[m] = k
                m += 1
        if m < 3:
            continue
        for j in range(m):
            c = kept[j]
            p = kept[j - 1] if j > 0 else kept[m - 1]
            q = kept[j + 1] if j < m - 1 else kept[0]
            ax, ay = xy[p, 0] - xy[c, 0], xy[p, 1] - xy[c, 1]
            bx, by = xy[q, 0] - xy[c, 0], xy[q, 1] - xy[c, 1]
            cross = ax * by - ay * bx
            dot = 0.0 + ax * bx + ay * by  # +0.0 first: zero vectors give +0.0, as a numpy sum does
            # An angle under a limit below 45° needs dot ≥ 0 and |cross| ≤ tan(2 limit) dot (a margin);
            # only such vertices get the exact angle.
            if narrow and not (dot >= 0.0 and abs(cross) <= margin * dot):
                continue
            if abs(np.degrees(np.arctan2(cross, dot))) < limit_deg:
                spike_ring.append(r)
                spike_at.append(c)
    return (np.array(dup_ring, dtype=np.int64), np.array(dup_at, dtype=np.int64),
            np.array(spike_ring, dtype=np.int64), np.array(spike_at, dtype=np.int64))
