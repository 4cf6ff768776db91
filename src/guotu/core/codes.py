"""Land-classification code tables, each tied to the edition of the document that defines it.

Two editions are packaged (``guotu/data/<edition>.csv``, documented in ``guotu/data/CODES.md``):

* ``ydyh-2023``: 《国土空间调查、规划、用途管制用地用海分类指南》 (自然资发〔2023〕234号), three levels:
  24 first-level classes (2-digit codes), 111 second-level (4-digit) and 40 third-level (6-digit);
* ``gbt21010-2017``: GB/T 21010-2017《土地利用现状分类》, two levels: 12 first-level and 73 second-level.

A code means nothing without its edition (``0303`` is 灌木林地 in one and 红树林地 in the other), so a
code is stored qualified, as ``edition:code``.

>>> table = load_edition("ydyh-2023")
>>> table.by_code("0101")
LandClass(edition='ydyh-2023', code='0101', name='水田', level=2, parent='01')
>>> table.by_name(" 河流水面 ").code
'1701'
>>> [str(c) for c in table.ancestors("070101")]
['07 居住用地', '0701 城镇住宅用地']
>>> qualified("gbt21010-2017", "0303")
'gbt21010-2017:0303'
>>> parse_qualified("gbt21010-2017:0303").name
'红树林地'
>>> category(load_edition("gbt21010-2017").by_code("1006"))
'agricultural'

Unknown editions, codes and names raise :class:`~guotu.core.errors.CodeError`:

>>> try:
...     table.by_code("9999")
... except CodeError as error:
...     print(error.key, error.params["code"])
codes.unknown_code 9999
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

from guotu.core.errors import CodeError, FormatError
from guotu.core.messages import get_language, tr

__all__ = [
    "CATEGORIES",
    "CSV_HEADER",
    "EDITIONS",
    "EDITION_TITLES",
    "Category",
    "CodeTable",
    "LandClass",
    "category",
    "category_label",
    "is_construction",
    "is_farmland",
    "load_edition",
    "parse_qualified",
    "qualified",
]

EDITIONS: tuple[str, ...] = ("ydyh-2023", "gbt21010-2017")
"""The packaged editions, newest first."""

EDITION_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "ydyh-2023": "国土空间调查、规划、用途管制用地用海分类指南（自然资发〔2023〕234号）",
        "gbt21010-2017": "土地利用现状分类（GB/T 21010-2017）",
    }
)
"""The Chinese title of the document behind each edition."""

CSV_HEADER: tuple[str, ...] = ("code", "name", "level", "parent")

QUALIFIER_SEPARATOR = ":"

Category = Literal["agricultural", "construction", "unused"]
CATEGORIES: tuple[Category, ...] = ("agricultural", "construction", "unused")
"""The three categories of 《土地管理法》 第四条: 农用地, 建设用地, 未利用地."""

_CODE_PATTERN = re.compile(r"\d{2}(?:\d{2}){0,2}")

# GB/T 21010-2017 附录A 表A.1 “土地利用现状分类与《中华人民共和国土地管理法》‘三大类’对照表”,
# as applied in 第三次全国国土调查. Every second-level class belongs to exactly one category; the
# first-level classes 04, 10, 11 and 12 are split across categories. See guotu/data/CODES.md.
_GBT21010_2017_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        **dict.fromkeys(
            (
                "0101", "0102", "0103",  # 耕地
                "0201", "0202", "0203", "0204",  # 园地
                "0301", "0302", "0303", "0304", "0305", "0306", "0307",  # 林地
                "0401", "0402", "0403",  # 天然牧草地、沼泽草地、人工牧草地
                "1006",  # 农村道路
                "1103", "1104", "1107",  # 水库水面、坑塘水面、沟渠
                "1202", "1203",  # 设施农用地、田坎
            ),
            "agricultural",
        ),
        **dict.fromkeys(
            (
                "0501", "0502", "0503", "0504", "0505", "0506", "0507",  # 商服用地
                "0601", "0602", "0603", "0604",  # 工矿仓储用地
                "0701", "0702",  # 住宅用地
                "0801", "0802", "0803", "0804", "0805",
                "0806", "0807", "0808", "0809", "0810",  # 公共管理与公共服务用地
                "0901", "0902", "0903", "0904", "0905", "0906",  # 特殊用地
                "1001", "1002", "1003", "1004", "1005", "1007", "1008", "1009",  # 交通运输用地（除农村道路）
                "1109",  # 水工建筑用地
                "1201",  # 空闲地
            ),
            "construction",
        ),
        **dict.fromkeys(
            (
                "0404",  # 其他草地
                "1101", "1102", "1105", "1106", "1108", "1110",  # 河流、湖泊、滩涂、沼泽地、冰川
                "1204", "1205", "1206", "1207",  # 盐碱地、沙地、裸土地、裸岩石砾地
            ),
            "unused",
        ),
    }
)  # fmt: skip

_CATEGORY_MAPS: Mapping[str, Mapping[str, Category]] = MappingProxyType(
    {"gbt21010-2017": _GBT21010_2017_CATEGORIES}
)


@dataclass(frozen=True, order=True, slots=True)
class LandClass:
    """One class of one edition. ``parent`` is ``None`` for a first-level class.

    >>> c = load_edition("gbt21010-2017").by_code("1101")
    >>> str(c), c.qualified, c.is_first_level
    ('1101 河流水面', 'gbt21010-2017:1101', False)
    """

    edition: str
    code: str
    name: str
    level: int
    parent: str | None

    @property
    def qualified(self) -> str:
        """The code with its edition, the form in which a code is stored: ``edition:code``."""
        return f"{self.edition}{QUALIFIER_SEPARATOR}{self.code}"

    @property
    def is_first_level(self) -> bool:
        return self.parent is None

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CodeTable:
    """All classes of one edition, with lookups by code and by name and the class hierarchy.

    Iteration is in code order, which lists every class right before its sub-classes.

    >>> table = load_edition("ydyh-2023")
    >>> len(table), table.counts()
    (175, {1: 24, 2: 111, 3: 40})
    >>> [c.code for c in table.children("06")]
    ['0601', '0602']
    >>> table.first_level("060102")
    LandClass(edition='ydyh-2023', code='06', name='农业设施建设用地', level=1, parent=None)
    """

    def __init__(self, edition: str, classes: Iterable[LandClass]) -> None:
        self.edition = edition
        by_code: dict[str, LandClass] = {}
        by_name: dict[str, LandClass] = {}
        for land_class in classes:
            if land_class.code in by_code:
                raise FormatError("codes.table.duplicate_code", edition=edition, code=land_class.code)
            if land_class.name in by_name:
                raise FormatError("codes.table.duplicate_name", edition=edition, name=land_class.name)
            by_code[land_class.code] = land_class
            by_name[land_class.name] = land_class
        children: dict[str, list[LandClass]] = {code: [] for code in by_code}
        for land_class in by_code.values():
            parent = land_class.parent
            if parent is None:
                continue
            if parent not in by_code or not land_class.code.startswith(parent):
                raise FormatError(
                    "codes.table.bad_parent", edition=edition, code=land_class.code, parent=parent
                )
            if by_code[parent].level != land_class.level - 1:
                raise FormatError(
                    "codes.table.bad_parent", edition=edition, code=land_class.code, parent=parent
                )
            children[parent].append(land_class)
        self._by_code = {code: by_code[code] for code in sorted(by_code)}
        self._by_name = by_name
        self._children = {code: tuple(sorted(kids)) for code, kids in children.items()}

    @property
    def title(self) -> str:
        """The Chinese title of the edition's document (empty for an unpackaged edition)."""
        return EDITION_TITLES.get(self.edition, "")

    def __iter__(self) -> Iterator[LandClass]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip() in self._by_code

    def __repr__(self) -> str:
        return f"CodeTable({self.edition!r}, {len(self)} classes)"

    def by_code(self, code: str) -> LandClass:
        """The class with ``code`` (surrounding whitespace ignored); :class:`CodeError` if none."""
        found = self._by_code.get(code.strip())
        if found is None:
            raise CodeError("codes.unknown_code", edition=self.edition, code=code)
        return found

    def get(self, code: str) -> LandClass | None:
        """The class with ``code``, or ``None``.

        >>> load_edition("gbt21010-2017").get("13") is None
        True
        """
        return self._by_code.get(code.strip())

    def by_name(self, name: str) -> LandClass:
        """The class whose name is exactly ``name`` (surrounding whitespace ignored).

        >>> load_edition("gbt21010-2017").by_name("红树林地").code
        '0303'
        """
        found = self._by_name.get(name.strip())
        if found is None:
            raise CodeError("codes.unknown_name", edition=self.edition, name=name)
        return found

    def children(self, code: str) -> tuple[LandClass, ...]:
        """The direct sub-classes of ``code``, in code order (empty for a class without any)."""
        return self._children[self.by_code(code).code]

    def descendants(self, code: str) -> tuple[LandClass, ...]:
        """All sub-classes of ``code`` at every level below it, in code order.

        >>> [c.code for c in load_edition("ydyh-2023").descendants("11")]
        ['1101', '110101', '110102', '110103', '1102']
        """
        out: list[LandClass] = []
        for child in self.children(code):
            out.append(child)
            out.extend(self.descendants(child.code))
        return tuple(out)

    def ancestors(self, code: str) -> tuple[LandClass, ...]:
        """The classes above ``code``, from its first-level class down to its direct parent."""
        chain: list[LandClass] = []
        parent = self.by_code(code).parent
        while parent is not None:
            land_class = self._by_code[parent]
            chain.append(land_class)
            parent = land_class.parent
        return tuple(reversed(chain))

    def first_level(self, code: str) -> LandClass:
        """The first-level class that ``code`` belongs to (itself if it is first-level)."""
        land_class = self.by_code(code)
        ancestors = self.ancestors(land_class.code)
        return ancestors[0] if ancestors else land_class

    def at_level(self, level: int) -> tuple[LandClass, ...]:
        """All classes of one level (1, 2 or 3), in code order."""
        return tuple(c for c in self if c.level == level)

    def counts(self) -> dict[int, int]:
        """The number of classes at each level present in the table."""
        out: dict[int, int] = {}
        for land_class in self:
            out[land_class.level] = out.get(land_class.level, 0) + 1
        return dict(sorted(out.items()))

    def to_csv(self) -> str:
        r"""The table as CSV text: header ``code,name,level,parent``, rows in code order, ``\n`` endings.

        >>> load_edition("gbt21010-2017").to_csv().splitlines()[:3]
        ['code,name,level,parent', '01,耕地,1,', '0101,水田,2,01']
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for c in self:
            writer.writerow((c.code, c.name, c.level, c.parent or ""))
        return buffer.getvalue()

    @classmethod
    def from_csv(cls, edition: str, text: str) -> CodeTable:
        """Read a table written as by :meth:`to_csv` (a leading byte-order mark is tolerated)."""
        reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
        header = next(reader, [])
        if tuple(header) != CSV_HEADER:
            raise FormatError(
                "codes.table.bad_header",
                edition=edition,
                expected=",".join(CSV_HEADER),
                found=",".join(header),
            )
        classes: list[LandClass] = []
        for row in reader:
            if not row:
                continue
            classes.append(_parse_row(edition, reader.line_num, row))
        return cls(edition, classes)


def _parse_row(edition: str, line: int, row: list[str]) -> LandClass:
    def bad() -> FormatError:
        return FormatError("codes.table.bad_row", edition=edition, line=line, row=",".join(row))

    if len(row) != len(CSV_HEADER):
        raise bad()
    code, name, level_text, parent = (field.strip() for field in row)
    if not _CODE_PATTERN.fullmatch(code) or not name or level_text != str(len(code) // 2):
        raise bad()
    level = int(level_text)
    if (level == 1) != (parent == ""):
        raise bad()
    return LandClass(edition=edition, code=code, name=name, level=level, parent=parent or None)


@cache
def _load(edition: str) -> CodeTable:
    text = (resources.files("guotu") / "data" / f"{edition}.csv").read_text(encoding="utf-8")
    return CodeTable.from_csv(edition, text)


def load_edition(edition: str) -> CodeTable:
    """The packaged table of ``edition`` (read once, then cached); :class:`CodeError` if unknown.

    >>> load_edition("gbt21010-2017").counts()
    {1: 12, 2: 73}
    >>> try:
    ...     load_edition("tdlyxz-1984")
    ... except CodeError as error:
    ...     print(error.key)
    codes.unknown_edition
    """
    name = edition.strip()
    if name not in EDITIONS:
        raise CodeError("codes.unknown_edition", edition=edition, available="、".join(EDITIONS))
    return _load(name)


def qualified(edition: str, code: str) -> str:
    """The stored form ``edition:code`` of a code, after checking that the edition defines it.

    >>> qualified("ydyh-2023", "1701")
    'ydyh-2023:1701'
    """
    return load_edition(edition).by_code(code).qualified


def parse_qualified(text: str) -> LandClass:
    """The class named by an ``edition:code`` string (a full-width colon ``：`` is accepted too).

    >>> parse_qualified(" ydyh-2023：0204 ").name
    '油料园地'
    >>> try:
    ...     parse_qualified("0101")
    ... except CodeError as error:
    ...     print(error.key)
    codes.bad_qualified
    """
    edition, separator, code = text.strip().replace("：", QUALIFIER_SEPARATOR).partition(QUALIFIER_SEPARATOR)
    if not separator or not edition.strip() or not code.strip():
        raise CodeError("codes.bad_qualified", text=text)
    return load_edition(edition).by_code(code)


def is_farmland(land_class: LandClass) -> bool:
    """Whether the class is 耕地 or one of its sub-classes (first-level ``01`` in both editions).

    >>> is_farmland(parse_qualified("ydyh-2023:0102")), is_farmland(parse_qualified("ydyh-2023:0201"))
    (True, False)
    """
    return land_class.code[:2] == "01"


def category(land_class: LandClass) -> Category:
    """The 三大类 of a class: ``"agricultural"`` (农用地), ``"construction"`` (建设用地) or ``"unused"``.

    Defined for ``gbt21010-2017`` only, from the standard's own correspondence table. A first-level
    class has a category only when all its sub-classes share it; otherwise :class:`CodeError`.

    >>> table = load_edition("gbt21010-2017")
    >>> [category(table.by_code(code)) for code in ("0102", "0701", "1109", "1101", "09")]
    ['agricultural', 'construction', 'construction', 'unused', 'construction']
    """
    categories = _categories_below(land_class)
    if len(categories) != 1:
        raise _mixed(land_class, categories)
    return categories[0]


def is_construction(land_class: LandClass) -> bool:
    """Whether the class is 建设用地 under the 三大类 (``gbt21010-2017`` only).

    A first-level class counts as construction when all its sub-classes are, and as not construction
    when none is; a first-level class with both (10 交通运输用地, 11, 12) raises :class:`CodeError`.

    >>> table = load_edition("gbt21010-2017")
    >>> is_construction(table.by_code("1004")), is_construction(table.by_code("1006"))
    (True, False)
    >>> is_construction(table.by_code("04"))
    False
    """
    categories = _categories_below(land_class)
    if "construction" not in categories:
        return False
    if len(categories) == 1:
        return True
    raise _mixed(land_class, categories)


def category_label(value: Category, language: str | None = None) -> str:
    """The display name of a category (Chinese by default).

    >>> category_label("unused"), category_label("unused", language="en")
    ('未利用地', 'unused land')
    """
    return tr(f"codes.category.{value}", language=language)


def _categories_below(land_class: LandClass) -> tuple[Category, ...]:
    """The categories of the class, or of its sub-classes for a first-level class, in CATEGORIES order."""
    mapping = _CATEGORY_MAPS.get(land_class.edition)
    if mapping is None:
        raise CodeError(
            "codes.no_category", edition=land_class.edition, supported="、".join(sorted(_CATEGORY_MAPS))
        )
    if land_class.code in mapping:
        return (mapping[land_class.code],)
    table = load_edition(land_class.edition)
    found = {mapping[c.code] for c in table.descendants(land_class.code) if c.code in mapping}
    if not found:
        raise CodeError("codes.unknown_code", edition=land_class.edition, code=land_class.code)
    return tuple(c for c in CATEGORIES if c in found)


def _mixed(land_class: LandClass, categories: tuple[Category, ...]) -> CodeError:
    separator = "、" if get_language() == "zh" else ", "
    return CodeError(
        "codes.mixed_category",
        code=land_class.code,
        name=land_class.name,
        categories=separator.join(category_label(c) for c in categories),
    )
