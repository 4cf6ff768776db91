"""The Dask engine of the grouped overlay: the same answer as the local engine, on a dask.distributed cluster.

The left layer is cut into spatially compact partitions (rows in Hilbert order of their bounding-box
centres, ``rows_per_partition`` rows each, at least two per worker thread) and each partition is sent
to one worker; the right layer is sent to every worker once, as WKB with its bounds and group codes.
Each task decodes the right rows whose bounds meet its partition's bounds (fresh geometries per task,
so GEOS preparation is never shared between threads), runs guotu's own kernel
(:func:`guotu.core.grouped_overlay.grouped_areas`) and returns a small matrix of m² per (left group,
right group); the client adds the matrices up. Geometries never come back.

``dask`` and ``distributed`` are imported only here, and only when a cluster is used (extra
``cluster``). With no scheduler address, a ``LocalCluster`` of 2 single-thread worker processes runs
on this machine.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.errors import InputError
from guotu.core.geometry import GeomArray, hilbert_order
from guotu.core.grouped_overlay import AreaMatrix, Codes, grouped_areas

LOCAL_WORKERS = 2
ROWS_PER_PARTITION = 25_000
@dataclass(frozen=True)
class ClusterInfo:
    """Where an overlay ran: the scheduler's address, its workers and threads, the partitions."""

    scheduler: str
    workers: int
    threads: int
    partitions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"name": "dask", "scheduler": self.scheduler, "workers": self.workers, "threads": self.threads,
                "partitions": self.partitions}


class _Packed:
    """Geometries that travel as one WKB array (fast to pickle) and are decoded once where they land."""

    def __init__(self, geoms: GeomArray, codes: Codes) -> None:
        self.geoms = geoms
        self.codes = codes

    def __getstate__(self) -> dict[str, Any]:
        return {"wkb": shapely.to_wkb(self.geoms), "codes": self.codes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.geoms = shapely.from_wkb(state["wkb"])
        self.codes = state["codes"]


class _RightLayer:
    """The right layer as WKB, bounds and codes: each task decodes only the rows it needs."""

    def __init__(self, geoms: GeomArray, codes: Codes) -> None:
        self.wkb = shapely.to_wkb(geoms)
        self.bounds = shapely.bounds(geoms)
        self.codes = codes

    def near(self, box: npt.NDArray[np.float64]) -> tuple[GeomArray, Codes]:
        b = self.bounds
        hit = np.flatnonzero((b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1]))
        return shapely.from_wkb(self.wkb[hit]), self.codes[hit]


def _partition_areas(part: _Packed, right: _RightLayer, shape: tuple[int, int]) -> AreaMatrix:
    """One task: the partition's grouped areas against the right rows near it."""
    if len(part.geoms) == 0:
        return np.zeros(shape)
    box = np.asarray(shapely.total_bounds(part.geoms), dtype=np.float64)
    near, near_codes = right.near(box)
    return grouped_areas(part.geoms, near, part.codes, near_codes, shape, workers=1)


def partition_count(rows: int, threads: int, rows_per_partition: int = ROWS_PER_PARTITION) -> int:
    """Enough partitions to keep every worker thread busy, each at most ``rows_per_partition`` rows.

    >>> partition_count(2_000_000, 2), partition_count(200_000, 2), partition_count(3_000, 2)
    (80, 8, 4)
    """
    return max(1, min(rows, max(math.ceil(rows / rows_per_partition), 2 * threads)))


@contextmanager
def dask_client(scheduler: str | None, timeout_s: float = 10.0) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler``, or on a new LocalCluster of 2 workers if None/empty.

    An unreachable or malformed address raises ``InputError("cluster.unreachable")`` naming it; the
    client (and the local cluster) are closed on the way out, whatever happens.
    """
    try:
        distributed: Any = import_module("distributed")  # untyped, and heavy: only when a cluster is used
    except ImportError as exc:
        raise InputError("cluster.not_installed", detail=str(exc)) from exc
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    if scheduler:
        try:
            protocol, location = distributed.comm.parse_address(scheduler)
            if protocol in ("tcp", "tls"):  # a malformed address would leave a half-built Client behind
                distributed.comm.parse_host_port(location, 8786)
            client = Client(scheduler, timeout=timeout_s, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            raise InputError("cluster.unreachable", address=scheduler, timeout=f"{timeout_s:g}",
                             detail=str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        try:
            yield client
        finally:
            client.close()
        return
    # One thread per worker process, the area kernel's too: two workers with a kernel thread per core
    # each would fight over the same cores (docs/cluster.md says the same for real workers).
    cluster = LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR, env={"NUMBA_NUM_THREADS": "1"})
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def cluster_info(client: Any) -> ClusterInfo:
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return ClusterInfo(str(client.scheduler.address), len(workers),
                       sum(int(w.get("nthreads", 1)) for w in workers.values()))


class DaskOverlay:
    """The left layer loaded on a cluster (partitioned, spread over the workers), ready to overlay.

    ``load`` sends a right layer to every worker once; ``run`` overlays it, as often as asked.
    """

    def __init__(self, client: Any, left: GeomArray, left_codes: Codes, left_groups: int,
                 rows_per_partition: int = ROWS_PER_PARTITION) -> None:
        self.client = client
        self.left_groups = left_groups
        info = cluster_info(client)
        if info.workers == 0:
            raise InputError("cluster.no_workers", address=info.scheduler)
        left = np.asarray(left, dtype=object)
        codes = np.asarray(left_codes)
        order = hilbert_order(shapely.bounds(left))
        count = partition_count(len(left), info.threads, rows_per_partition) if len(left) else 0
        parts = [_Packed(left[ix], codes[ix]) for ix in (np.array_split(order, count) if count else [])]
        self.info = ClusterInfo(info.scheduler, info.workers, info.threads, len(parts))
        self.parts = client.scatter(parts) if parts else []
        self._loaded: list[Any] = []

    def load(self, right: GeomArray, right_codes: Codes, right_groups: int) -> tuple[Any, tuple[int, int]]:
        """Send a right layer to every worker; the handle to pass to ``run``."""
        future = self.client.scatter(_RightLayer(np.asarray(right, dtype=object), np.asarray(right_codes)),
                                     broadcast=True)
        self._loaded.append(future)
        return future, (self.left_groups, right_groups)

    def run(self, handle: tuple[Any, tuple[int, int]]) -> AreaMatrix:
        """m² per (left group, right group), summed over the partitions."""
        right, shape = handle
        futures = [self.client.submit(_partition_areas, p, right, shape, pure=False) for p in self.parts]
        total = np.zeros(shape)
        for result in self.client.gather(futures):  # in partition order: the same sum on every run
            total += result
        return total

    def release(self) -> None:
        self.client.cancel([*self.parts, *self._loaded])


def grouped_areas_dask(
    client: Any, left: GeomArray, right: GeomArray, left_codes: Codes, right_codes: Codes,
    shape: tuple[int, int],
) -> tuple[AreaMatrix, ClusterInfo]:
    """The Dask engine: :func:`grouped_areas` of the whole layers, computed partition by partition."""
    job = DaskOverlay(client, left, left_codes, shape[0])
    try:
        return job.run(job.load(right, right_codes, shape[1])), job.info
    finally:
        job.release()
