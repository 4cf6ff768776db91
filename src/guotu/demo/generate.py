"""Build the seeded, deterministic demo county: Pinghu (330482) with invented but plausible layers.

>>> county = build_demo(seed=1, patches=1500)
>>> list(county.layers)
['survey', 'permanent_farmland', 'eco_redline', 'dev_boundary', 'zones', 'towns', 'sites']
>>> county.layers["towns"].batch.attributes["town_name"][0], len(county.layers["sites"].batch)
('当湖街道', 12)

The same ``seed`` and ``patches`` give identical geometries (WKB) and attributes: every random
draw comes from ``numpy.random.default_rng`` streams derived from the seed, in a fixed order. The
landscape (rivers, roads, villages, town cores) depends on the seed only, so ``patches`` sets the
survey's resolution, not the county it shows. Layers are returned in memory, in EPSG:4490; areas
are not stored (compute them in the metric zone, EPSG:4549, when needed).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from guotu.core.codes import load_edition
from guotu.core.crs import CGCS2000
from guotu.core.features import FeatureBatch
from guotu.demo.boundary import ADCODE
from guotu.demo.landscape import load_frame, make_landscape
from guotu.demo.landuse import EDITION, classify
from guotu.demo.model import LAYER_ORDER, TITLES_ZH, DemoCounty, DemoLayer
from guotu.demo.plans import (
    ADJUSTED_TOWN,
    ADJUSTMENT_NOTE,
    EDITION_A,
    EDITION_B,
    dev_layer,
    draw_lines,
    eco_layer,
    farmland_layer,
    town_layer,
    zone_layer,
)
from guotu.demo.sites import make_sites
from guotu.demo.survey import tessellate
from guotu.demo.towns import TOWN_CODES, TOWN_NOTE

DEFAULT_SEED = 2024
DEFAULT_PATCHES = 20_000
MIN_PATCHES = 1_000
MAX_PATCHES = 990_000  # patch numbers have six digits (a few cells fall apart into extra patches)

# One random stream per stage, so that changing one stage does not reshuffle the others.
_STREAMS = {"landscape": 1, "points": 2, "landuse": 3, "lines": 4, "sites": 5}


def _rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[stage]])


def build_demo(seed: int = DEFAULT_SEED, patches: int = DEFAULT_PATCHES) -> DemoCounty:
    """The demo county with about ``patches`` survey patches (1 000 to 990 000)."""
    if not MIN_PATCHES <= patches <= MAX_PATCHES:
        raise ValueError(f"patches must lie between {MIN_PATCHES} and {MAX_PATCHES}, not {patches}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, not {seed}")
    frame = load_frame()
    land = make_landscape(_rng(seed, "landscape"), frame)
    tess = tessellate(_rng(seed, "points"), frame, land, patches)
    use = classify(_rng(seed, "landuse"), frame, land, tess)
    lines = draw_lines(_rng(seed, "lines"), frame, land, tess, use)

    survey = FeatureBatch(
        tess.geoms,
        {
            "patch_no": [f"{ADCODE}-{k:06d}" for k in range(1, len(tess) + 1)],
            "land_class": use.code.tolist(),
            "land_class_name": _names(use.code),
            "land_class_edition": [EDITION] * len(tess),
            "town_code": np.array(TOWN_CODES)[use.town].tolist(),
        },
        dict.fromkeys(("patch_no", "land_class", "land_class_name", "land_class_edition", "town_code"), "TEXT"),
        CGCS2000,
    )
    farmland, farmland_editions = farmland_layer(tess, use, lines)
    eco, eco_editions = eco_layer(tess, lines)
    dev, dev_editions = dev_layer(tess, use, lines)
    zones, zone_editions = zone_layer(tess, use, lines)
    layers = {
        "survey": DemoLayer("survey", TITLES_ZH["survey"], survey),
        "permanent_farmland": DemoLayer("permanent_farmland", TITLES_ZH["permanent_farmland"], farmland,
                                        farmland_editions),
        "eco_redline": DemoLayer("eco_redline", TITLES_ZH["eco_redline"], eco, eco_editions),
        "dev_boundary": DemoLayer("dev_boundary", TITLES_ZH["dev_boundary"], dev, dev_editions),
        "zones": DemoLayer("zones", TITLES_ZH["zones"], zones, zone_editions),
        "towns": DemoLayer("towns", TITLES_ZH["towns"], town_layer(tess, use, frame)),
        "sites": DemoLayer("sites", TITLES_ZH["sites"], make_sites(_rng(seed, "sites"), frame, land, tess, use, lines)),
    }  # fmt: skip
    assert tuple(layers) == LAYER_ORDER
    notes = {
        "data": "示意数据：县界取自 DataV（GCJ-02 已转换为 CGCS2000），图斑、控制线、规划分区和项目均为随机生成，"
        "面积不得作为官方数据引用。",
        "towns": TOWN_NOTE,
        "editions": f"{EDITION_B.name}相对于{EDITION_A.name}的唯一调整：{ADJUSTED_TOWN}城镇开发边界新增一处。"
        f"{ADJUSTMENT_NOTE}。",
    }
    return DemoCounty(seed, patches, frame.boundary, layers, notes)


def _names(codes: npt.NDArray[np.str_]) -> list[str]:
    """The GB/T 21010-2017 name of each code."""
    table = load_edition(EDITION)
    distinct, inverse = np.unique(codes, return_inverse=True)
    names = np.array([table.by_code(str(c)).name for c in distinct], dtype=object)
    return names[inverse].tolist()  # type: ignore[no-any-return]
