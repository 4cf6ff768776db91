"""Compliance review (合规性审查) of project sites against the plans in force on a date.

The review measures, in the county's metric zone, how each site feature overlaps each control line,
each planning zone and each survey land class; overlaps smaller than the policy's sliver tolerance are
listed apart and never count as conflicts; then every rule of :mod:`guotu.onemap.rules` gives its
verdict. The result records the editions and rule versions used, so it can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

import guotu
from guotu.core.codes import category, is_farmland, load_edition
from guotu.core.crs import CGCS2000
from guotu.core.errors import CodeError, InputError, NotFoundError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import MIN_CHUNK, GeomArray, overlay, require_valid, to_metric
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import ROUNDING_RULE_EN, ROUNDING_RULE_ZH
from guotu.onemap.review_index import warm_indexes
from guotu.onemap.rule_engine import Rule, load_rules, worst
from guotu.store.base import Edition, Store

CONTROL_LINES = ("permanent_farmland", "eco_redline", "dev_boundary")
SITE_NAME_FIELDS = ("name", "名称", "地块名称", "project", "site_no", "parcel_no")


@dataclass(frozen=True)
class ReviewLayer:
    """A layer the review measures: a control line, the zones, or the survey (grouped by a field)."""

    name: str
    kind: str  # "control_line" | "zones" | "survey"
    group_field: str | None = None
    label_field: str | None = None


DEFAULT_LAYERS = (
    *(ReviewLayer(n, "control_line") for n in CONTROL_LINES),
    ReviewLayer("zones", "zones", "zone_type", "zone_name"),
    ReviewLayer("survey", "survey", "land_class", "land_class_name"),
)


@dataclass
class GroupArea:
    """Overlap of the whole site with one group (a line, a zone type, a land class)."""

    group: str
    label: str
    area_m2: float
    features: list[int] = field(default_factory=list)
    category: str | None = None


@dataclass
class LayerResult:
    """What the review measured of one layer. ``area_m2`` is the overlap with the whole layer (the
    union of its pieces), computed when first read: the rules and the report read it for the control
    lines only."""

    layer: str
    kind: str
    loaded: bool
    reason: str | None
    sliver_m2: float = 0.0
    groups: list[GroupArea] = field(default_factory=list)
    editions: list[Edition] = field(default_factory=list)
    area_of: Callable[[], float] | None = field(default=None, repr=False, compare=False)
    _area_m2: float | None = field(default=None, repr=False, compare=False)

    @property
    def area_m2(self) -> float:
        if self._area_m2 is None:
            self._area_m2 = self.area_of() if self.area_of is not None else 0.0
        return self._area_m2

    @area_m2.setter
    def area_m2(self, value: float) -> None:
        self._area_m2 = value


@dataclass(frozen=True)
class Sliver:
    layer: str
    site_feature: Any
    feature: int
    group: str
    area_m2: float


@dataclass
class SiteFeature:
    id: Any
    label: str
    area_m2: float
    overlaps: dict[str, list[GroupArea]] = field(default_factory=dict)


@dataclass
class RuleResult:
    rule: Rule
    verdict: str
    key: str
    params: dict[str, Any]


@dataclass
class Review:
    """The measured facts of one review and the rules' verdicts on them."""

    date: dt.date
    source: str
    policy: GeometryPolicy
    site_area_m2: float
    features: list[SiteFeature]
    layers: dict[str, LayerResult]
    slivers: list[Sliver]
    pieces: Mapping[str, FeatureBatch] = field(default_factory=dict)
    rules: list[RuleResult] = field(default_factory=list)

    # The view rules read (see the rule modules).
    @property
    def control_lines(self) -> dict[str, LayerResult]:
        return {k: v for k, v in self.layers.items() if v.kind == "control_line"}

    @property
    def zones(self) -> list[GroupArea]:
        return [g for v in self.layers.values() if v.kind == "zones" for g in v.groups]

    def missing(self, layer: str) -> str | None:
        """Why ``layer`` could not be reviewed (a message key), or None when it was."""
        result = self.layers.get(layer)
        if result is None:
            return "rules.layer_missing"
        return None if result.loaded else (result.reason or "rules.layer_missing")

    @property
    def survey(self) -> list[GroupArea]:
        return [g for v in self.layers.values() if v.kind == "survey" for g in v.groups]

    @property
    def farmland_m2(self) -> float:
        return sum(g.area_m2 for g in self.survey if g.category == "farmland")

    @property
    def verdict(self) -> str:
        return worst([r.verdict for r in self.rules])


