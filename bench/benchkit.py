"""What every benchmark script shares: the machine it ran on, and writing its results."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine(**extra: Any) -> dict[str, Any]:
    """Python, platform, CPU, shapely/GEOS, and whatever the caller adds (peer tools' versions)."""
    import shapely

    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "cpu": cpu, "shapely": shapely.__version__, "geos": shapely.geos_version_string, **extra}


def write_results(kind: str, seed: int, rows: list[dict[str, Any]]) -> Path:
    """``results/<kind>-<date>.json`` with the machine, the seed and the rows; its path."""
    return save_report(f"{kind}-{dt.date.today().isoformat()}", {
        "benchmark": kind, "date": dt.datetime.now(dt.UTC).isoformat(), "seed": seed, "machine": machine(),
        "results": rows})


def save_report(name: str, report: dict[str, Any]) -> Path:
    """``results/<name>.json`` holding ``report``; its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return out
