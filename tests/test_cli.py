"""The command-line contract, end to end on a small demo county (subprocesses, as administrators run it)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
import shapely

from guotu.store.gpkg import GpkgStore

LAYERS = ["survey", "permanent_farmland", "eco_redline", "dev_boundary", "zones", "towns", "sites"]


def guotu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guotu.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    r = guotu("demo", "--out", str(out), "--patches", "3000", "--seed", "7")
    assert r.returncode == 0, r.stderr
    return out


def site_file(demo: Path, case: str, tmp: Path, suffix: str = ".txt") -> Path:
    out = tmp / f"{case}{suffix}"
    r = guotu("export", "--db", str(demo), "--layer", "sites", "--where", f"demo_case={case}", "--limit", "1",
              "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_demo_layers_are_named_by_the_glossary_and_readable_by_gdal(demo: Path) -> None:
    layers = {str(name): kind for name, kind in pyogrio.list_layers(demo)}
    for name in LAYERS:
        assert layers[name] is not None, name
        info = pyogrio.read_info(demo, layer=name)
        assert info["crs"] == "EPSG:4490"
        assert info["features"] > 0


def test_demo_is_identical_for_the_same_seed(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.gpkg"
    assert guotu("demo", "--out", str(again), "--patches", "3000", "--seed", "7").returncode == 0
    other = tmp_path / "other.gpkg"
    assert guotu("demo", "--out", str(other), "--patches", "3000", "--seed", "8").returncode == 0

    def content(path: Path) -> dict[str, object]:
        s = GpkgStore(path)
        try:
            names = [info.name for info in s.layers()]  # the plan layers and the demo ledger (ledger_*)
            assert set(LAYERS) < set(names)
            out: dict[str, object] = {}
            for name in names:
                b = s.read(name)
                out[name] = (shapely.to_wkb(b.geometry).tolist(), b.attributes, b.editions)
            out["editions"] = [[e.as_dict() for e in s.editions(n)] for n in LAYERS]
            return out
        finally:
            s.close()

    assert content(demo) == content(again)
    assert content(demo) != content(other)


def test_check_json_contract(demo: Path, tmp_path: Path) -> None:
    site = site_file(demo, "crosses_permanent_farmland", tmp_path)
    r = guotu("check", str(site), "--db", str(demo), "--date", "2025-01-01", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["site_area_m2"] > 0 and doc["site_area_mu"] == pytest.approx(doc["site_area_m2"] * 15 / 10000, abs=1e-4)
    for line in ("permanent_farmland", "eco_redline", "dev_boundary"):
        assert set(doc["control_lines"][line]) >= {"area_m2", "area_mu", "percent"}
    assert doc["control_lines"]["permanent_farmland"]["area_m2"] > 0
    assert {"id", "verdict", "basis"} <= set(doc["rules"][0])
    pf = next(x for x in doc["rules"] if x["id"] == "CL-PF-001")
    assert pf["verdict"] == "conflict"
    assert {e["layer"] for e in doc["editions"]} >= {"permanent_farmland", "eco_redline", "dev_boundary"}
    assert all(e["name"] for e in doc["editions"])


def test_check_text_report_is_chinese(demo: Path, tmp_path: Path) -> None:
    site = site_file(demo, "inside_dev_boundary", tmp_path, ".geojson")
    r = guotu("check", str(site), "--db", str(demo), "--date", "2025-01-01")
    assert r.returncode == 0, r.stderr
    assert "建设项目用地合规性审查报告" in r.stdout and "总体结论" in r.stdout


def test_site_inside_the_boundary_passes_the_boundary_rule(demo: Path, tmp_path: Path) -> None:
    site = site_file(demo, "inside_dev_boundary", tmp_path, ".geojson")
    doc = json.loads(guotu("check", str(site), "--db", str(demo), "--date", "2025-01-01", "--json").stdout)
    assert doc["control_lines"]["dev_boundary"]["percent"] == 100.0
    assert next(x for x in doc["rules"] if x["id"] == "CL-DB-001")["verdict"] == "pass"


def test_review_date_switches_the_edition(demo: Path, tmp_path: Path) -> None:
    site = site_file(demo, "inside_edition_b_addition", tmp_path, ".gpkg")
    before = json.loads(guotu("check", str(site), "--db", str(demo), "--date", "2024-06-27", "--json").stdout)
    after = json.loads(guotu("check", str(site), "--db", str(demo), "--date", "2024-06-28", "--json").stdout)
    assert before["control_lines"]["dev_boundary"]["percent"] < after["control_lines"]["dev_boundary"]["percent"]
    assert after["control_lines"]["dev_boundary"]["percent"] == 100.0
    assert {e["name"] for e in before["editions"]} != {e["name"] for e in after["editions"]}


def test_import_then_layers(demo: Path, tmp_path: Path) -> None:
    site = site_file(demo, "crosses_eco_redline", tmp_path, ".geojson")
    db = tmp_path / "county.gpkg"
    r = guotu("import", str(site), "--db", str(db), "--layer", "my_sites", "--create")
    assert r.returncode == 0, r.stderr
    listing = json.loads(guotu("layers", "--db", str(db), "--json").stdout)
    assert [x["name"] for x in listing] == ["my_sites"] and listing[0]["count"] == 1


def test_codes_as_csv() -> None:
    for edition, first_level in (("ydyh-2023", 24), ("gbt21010-2017", 12)):
        r = guotu("codes", edition)
        assert r.returncode == 0
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        assert list(rows[0]) == ["code", "name", "level", "parent"]
        assert sum(1 for x in rows if x["level"] == "1") == first_level
    r = guotu("codes", "nope")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("kind", "good", "bad", "reason"),
    [
        ("id", "11010519491231002X", "110105194912310021", "校验"),
        ("uscc", "91350100M000100Y43", "91350100M000100Y44", "校验"),
        ("unit", "340123002004GB00011F00010001", "340123002004GK00011F00010001", "GK"),
    ],
)
def test_validate_exit_codes(kind: str, good: str, bad: str, reason: str) -> None:
    ok = guotu("validate", kind, good)
    assert ok.returncode == 0, ok.stderr
    no = guotu("validate", kind, bad)
    assert no.returncode == 1
    assert reason in no.stderr and "Traceback" not in no.stderr


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    r = guotu("check", str(tmp_path / "none.txt"), "--db", str(tmp_path / "none.gpkg"))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = guotu("--lang", "en", "check", str(tmp_path / "none.txt"), "--db", str(tmp_path / "none.gpkg"))
    assert "does not exist" in r.stderr


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(demo: Path) -> None:
    # `guotu ledger records --json | head -1`: the reader closes the pipe after one line, long before the
    # ~150 kB of records (more than a pipe buffer) are written.
    proc = subprocess.Popen([sys.executable, "-m", "guotu.cli", "ledger", "records", "--db", str(demo), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "内部错误" not in err and "Traceback" not in err


def test_the_command_loads_pyogrio_without_its_data_frame_dependencies() -> None:
    # The bench and cluster extras install geopandas, pandas and pyarrow; pyogrio would import them all
    # (about a second) although guotu only uses its numpy API. They stay importable afterwards.
    code = (
        "import sys\n"
        "from guotu.cli import _load_pyogrio_lean\n"
        "_load_pyogrio_lean()\n"
        "import pyogrio.raw\n"
        "print(sorted(m for m in ('geopandas', 'pandas', 'pyarrow') if m in sys.modules))\n"
        "import pandas\n"
        "print(pandas.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "pandas"]
