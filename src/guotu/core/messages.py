"""User-facing text, kept in message catalogs (``guotu/locale/*.toml``).

Every catalog file holds tables keyed by a dotted message key, each with a ``zh`` and an ``en``
template using ``str.format`` fields::

    [geometry.self_intersection]
    zh = "记录 {record}：多边形自相交，位置 {where}"
    en = "record {record}: polygon intersects itself at {where}"

All files in the folder are merged; a key defined twice is an error at load time. Chinese is the
default language; ``set_language("en")`` (or ``GUOTU_LANG=en`` read by the CLI) switches.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")
_language = "zh"


def set_language(language: str) -> None:
    """Choose the language of every message rendered afterwards (``zh`` or ``en``)."""
    global _language
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {LANGUAGES}")
    _language = language


def get_language() -> str:
    return _language


@cache
def catalog() -> dict[str, dict[str, str]]:
    """All message templates, merged from every ``locale/*.toml`` file."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("guotu") / "locale"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, texts in _flatten(data):
            if key in merged:
                raise RuntimeError(f"message key {key!r} defined twice (second time in {entry.name})")
            merged[key] = texts
    return merged


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, str]]]:
    out: list[tuple[str, dict[str, str]]] = []
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict) and "zh" in value and isinstance(value["zh"], str):
            out.append((full, {lang: str(value[lang]) for lang in LANGUAGES if lang in value}))
        elif isinstance(value, dict):
            out.extend(_flatten(value, full + "."))
    return out


class Text:
    """A message kept as its key and parameters, rendered in the language of the message it fills in.

    Use it for a parameter that is itself catalog text, so an error reads well in both languages:

    >>> tr("geometry.problem", language="en", source="a.txt", record=1, where="—",
    ...    problem=Text("geometry.kind.spike"))[:40]
    'a.txt record 1: spike (an edge doubles b'
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params

    def render(self, language: str | None = None) -> str:
        return tr(self.key, language=language, **self.params)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.key!r})"


def tr(key: str, language: str | None = None, **params: Any) -> str:
    """Render message ``key`` with ``params`` in ``language`` (default: the current language).

    >>> tr("units.negative_area", area=-1.0, language="en")
    'area cannot be negative: -1.0 m²'
    """
    texts = catalog().get(key)
    if texts is None:
        raise KeyError(f"no message {key!r} in the catalogs")
    template = texts.get(language or _language) or texts["zh"]
    params = {k: v.render(language) if isinstance(v, Text) else v for k, v in params.items()}
    return template.format(**params)
