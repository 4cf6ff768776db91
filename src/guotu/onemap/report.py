"""The compliance review as a readable report for the terminal (Chinese by default)."""

from __future__ import annotations

from typing import Any

from guotu.core.messages import tr
from guotu.onemap.compliance import CONTROL_LINES, Review, review_json


def render_text(review: Review, language: str | None = None) -> str:
    doc = review_json(review, language)
    t = _Tr(language)
    whole = doc["site_area_m2"]
    lines = [t("report.title"), "=" * 40, t("report.header", date=doc["date"], source=doc["source"]),
             t("report.site", count=len(doc["features"]), area_m2=f"{whole:.2f}",
               area_mu=f"{doc['site_area_mu']:.4f}"), ""]
    section = _Sections(t)
    lines.append(section("report.section_lines"))
    for name in CONTROL_LINES:
        line = doc["control_lines"][name]
        label = t(f"layer.{name}")
        if not line["loaded"]:
            reason = review.layers[name].reason if name in review.layers else "rules.layer_missing"
            lines.append(t("report.not_loaded", label=label, reason=t(reason or "rules.layer_missing", layer=name)))
        else:
            lines.append(_row(t, label, line))
    lines += ["", section("report.section_zones")]
    lines += [_row(t, g["label"], g) for g in doc["zones"]] or [t("report.none")]
    lines += ["", section("report.section_survey")]
    lines += [_row(t, f"{g['group']} {g['label']}", g) for g in doc["survey"]] or [t("report.none")]
    if len(doc["features"]) > 1:
        lines += ["", section("report.section_features")]
        for f in doc["features"]:
            lines.append(t("report.feature", id=f["id"], label=f["label"], area_m2=f"{f['area_m2']:.2f}",
                           area_mu=f"{f['area_mu']:.4f}"))
            for name in CONTROL_LINES:
                for g in f["overlaps"].get(name, []):
                    lines.append("  " + _row(t, t(f"layer.{name}"), g))
    lines += ["", section("report.section_rules")]
    for r in doc["rules"]:
        lines.append(t("report.rule", verdict=t(f"verdict.{r['verdict']}"), id=r["id"], version=r["version"],
                       title=r["title"], detail=r["detail"], basis=r["basis"]))
    lines += ["", section("report.section_slivers", tolerance=review.policy.sliver_m2)]
    lines += [t("report.sliver", layer=_layer_label(t, s["layer"]), feature=s["feature"], group=s["group"],
                site_feature=s["site_feature"], area_m2=f"{s['area_m2']:.4f}")
              for s in doc["slivers"]] or [t("report.none")]
    lines += ["", section("report.section_editions")]
    for e in doc["editions"]:
        approved = f"，{e['approved_on']} 批准" if e["approved_on"] and (language or "zh") == "zh" else (
            f", approved {e['approved_on']}" if e["approved_on"] else "")
        lines.append(t("report.edition", layer=t(f"layer.{e['layer']}"), name=e["name"],
                       status=t(f"edition_status.{e['status']}"), valid_from=e["valid_from"], approved=approved))
    if not doc["editions"]:
        lines.append(t("report.none"))
    lines += ["", t("report.verdict", verdict=t(f"verdict.{doc['verdict']}")),
              t("report.rounding", rule=doc["rounding"])]
    return "\n".join(lines) + "\n"


def _layer_label(t: _Tr, layer: str) -> str:
    return t(f"layer.{layer}") if layer in (*CONTROL_LINES, "zones", "survey") else layer


def _row(t: _Tr, label: str, figure: dict[str, Any]) -> str:
    return t("report.row", label=label, area_m2=f"{figure['area_m2']:.2f}", area_mu=f"{figure['area_mu']:.4f}",
             percent=f"{figure.get('percent', 0.0):.2f}")


class _Sections:
    """Numbered section titles (一、二、… in Chinese; 1. 2. … in English), numbered as they appear."""

    NUMERALS = "一二三四五六七八九十"

    def __init__(self, t: _Tr) -> None:
        self.t = t
        self.count = 0

    def __call__(self, key: str, **params: Any) -> str:
        self.count += 1
        zh = (self.t.language or "zh") == "zh"
        number = self.NUMERALS[self.count - 1] if zh else str(self.count)
        return self.t("report.numbered", number=number, title=self.t(key, **params))


class _Tr:
    def __init__(self, language: str | None) -> None:
        self.language = language

    def __call__(self, key: str, **params: Any) -> str:
        return tr(key, language=self.language, **params)
