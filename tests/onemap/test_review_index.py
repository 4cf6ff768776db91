"""Warm reviews (guotu.onemap.review_index): the same answers as a one-shot review, and edits seen at once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from guotu.core.features import FeatureBatch
from guotu.onemap.compliance import review_json, review_site
from guotu.onemap.review_index import disable_warm_reviews, enable_warm_reviews, warm_indexes
from guotu.store import Store
from onemap.test_compliance import build, geo, metric, site

DAY = dt.date(2025, 1, 1)
SITES = [((1200, 200, 1300, 300),), ((900, 100, 1100, 200),), ((2100, 3100, 2200, 3200),),
         ((999.5, 100, 1099.5, 101),), ((100, 100, 200, 200), (2100, 100, 2200, 200)),
         ((-300, -300, 3300, 4300),), ((1733.3, 1234.5, 2461.7, 2999.9),)]


@pytest.fixture
def county(store: Store) -> Iterator[Store]:
    build(store)
    yield store
    disable_warm_reviews(store)


def review(store: Store, *boxes: tuple[float, float, float, float], day: dt.date = DAY) -> dict[str, Any]:
    return review_json(review_site(store, site(*boxes), date=day, source="site"))


def test_warm_reviews_equal_one_shot_reviews(county: Store) -> None:
    days = (dt.date(2020, 1, 1), dt.date(2024, 6, 27), dt.date(2024, 6, 28), DAY)
    cold = {(i, d): review(county, *boxes, day=d) for i, boxes in enumerate(SITES) for d in days}
    indexes = enable_warm_reviews(county)
    for (i, d), expected in cold.items():
        assert review(county, *SITES[i], day=d) == expected, (i, d)
    assert indexes.builds > 0 and indexes.memory() > 0


def test_the_index_is_built_once_and_reused(county: Store) -> None:
    indexes = enable_warm_reviews(county)
    review(county, (1200, 200, 1300, 300))
    built = indexes.builds
    assert built == 5  # one per reviewed layer
    for boxes in SITES:
        review(county, *boxes)
    assert indexes.builds == built


def test_a_new_feature_shows_at_the_next_review(county: Store) -> None:
    indexes = enable_warm_reviews(county)
    box = (1200, 200, 1300, 300)
    assert review(county, box)["control_lines"]["permanent_farmland"]["area_m2"] == 0.0
    built = indexes.builds
    with county.transaction("test") as tx:
        tx.write("permanent_farmland", FeatureBatch(geo(metric((1150, 150, 1350, 350))), {"name": ["新划农田"]}),
                 edition="B")
    after = review(county, box)
    assert after["control_lines"]["permanent_farmland"]["area_m2"] == 10000.0
    assert next(r for r in after["rules"] if r["id"] == "CL-PF-001")["verdict"] == "conflict"
    assert indexes.builds == built + 1  # only the edited layer was rebuilt
    disable_warm_reviews(county)
    assert review(county, box) == after


def test_an_updated_land_class_shows_at_the_next_review(county: Store) -> None:
    enable_warm_reviews(county)
    box = (100, 100, 200, 200)  # inside one 500 m survey cell of class 0101
    assert [g["group"] for g in review(county, box)["survey"]] == ["0101"]
    cells = county.read("survey", bbox=FeatureBatch(geo(metric(box))).bounds())
    (fid,) = [f for f, g in zip(cells.ids or [], cells.geometry, strict=True) if g.contains(geo(metric(box))[0])]
    with county.transaction("test") as tx:
        tx.update("survey", [fid], FeatureBatch(county.read("survey", fids=[fid]).geometry,
                                                {"land_class": ["0601"]}))
    doc = review(county, box)
    assert [(g["group"], g["area_m2"]) for g in doc["survey"]] == [("0601", 10000.0)]
    assert doc["farmland"]["area_m2"] == 0.0


def test_a_new_edition_and_a_dropped_layer_show_at_the_next_review(county: Store) -> None:
    enable_warm_reviews(county)
    box = (2100, 100, 2200, 200)  # in the red line
    assert review(county, box)["control_lines"]["eco_redline"]["area_m2"] == 10000.0
    with county.transaction("test") as tx:
        tx.add_edition("eco_redline", "C", valid_from=dt.date(2024, 12, 1))
        tx.write("eco_redline", FeatureBatch(geo(metric((2500, 0, 3000, 3000))), {"name": ["湿地"]}), edition="C")
    moved = review(county, box)
    assert moved["control_lines"]["eco_redline"]["area_m2"] == 0.0
    assert {e["name"] for e in moved["editions"] if e["layer"] == "eco_redline"} == {"C"}
    assert review(county, box, day=dt.date(2024, 11, 30))["control_lines"]["eco_redline"]["area_m2"] == 10000.0
    with county.transaction("test") as tx:
        tx.drop_layer("eco_redline")
    gone = review(county, box)
    assert gone["layers"]["eco_redline"] == {"loaded": False, "reason": "rules.layer_missing"}


def test_concurrent_warm_reviews_agree(county: Store) -> None:
    expected = {i: review(county, *boxes) for i, boxes in enumerate(SITES)}
    enable_warm_reviews(county)
    errors: list[str] = []

    def work() -> None:
        for _ in range(3):
            for i, boxes in enumerate(SITES):
                if review(county, *boxes) != expected[i]:
                    errors.append(f"site {i}")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_warm_reviews_are_opt_in(county: Store) -> None:
    assert warm_indexes(county) is None
    review(county, (1200, 200, 1300, 300))
    assert warm_indexes(county) is None
    assert enable_warm_reviews(county) is enable_warm_reviews(county)


def test_revisions_of_several_layers_in_one_query(county: Store) -> None:
    names = ["permanent_farmland", "survey", "no_such_layer"]
    many = county.revisions(names)  # type: ignore[attr-defined]
    assert many == {name: county.revision(name) for name in names}
    assert many["no_such_layer"] == 0 and many["survey"] > many["permanent_farmland"]