def review_site(
    store: Store,
    site: FeatureBatch,
    *,
    date: dt.date | None = None,
    policy: GeometryPolicy = DEFAULT_POLICY,
    layers: tuple[ReviewLayer, ...] = DEFAULT_LAYERS,
    source: str = "",
) -> Review:
    """Review ``site`` (any CRS) against ``store`` as of ``date`` (default today)."""
    day = date or dt.date.today()
    if len(site) == 0:
        raise InputError("compliance.empty_site", source=source)
    require_valid(site, source, policy)
    types = set(shapely.get_type_id(site.geometry).tolist())
    if not types <= {3, 6}:
        raise InputError("compliance.site_not_polygon", source=source)
    site_geo = site.to_epsg(CGCS2000)
    site_m = to_metric(site.geometry, site.epsg, policy)
    site_areas = shapely.area(site_m)
    site_union = shapely.union_all(site_m)
    site_area = float(shapely.area(site_union))
    if site_area <= 0:
        raise InputError("compliance.zero_area", source=source)
    x0, y0, x1, y1 = site_geo.bounds()
    pad = 1e-6
    bbox = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    features = [
        SiteFeature(site.record_id(i), _label(site, i), float(site_areas[i])) for i in range(len(site))
    ]
    results: dict[str, LayerResult] = {}
    slivers: list[Sliver] = []
    pieces_out: dict[str, Callable[[], FeatureBatch]] = {}
    # A server keeps the layers warm (guotu.onemap.review_index); a GeoPackage in the middle of a
    # transaction is read directly (its audit ids, hence revisions, can be reused after a rollback).
    indexes = None if getattr(store, "_in_tx", False) else warm_indexes(store)
    revisions = store.revisions([spec.name for spec in layers]) if indexes is not None else {}
    for spec in layers:
        revision = revisions.get(spec.name, 0)
        if indexes is not None:
            editions: list[Edition] | None = indexes.editions(spec.name, revision)
        else:
            try:
                editions = store.editions(spec.name)
            except NotFoundError:
                editions = None
        if editions is None:
            results[spec.name] = LayerResult(spec.name, spec.kind, False, "rules.layer_missing")
            continue
        in_force = [e for e in editions if e.in_force(day)]
        if editions and not in_force:
            results[spec.name] = LayerResult(spec.name, spec.kind, False, "rules.no_edition_in_force")
            continue
        if indexes is not None:
            index = indexes.layer(spec, revision, in_force, day, policy)
            batch, rows = index.candidates(site_m, bbox)
            with index.lock:
                result, layer_slivers, pieces = _measure(spec, batch, site_m, features, policy,
                                                         index.disjoint(rows))
        else:
            batch = store.read(spec.name, bbox=bbox, as_of=day)
            result, layer_slivers, pieces = _measure(spec, batch, site_m, features, policy)
        result.editions = in_force
        results[spec.name] = result
        slivers += layer_slivers
        pieces_out[spec.name] = pieces
    review = Review(day, source, policy, site_area, features, results, slivers, LazyPieces(pieces_out))
    for rule in load_rules():
        finding = rule.evaluate(review)
        review.rules.append(RuleResult(rule, finding.verdict, finding.key, finding.params))
    return review


def _label(site: FeatureBatch, i: int) -> str:
    for name in SITE_NAME_FIELDS:
        values = site.attributes.get(name)
        if values and values[i] not in (None, ""):
            return str(values[i])
    return str(site.record_id(i))


