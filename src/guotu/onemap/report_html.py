"""The compliance review as a self-contained, printable HTML page (Chinese by default).

Built from the same JSON document as ``guotu check --json`` (figures already rounded), with every
piece of text escaped: site names and attributes come from users' files.
"""

from __future__ import annotations

from html import escape
from typing import Any

from guotu.core.messages import tr
from guotu.onemap.compliance import CONTROL_LINES, Review, review_json

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:60em;color:#222;line-height:1.5}
h1{font-size:1.5em;text-align:center;margin-bottom:.2em}
.meta{text-align:center;color:#555;margin-bottom:1.5em}
h2{font-size:1.15em;border-bottom:1px solid #999;padding-bottom:.2em;margin-top:1.5em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f0f0f0}
.v-pass{color:#176b2c}.v-attention{color:#9a6700}.v-conflict{color:#b3261e;font-weight:bold}
.verdict{font-size:1.2em;margin-top:1.5em}
.small{color:#555;font-size:.9em}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
"""


def render_html(review: Review, language: str | None = None) -> str:
    doc = review_json(review, language)
    lang = language or "zh"

    def t(key: str, **params: Any) -> str:
        return escape(tr(key, language=language, **params))

    def e(value: Any) -> str:
        return escape(str(value))

    def verdict(v: str) -> str:
        return f'<span class="v-{e(v)}">{t(f"verdict.{v}")}</span>'

    m2, mu, pct = t("report.html.area_m2"), t("report.html.area_mu"), t("report.html.percent")

    def figures(label: str, fig: dict[str, Any]) -> str:
        return (f"<tr><td>{label}</td><td class=n>{fig['area_m2']:.2f}</td><td class=n>{fig['area_mu']:.4f}</td>"
                f"<td class=n>{fig.get('percent', 0.0):.2f}</td></tr>")

    head = f"<tr><th></th><th>{m2}</th><th>{mu}</th><th>{pct}</th></tr>"
    number = iter("一二三四五六七八九十" if lang == "zh" else "123456789")

    def section(key: str, **params: Any) -> str:
        return f"<h2>{t('report.numbered', number=next(number), title=tr(key, language=language, **params))}</h2>"

    out = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
           f"<title>{t('report.title')}</title><style>{_CSS}</style></head><body>",
           f"<h1>{t('report.title')}</h1>",
           f'<p class="meta">{t("report.header", date=doc["date"], source=doc["source"])}</p>',
           "<p>" + t("report.site", count=len(doc["features"]), area_m2=f"{doc['site_area_m2']:.2f}",
                     area_mu=f"{doc['site_area_mu']:.4f}") + "</p>"]
    out.append(section("report.section_lines"))
    out.append(f"<table>{head}")
    for name in CONTROL_LINES:
        line = doc["control_lines"][name]
        label = t(f"layer.{name}")
        if line["loaded"]:
            out.append(figures(label, line))
        else:
            res = review.layers.get(name)
            reason = (res.reason if res else None) or "rules.layer_missing"
            out.append(f"<tr><td>{label}</td><td colspan=3>{t(reason, layer=name)}</td></tr>")
    out.append("</table>")
    for key, items, with_code in (("report.section_zones", doc["zones"], False),
                                  ("report.section_survey", doc["survey"], True)):
        out.append(section(key))
        if items:
            out.append(f"<table>{head}")
            out += [figures(e(f"{g['group']} {g['label']}" if with_code else g["label"]), g) for g in items]
            out.append("</table>")
        else:
            out.append(f"<p>{t('report.none')}</p>")
    if len(doc["features"]) > 1:
        out.append(section("report.section_features"))
        out.append(f"<table>{head}")
        for f in doc["features"]:
            out.append(figures(e(f"{f['id']} {f['label']}"), f))
        out.append("</table>")
    out.append(section("report.section_rules"))
    rule_head = "<tr>" + "".join(f"<th>{t(f'report.html.{k}')}</th>" for k in ("verdict", "rule", "detail", "basis"))
    rule_head += "</tr>"
    out.append(f"<table>{rule_head}")
    for r in doc["rules"]:
        out.append(f"<tr><td>{verdict(r['verdict'])}</td><td>{e(r['id'])} v{e(r['version'])}<br>{e(r['title'])}</td>"
                   f"<td>{e(r['detail'])}</td><td class=small>{e(r['basis'])}</td></tr>")
    out.append("</table>")
    out.append(section("report.section_slivers", tolerance=review.policy.sliver_m2))
    if doc["slivers"]:
        out.append("<ul>")
        for s in doc["slivers"]:
            text = t("report.sliver", layer=s["layer"], feature=s["feature"], group=s["group"],
                     site_feature=s["site_feature"], area_m2=f"{s['area_m2']:.4f}")
            out.append(f"<li>{text.strip()}</li>")
        out.append("</ul>")
    else:
        out.append(f"<p>{t('report.none')}</p>")
    out.append(section("report.section_editions"))
    if doc["editions"]:
        out.append("<ul>")
        for ed in doc["editions"]:
            approved = tr("report.html.approved", language=language, day=ed["approved_on"]) if ed["approved_on"] else ""
            out.append("<li>" + t("report.edition", layer=tr(f"layer.{ed['layer']}", language=language),
                                  name=ed["name"], status=tr(f"edition_status.{ed['status']}", language=language),
                                  valid_from=ed["valid_from"], approved=approved).strip() + "</li>")
        out.append("</ul>")
    else:
        out.append(f"<p>{t('report.none')}</p>")
    out.append(f'<p class="verdict">{t("report.verdict", verdict="@@")}</p>'.replace("@@", verdict(doc["verdict"])))
    out.append(f'<p class="small">{t("report.rounding", rule=doc["rounding"])}</p>')
    out.append(f'<p class="small">guotu {e(doc["guotu_version"])}</p></body></html>')
    return "\n".join(out) + "\n"
