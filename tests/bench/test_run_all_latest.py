"""``bench/run_all.py --summary`` reads the newest result of each benchmark, whatever the files' times."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_newest_result_is_chosen_by_its_date_not_its_file_time(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop("run_all", None)
    import run_all

    monkeypatch.setattr(run_all, "RESULTS", tmp_path)
    for day in ("2026-11-27", "2026-11-26", "2026-11-25"):  # the oldest written last
        (tmp_path / f"review-{day}.json").write_text(json.dumps({"day": day}))
    for path in tmp_path.iterdir():  # a checkout sets file times as it likes: here the oldest run looks newest
        t = 1_700_000_000 + (100 if "11-25" in path.name else 0)
        os.utime(path, (t, t))
    assert run_all.latest("review") == {"day": "2026-11-27"}
    (tmp_path / "review-2026-11-27.json").write_text(json.dumps({"day": "2026-11-27", "run": 2}))
    assert run_all.latest("review") == {"day": "2026-11-27", "run": 2}
    assert run_all.latest("tiles") is None