def _measure(
    spec: ReviewLayer, batch: FeatureBatch, site_m: np.ndarray, features: list[SiteFeature],
    policy: GeometryPolicy, disjoint: npt.NDArray[np.bool_] | None = None,
) -> tuple[LayerResult, list[Sliver], Callable[[], FeatureBatch]]:
    """Overlaps of the site with ``batch``; the pieces come back as a function cutting them (metric zone).

    ``disjoint`` flags the features of ``batch`` known to share no interior with any other feature of
    the layer: the pieces of one site feature with such features do not overlap, so the area of their
    union is the sum of their areas (no GEOS union needed).
    """
    layer_m = to_metric(batch.geometry, batch.epsg, policy)
    # Areas first (the overlay's area kernel); the pieces themselves are cut only when something needs
    # them: a union of pieces that may overlap, or the overlaps drawn on a map.
    ov = overlay(site_m, layer_m, workers=None if len(layer_m) > MIN_CHUNK else 1)
    # Pairs by (site feature, feature): the order of slivers and pieces does not depend on the
    # STRtree's traversal, so a warm review and a bounding-box read list them alike.
    order = np.lexsort((ov.right, ov.left))
    left_all, right_all, area_all = ov.left[order], ov.right[order], ov.area_m2[order]
    groups = _groups(spec, batch)
    keys = np.asarray(groups[0], dtype=object)
    group_of = keys[right_all] if len(right_all) else np.empty(0, dtype=object)
    sliver = area_all < policy.sliver_m2
    ids = np.asarray(batch.ids or [], dtype=np.int64)
    slivers = [
        Sliver(spec.name, features[int(left_all[k])].id, int(ids[int(right_all[k])]), str(group_of[k]),
               float(area_all[k]))
        for k in np.flatnonzero(sliver)
    ]
    keep = ~sliver
    result = LayerResult(spec.name, spec.kind, True, None)
    result.sliver_m2 = float(area_all[sliver].sum())
    cut: list[GeomArray] = []

    def pieces_geometry() -> GeomArray:
        if not cut:
            cut.append(shapely.intersection(site_m[left_all[keep]], layer_m[right_all[keep]]))
        return cut[0]

    pieces_group = group_of[keep]
    pieces_left = left_all[keep]
    pieces_fid = ids[right_all[keep]]
    pieces_area = area_all[keep]
    pieces_clean = (np.zeros(len(pieces_area), dtype=bool) if disjoint is None
                    else np.asarray(disjoint, dtype=bool)[right_all[keep]])
    labels, cats = groups[1], groups[2]
    unions: dict[bytes, float] = {}

    def union_area(mask: npt.NDArray[np.bool_]) -> float:
        # The same pieces give the same union: a one-feature site's figures per feature, per group
        # and for the whole layer are often one union, computed once.
        key = np.packbits(mask).tobytes()
        if key not in unions:
            if pieces_clean[mask].all() and len(set(pieces_left[mask].tolist())) <= 1:
                unions[key] = float(pieces_area[mask].sum())
            else:
                unions[key] = float(shapely.area(shapely.union_all(pieces_geometry()[mask])))
        return unions[key]

    for g in sorted(set(pieces_group.tolist())):
        mask = pieces_group == g
        fids = sorted(set(pieces_fid[mask].tolist()))
        result.groups.append(GroupArea(g, labels.get(g, g), union_area(mask), fids, cats.get(g)))
        for i in sorted(set(pieces_left[mask].tolist())):
            sub = mask & (pieces_left == i)
            sub_fids = sorted(set(pieces_fid[sub].tolist()))
            features[i].overlaps.setdefault(spec.name, []).append(
                GroupArea(g, labels.get(g, g), union_area(sub), sub_fids, cats.get(g)))
    result.groups.sort(key=lambda ga: -ga.area_m2)
    if len(pieces_area):
        result.area_of = lambda: union_area(np.ones(len(pieces_area), dtype=bool))

    def pieces() -> FeatureBatch:
        return FeatureBatch(
            pieces_geometry(),
            {"group": [str(g) for g in pieces_group],
             "site_feature": [str(features[int(i)].id) for i in pieces_left],
             "feature": [int(f) for f in pieces_fid]},
            {"group": "TEXT", "site_feature": "TEXT", "feature": "INTEGER"}, policy.metric_epsg,
        )

    return result, slivers, pieces


class LazyPieces(Mapping[str, FeatureBatch]):
    """The overlap pieces of each layer, cut and moved to CGCS2000 only when read (for drawing on a map:
    the review's figures come from the overlay's areas and need no piece)."""

    def __init__(self, metric: dict[str, Callable[[], FeatureBatch]]) -> None:
        self._metric = metric
        self._geo: dict[str, FeatureBatch] = {}

    def __getitem__(self, layer: str) -> FeatureBatch:
        if layer not in self._geo:
            self._geo[layer] = self._metric[layer]().to_epsg(CGCS2000)
        return self._geo[layer]

    def __iter__(self) -> Iterator[str]:
        return iter(self._metric)

    def __len__(self) -> int:
        return len(self._metric)


def _groups(spec: ReviewLayer, batch: FeatureBatch) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Group key of each feature, the display label of each key, and the farmland category."""
    n = len(batch)
    if spec.group_field is None or spec.group_field not in batch.attributes:
        return [spec.name] * n, {}, {}
    keys = ["" if v is None else str(v) for v in batch.attributes[spec.group_field]]
    label_values = batch.attributes.get(spec.label_field or "", [None] * n)
    labels: dict[str, str] = {}
    cats: dict[str, str] = {}
    for k, lab in zip(keys, label_values, strict=True):
        if k not in labels:
            labels[k] = str(lab) if lab not in (None, "") else k
    if spec.kind == "survey":
        editions = batch.attributes.get("land_class_edition", ["gbt21010-2017"] * n)
        for k, ed in zip(keys, editions, strict=True):
            if k in cats:
                continue
            found = _land_class(str(ed or "gbt21010-2017"), k)
            if found is None:
                cats[k] = "unknown"
                continue
            if labels.get(k) == k:
                labels[k] = found[0]
            cats[k] = found[1]
    return keys, labels, cats


@functools.lru_cache(maxsize=4096)
def _land_class(edition: str, code: str) -> tuple[str, str] | None:
    """The name and review category (farmland, a 三大类 category, or unknown) of a land class; None
    when the edition has no such code. The code tables are data files: fixed while guotu runs."""
    try:
        cls = load_edition(edition).by_code(code)
    except CodeError:
        return None
    if is_farmland(cls):
        return cls.name, "farmland"
    try:
        return cls.name, category(cls)
    except CodeError:
        return cls.name, "unknown"


def review_json(review: Review, language: str | None = None) -> dict[str, Any]:
    """The JSON document of ``guotu check --json`` and ``POST /api/compliance`` (figures rounded)."""
    from guotu.core.units import area_figure

    whole = review.site_area_m2

    def groups(items: list[GroupArea], base: float) -> list[dict[str, Any]]:
        return [{"group": g.group, "label": g.label, **({"category": g.category} if g.category else {}),
                 **area_figure(g.area_m2, base), "features": g.features} for g in items]

    control_lines = {}
    for name in CONTROL_LINES:
        res = review.layers.get(name)
        area = res.area_m2 if res else 0.0
        control_lines[name] = {
            **area_figure(area, whole),
            "loaded": bool(res and res.loaded),
            "features": [f for g in (res.groups if res else []) for f in g.features],
            "sliver_area_m2": area_figure(res.sliver_m2)["area_m2"] if res else 0.0,
        }
    zones = next((r for r in review.layers.values() if r.kind == "zones"), None)
    survey = next((r for r in review.layers.values() if r.kind == "survey"), None)
    return {
        "guotu_version": guotu.__version__,
        "date": review.date.isoformat(),
        "source": review.source,
        "verdict": review.verdict,
        "site_area_m2": area_figure(whole)["area_m2"],
        "site_area_mu": area_figure(whole)["area_mu"],
        "control_lines": control_lines,
        "zones": groups(zones.groups, whole) if zones else [],
        "survey": groups(survey.groups, whole) if survey else [],
        "farmland": area_figure(review.farmland_m2, whole),
        "features": [
            {"id": f.id, "label": f.label, **area_figure(f.area_m2),
             "overlaps": {layer: groups(items, f.area_m2) for layer, items in f.overlaps.items()}}
            for f in review.features
        ],
        "rules": [
            {"id": r.rule.id, "version": r.rule.version, "title": r.rule.title(language),
             "verdict": r.verdict, "detail": _detail(r, language), "basis": r.rule.basis(language),
             "layers": list(r.rule.layers)}
            for r in review.rules
        ],
        "slivers": [
            {"layer": s.layer, "site_feature": s.site_feature, "feature": s.feature, "group": s.group,
             "area_m2": s.area_m2}
            for s in review.slivers
        ],
        "editions": [
            e.as_dict() for res in review.layers.values() for e in res.editions
        ],
        "layers": {name: {"loaded": r.loaded, "reason": r.reason} for name, r in review.layers.items()},
        "policy": {"metric_epsg": review.policy.metric_epsg, "sliver_m2": review.policy.sliver_m2,
                   "storage_epsg": review.policy.storage_epsg},
        "rounding": ROUNDING_RULE_ZH if (language or "zh") == "zh" else ROUNDING_RULE_EN,
    }


def _detail(result: RuleResult, language: str | None) -> str:
    from guotu.core.messages import tr

    return tr(result.key, language=language, **result.params)
