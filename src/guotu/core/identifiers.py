"""Validation, parsing and formatting of three Chinese identifiers.

* **Resident identity number** (公民身份号码, GB 11643-1999): 18 characters, ISO 7064 MOD 11-2
  check character.
* **Unified social credit code** (统一社会信用代码, GB 32100-2015): 18 characters from a
  31-character set, with the GB 11714 organisation code and its own check character inside.
* **Real-estate unit code** (不动产单元代码, GB/T 37346-2019《不动产单元设定与代码编制规则》):
  28 characters in four levels (county, cadastral district and sub-district, parcel, fixture).

Everything here is pure: a ``parse_*`` function either returns a frozen dataclass with the parts
or raises :class:`~guotu.core.errors.IdentifierError` whose message (``locale/identifiers.toml``)
names the value, the part, its position and what was expected.

Input is normalised before it is checked: Unicode NFKC (so full-width ``３３０`` and ``ＧＢ`` become
ASCII), all whitespace removed, letters upper-cased. Positions in messages are 1-based and refer to
the normalised value.

>>> parse_resident_id("11010519491231002x", today=date(2024, 1, 1)).sex
'female'
>>> parse_credit_code("914403001922038216").institution_type_name
'企业'
>>> parse_unit_code("340123 002004 GB00011 F00010001").pretty()
'340123 002004 GB00011 F00010001'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final, Literal, overload

from guotu.core.errors import IdentifierError

__all__ = [
    "CREDIT_CODE_CHARSET",
    "EARLIEST_BIRTH_DATE",
    "FIXTURE_TYPES",
    "ID_PROVINCE_CODES",
    "KINDS",
    "OWNERSHIP_TYPES",
    "PARCEL_TYPES",
    "PROVINCE_CODES",
    "REGISTRATION_AUTHORITIES",
    "CreditCode",
    "ResidentId",
    "UnitCode",
    "credit_code_check_char",
    "format_unit_code",
    "mask_resident_id",
    "organization_code_check_char",
    "parse_credit_code",
    "parse_resident_id",
    "parse_unit_code",
    "resident_id_check_char",
    "validate",
]

_DIGITS: Final = "0123456789"

#: Province-level codes of GB/T 2260 (first two digits of a six-digit division code).
PROVINCE_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
        "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
        "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
        "36": "江西省", "37": "山东省",
        "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
        "46": "海南省",
        "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
        "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
        "65": "新疆维吾尔自治区",
        "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
    }
)  # fmt: skip

#: Province codes accepted in an identity number: GB/T 2260 plus 83, used (with 810000 and
#: 820000) in the numbers of residence permits for Hong Kong, Macao and Taiwan residents
#: (港澳台居民居住证, 2018), which follow the GB 11643 format.
ID_PROVINCE_CODES: Final[frozenset[str]] = frozenset(PROVINCE_CODES) | {"83"}


def _clean(text: str) -> str:
    """NFKC-normalise, drop all whitespace and upper-case ``text``."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


# --------------------------------------------------------------------------------------------
# Resident identity number (GB 11643-1999)
# --------------------------------------------------------------------------------------------

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"  # indexed by (weighted sum mod 11)
EARLIEST_BIRTH_DATE: Final = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A valid 18-character resident identity number, split into its parts.

    ``sequence`` is the three-digit order code (顺序码); its parity gives ``sex``
    (odd: male, even: female). ``check`` is the check character, ``0``–``9`` or ``X``.
    """

    value: str
    address_code: str
    birth_date: date
    sequence: str
    sex: Literal["male", "female"]
    check: str

    @property
    def province_code(self) -> str:
        return self.address_code[:2]

    @property
    def masked(self) -> str:
        """The number masked for display (see :func:`mask_resident_id`)."""
        return _mask(self.value)


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits.

    >>> resident_id_check_char("11010519491231002")   # example of GB 11643-1999
    'X'
    >>> resident_id_check_char("44052418800101001")   # the other example of the standard
    '4'
    """
    if len(first17) != 17 or any(c not in _DIGITS for c in first17):
        raise ValueError(f"need exactly 17 ASCII digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _check_id_form(value: str) -> None:
    """Length and character checks shared by parsing and masking."""
    if len(value) != 18:
        raise IdentifierError("identifiers.id_length", value=value, length=len(value))
    for position, char in enumerate(value[:17], start=1):
        if char not in _DIGITS:
            raise IdentifierError("identifiers.id_char", value=value, position=position, char=char)
    if value[17] not in _DIGITS + "X":
        raise IdentifierError("identifiers.id_check_char_form", value=value, char=value[17])


def parse_resident_id(text: str, *, today: date | None = None) -> ResidentId:
    """Validate an 18-character resident identity number and split it into its parts.

    A lower-case ``x`` is accepted and normalised to ``X``. The birth date must be a real
    calendar date, not before 1900-01-01 and not after ``today`` (default: the system date).

    >>> rid = parse_resident_id("11010519491231002x", today=date(2024, 1, 1))
    >>> rid.value, rid.address_code, rid.birth_date, rid.sequence, rid.sex, rid.check
    ('11010519491231002X', '110105', datetime.date(1949, 12, 31), '002', 'female', 'X')
    >>> parse_resident_id("110105194912310021")
    Traceback (most recent call last):
    ...
    guotu.core.errors.IdentifierError: 身份证号 110105194912310021 第 18 位校验码错误：应为 X，实为 1
    """
    value = _clean(text)
    _check_id_form(value)
    province = value[:2]
    if province not in ID_PROVINCE_CODES:
        raise IdentifierError(
            "identifiers.id_province", value=value, address_code=value[:6], province=province
        )
    birth_text = value[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise IdentifierError("identifiers.id_birth_date", value=value, text=birth_text) from None
    if birth < EARLIEST_BIRTH_DATE:
        raise IdentifierError(
            "identifiers.id_birth_too_early",
            value=value,
            birth_date=birth.isoformat(),
            earliest=EARLIEST_BIRTH_DATE.isoformat(),
        )
    today = today or date.today()
    if birth > today:
        raise IdentifierError(
            "identifiers.id_birth_future",
            value=value,
            birth_date=birth.isoformat(),
            today=today.isoformat(),
        )
    expected = resident_id_check_char(value[:17])
    if value[17] != expected:
        raise IdentifierError("identifiers.id_check_digit", value=value, expected=expected, actual=value[17])
    sequence = value[14:17]
    return ResidentId(
        value=value,
        address_code=value[:6],
        birth_date=birth,
        sequence=sequence,
        sex="male" if int(sequence) % 2 else "female",
        check=value[17],
    )


def _mask(value: str) -> str:
    return value[:6] + "*" * 8 + value[14:]


def mask_resident_id(text: str) -> str:
    """Mask an identity number for display: keep the 6-digit address code and the last 4
    characters, replace the 8-digit birth date with ``*``.

    This is the usual display rule of Chinese government portals (e.g. ``330482********123X``):
    it hides the birth date, the most sensitive part. Only the form is checked (18 characters,
    digits and a final digit or ``X``), so stored numbers with a wrong check character can still
    be displayed; use :func:`parse_resident_id` to validate.

    >>> mask_resident_id("11010519491231002x")
    '110105********002X'
    """
    value = _clean(text)
    _check_id_form(value)
    return _mask(value)


# --------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# --------------------------------------------------------------------------------------------

#: The 31 characters of GB 32100-2015 (no I, O, Z, S, V); a character's value is its index.
CREDIT_CODE_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES: Final[Mapping[str, int]] = MappingProxyType({c: i for i, c in enumerate(CREDIT_CODE_CHARSET)})
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARSET: Final = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714: A=10 ... Z=35

#: Registration-authority codes (登记管理部门代码, position 1) and, for each, its institution-type
#: codes (机构类别代码, position 2). GB 32100-2015 table 1 lists 1, 5, 9 and Y; the other
#: departments were assigned codes later by the national standardisation administration and are
#: in use on issued codes.
REGISTRATION_AUTHORITIES: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = MappingProxyType(
    {
        "1": ("机构编制", MappingProxyType(
            {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"})),
        "2": ("外交", MappingProxyType({"1": "外国常驻新闻机构", "9": "其他"})),
        "3": ("司法行政", MappingProxyType(
            {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
             "5": "仲裁委员会", "9": "其他"})),
        "4": ("文化", MappingProxyType({"1": "外国在华文化中心", "9": "其他"})),
        "5": ("民政", MappingProxyType(
            {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"})),
        "6": ("旅游", MappingProxyType(
            {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
             "9": "其他"})),
        "7": ("宗教", MappingProxyType({"1": "宗教活动场所", "2": "宗教院校", "9": "其他"})),
        "8": ("工会", MappingProxyType({"1": "基层工会", "9": "其他"})),
        "9": ("工商", MappingProxyType({"1": "企业", "2": "个体工商户", "3": "农民专业合作社"})),
        "A": ("中央军委改革和编制办公室", MappingProxyType({"1": "军队事业单位", "9": "其他"})),
        "N": ("农业", MappingProxyType(
            {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
             "9": "其他"})),
        "Y": ("其他", MappingProxyType({"1": "其他"})),
    }
)  # fmt: skip

#: Division code of registrations made by a national authority (国家用 100000).
_NATIONAL_DIVISION: Final = "100000"


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A valid unified social credit code, split into its parts.

    ``authority`` (position 1) and ``institution_type`` (2) come from
    :data:`REGISTRATION_AUTHORITIES`; ``division_code`` (3–8) is the registering authority's
    division; ``organization_code`` (9–17) is the GB 11714 code including its own check
    character; ``check`` (18) is the check character of the whole code.
    """

    value: str
    authority: str
    institution_type: str
    division_code: str
    organization_code: str
    check: str

    @property
    def authority_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][0]

    @property
    def institution_type_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][1][self.institution_type]


def organization_code_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code's first 8 characters.

    Characters are worth 0–9 and A=10 … Z=35 (the GB 11714 values, not the credit-code ones);
    check = 11 − (Σ value × weight) mod 11, written ``X`` for 10 and ``0`` for 11.

    >>> organization_code_check_char("19220382")   # Huawei Technologies, 914403001922038216
    '1'
    >>> organization_code_check_char("MB2C0754")
    '9'
    """
    if len(first8) != 8 or any(c not in _ORG_CHARSET for c in first8):
        raise ValueError(f"need exactly 8 digits or upper-case letters, got {first8!r}")
    total = sum(_ORG_CHARSET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def credit_code_check_char(first17: str) -> str:
    """GB 32100 check character of a credit code's first 17 characters:
    31 − (Σ value × weight) mod 31, with 31 written ``0``.

    >>> credit_code_check_char("91440300708461136")   # Tencent (Shenzhen)
    'T'
    """
    if len(first17) != 17 or any(c not in _CREDIT_VALUES for c in first17):
        raise ValueError(f"need exactly 17 characters of {CREDIT_CODE_CHARSET}, got {first17!r}")
    total = sum(_CREDIT_VALUES[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def parse_credit_code(text: str) -> CreditCode:
    """Validate a unified social credit code and split it into its parts.

    Checks, in order: length, character set, the authority code, the institution type allowed
    for that authority, the division code (six digits, a province code or ``100000``), the
    organisation code's check character and the code's own check character.

    >>> code = parse_credit_code("91110000710925462x")
    >>> code.value, code.authority_name, code.division_code, code.organization_code, code.check
    ('91110000710925462X', '工商', '110000', '710925462', 'X')
    >>> parse_credit_code("91440300708461136A")
    Traceback (most recent call last):
    ...
    guotu.core.errors.IdentifierError: 统一社会信用代码 91440300708461136A 第 18 位校验码错误：应为 T，实为 A
    """
    value = _clean(text)
    if len(value) != 18:
        raise IdentifierError("identifiers.uscc_length", value=value, length=len(value))
    for position, char in enumerate(value, start=1):
        if char not in _CREDIT_VALUES:
            raise IdentifierError("identifiers.uscc_char", value=value, position=position, char=char)
    authority, kind = value[0], value[1]
    if authority not in REGISTRATION_AUTHORITIES:
        raise IdentifierError(
            "identifiers.uscc_authority",
            value=value,
            char=authority,
            allowed="/".join(REGISTRATION_AUTHORITIES),
        )
    authority_name, kinds = REGISTRATION_AUTHORITIES[authority]
    if kind not in kinds:
        raise IdentifierError(
            "identifiers.uscc_institution_type",
            value=value,
            char=kind,
            authority=authority,
            authority_name=authority_name,
            allowed="/".join(kinds),
        )
    division = value[2:8]
    if any(c not in _DIGITS for c in division) or (
        division[:2] not in PROVINCE_CODES and division != _NATIONAL_DIVISION
    ):
        raise IdentifierError("identifiers.uscc_division", value=value, division=division)
    org = value[8:17]
    expected_org = organization_code_check_char(org[:8])
    if org[8] != expected_org:
        raise IdentifierError(
            "identifiers.uscc_org_check",
            value=value,
            organization_code=org,
            expected=expected_org,
            actual=org[8],
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise IdentifierError("identifiers.uscc_check", value=value, expected=expected, actual=value[17])
    return CreditCode(
        value=value,
        authority=authority,
        institution_type=kind,
        division_code=division,
        organization_code=org,
        check=value[17],
    )


# --------------------------------------------------------------------------------------------
# Real-estate unit code (GB/T 37346-2019)
# --------------------------------------------------------------------------------------------

#: First character of the parcel (sea-parcel) feature code: ownership of the land or sea.
OWNERSHIP_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {"G": "国家土地（海域）所有权", "J": "集体土地所有权", "Z": "土地（海域）所有权未确定或有争议"}
)

#: Second character of the parcel (sea-parcel) feature code: the kind of parcel / right.
PARCEL_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "A": "集体土地所有权宗地",
        "B": "建设用地使用权宗地（地表）",
        "S": "建设用地使用权宗地（地上）",
        "X": "建设用地使用权宗地（地下）",
        "C": "宅基地使用权宗地",
        "D": "土地承包经营权宗地（耕地）",
        "E": "土地承包经营权宗地（林地）",
        "F": "土地承包经营权宗地（草地）",
        "L": "林地使用权宗地（承包经营以外的）",
        "N": "农用地使用权宗地（承包经营以外的、非林地）",
        "H": "海域使用权宗海",
        "G": "无居民海岛使用权海岛",
        "W": "使用权未确定或有争议的土地、海域、海岛",
        "Y": "其他使用权土地、海域、海岛",
    }
)

#: Ownership letters a parcel type may be combined with, where the law restricts it:
#: collective land ownership and homestead rights exist only on collective land; sea areas and
#: uninhabited islands belong to the State (or their ownership is still undetermined).
_PARCEL_TYPE_OWNERSHIP: Final[Mapping[str, str]] = MappingProxyType(
    {"A": "J", "C": "J", "H": "GZ", "G": "GZ"}
)

#: Fixture feature code (定着物特征码).
FIXTURE_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {"F": "房屋等建筑物、构筑物", "L": "森林或林木", "Q": "其他类型定着物", "W": "无定着物"}
)

# (field, start, end) with 0-based half-open slices of the 28-character code.
_UNIT_LAYOUT: Final = (
    ("division_code", 0, 6),
    ("cadastral_district", 6, 9),
    ("cadastral_subdistrict", 9, 12),
    ("ownership", 12, 13),
    ("parcel_type", 13, 14),
    ("parcel_number", 14, 19),
    ("fixture_type", 19, 20),
    ("fixture_number", 20, 28),
)
_UNIT_SLICES: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {name: (start, end) for name, start, end in _UNIT_LAYOUT}
)


@dataclass(frozen=True, slots=True)
class UnitCode:
    """A valid 28-character real-estate unit code, split into its parts.

    ======================  ==========  ===============================================
    field                   positions   content
    ======================  ==========  ===============================================
    division_code           1–6         county-level division (县级行政区划代码)
    cadastral_district      7–9         cadastral district (地籍区)
    cadastral_subdistrict   10–12       cadastral sub-district (地籍子区)
    ownership               13          G / J / Z (宗地特征码, first character)
    parcel_type             14          :data:`PARCEL_TYPES` (宗地特征码, second character)
    parcel_number           15–19       parcel sequence number 00001–99999 (宗地顺序号)
    fixture_type            20          F / L / Q / W (定着物特征码)
    fixture_number          21–28       fixture unit number (定着物单元编号)
    ======================  ==========  ===============================================
    """

    division_code: str
    cadastral_district: str
    cadastral_subdistrict: str
    ownership: str
    parcel_type: str
    parcel_number: str
    fixture_type: str
    fixture_number: str

    @property
    def value(self) -> str:
        """The canonical 28-character code."""
        return self.parcel_code + self.fixture_code

    @property
    def parcel_feature(self) -> str:
        """Parcel (sea-parcel) feature code, e.g. ``GB``."""
        return self.ownership + self.parcel_type

    @property
    def parcel_code(self) -> str:
        """The 19-character parcel code (宗地代码), the first four levels."""
        return (
            self.division_code
            + self.cadastral_district
            + self.cadastral_subdistrict
            + self.parcel_feature
            + self.parcel_number
        )

    @property
    def fixture_code(self) -> str:
        """The 9-character fixture code (定着物代码), e.g. ``F00010001``."""
        return self.fixture_type + self.fixture_number

    @property
    def building_number(self) -> str | None:
        """Building number (幢号) of a house unit (``F``), else ``None``."""
        return self.fixture_number[:4] if self.fixture_type == "F" else None

    @property
    def household_number(self) -> str | None:
        """Household number (户号) of a house unit (``F``), else ``None``."""
        return self.fixture_number[4:] if self.fixture_type == "F" else None

    @property
    def ownership_name(self) -> str:
        return OWNERSHIP_TYPES[self.ownership]

    @property
    def parcel_type_name(self) -> str:
        return PARCEL_TYPES[self.parcel_type]

    @property
    def fixture_type_name(self) -> str:
        return FIXTURE_TYPES[self.fixture_type]

    def pretty(self) -> str:
        """The code in the grouping used by the standard's examples: county, cadastral district
        and sub-district, parcel, fixture.

        >>> parse_unit_code("340123002004GB00011F00010001").pretty()
        '340123 002004 GB00011 F00010001'
        """
        return " ".join(
            (
                self.division_code,
                self.cadastral_district + self.cadastral_subdistrict,
                self.parcel_feature + self.parcel_number,
                self.fixture_code,
            )
        )

    def __str__(self) -> str:
        return self.value


def _unit_error(key: str, value: str, field: str, actual: str, **params: object) -> IdentifierError:
    start, end = _UNIT_SLICES[field]
    return IdentifierError(
        f"identifiers.{key}", value=value, start=start + 1, end=end, actual=actual, **params
    )


def _all_digits(text: str, width: int) -> bool:
    return len(text) == width and all(c in _DIGITS for c in text)


def _validated_unit(value: str, parts: Mapping[str, str]) -> UnitCode:
    """Check each part of a unit code; ``value`` is the whole code, shown in messages."""
    division = parts["division_code"]
    if not _all_digits(division, 6) or division[:2] not in PROVINCE_CODES or division[4:] == "00":
        raise _unit_error("unit_division", value, "division_code", division)
    for field in ("cadastral_district", "cadastral_subdistrict"):
        if not _all_digits(parts[field], 3):
            raise _unit_error(f"unit_{field}", value, field, parts[field])
    ownership, parcel_type = parts["ownership"], parts["parcel_type"]
    if ownership not in OWNERSHIP_TYPES:
        raise _unit_error("unit_ownership", value, "ownership", ownership, allowed="/".join(OWNERSHIP_TYPES))
    if parcel_type not in PARCEL_TYPES:
        raise _unit_error(
            "unit_parcel_type", value, "parcel_type", parcel_type, allowed="/".join(PARCEL_TYPES)
        )
    allowed_ownership = _PARCEL_TYPE_OWNERSHIP.get(parcel_type, "".join(OWNERSHIP_TYPES))
    if ownership not in allowed_ownership:
        raise IdentifierError(
            "identifiers.unit_feature_combination",
            value=value,
            feature=ownership + parcel_type,
            ownership=ownership,
            parcel_type=parcel_type,
            allowed="/".join(allowed_ownership),
        )
    number = parts["parcel_number"]
    if not _all_digits(number, 5) or number == "00000":
        raise _unit_error("unit_parcel_number", value, "parcel_number", number)
    fixture_type, fixture_number = parts["fixture_type"], parts["fixture_number"]
    if fixture_type not in FIXTURE_TYPES:
        raise _unit_error(
            "unit_fixture_type", value, "fixture_type", fixture_type, allowed="/".join(FIXTURE_TYPES)
        )
    if fixture_type == "W":
        if fixture_number != "00000000":
            raise _unit_error("unit_no_fixture", value, "fixture_number", fixture_number)
    elif fixture_type == "F":
        if not _all_digits(fixture_number, 8) or fixture_number[:4] == "0000" or fixture_number[4:] == "0000":
            raise _unit_error("unit_house_number", value, "fixture_number", fixture_number)
    elif not _all_digits(fixture_number, 8) or fixture_number == "00000000":
        raise _unit_error(
            "unit_fixture_number", value, "fixture_number", fixture_number, fixture_type=fixture_type
        )
    return UnitCode(**parts)


def parse_unit_code(text: str) -> UnitCode:
    """Validate a 28-character real-estate unit code and split it into its parts.

    Spaces between the parts and lower-case letters are accepted.

    >>> unit = parse_unit_code("340123 002004 gb00011 f00010001")
    >>> unit.value, unit.parcel_feature, unit.building_number, unit.household_number
    ('340123002004GB00011F00010001', 'GB', '0001', '0001')
    >>> parse_unit_code("340123002004GB00011W00010001")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    guotu.core.errors.IdentifierError: ...定着物单元编号（第 21–28 位）应为 00000000，实为“00010001”
    """
    value = _clean(text)
    if len(value) != 28:
        raise IdentifierError("identifiers.unit_length", value=value, length=len(value))
    return _validated_unit(value, {name: value[start:end] for name, start, end in _UNIT_LAYOUT})


def _unit_part(part: str | int, width: int) -> str:
    if isinstance(part, int) and part >= 0:
        return str(part).zfill(width)
    return _clean(str(part))


def format_unit_code(
    division_code: str | int,
    cadastral_district: str | int,
    cadastral_subdistrict: str | int,
    parcel_feature: str,
    parcel_number: str | int,
    fixture_type: str = "W",
    fixture_number: str | int = 0,
) -> str:
    """Build the canonical 28-character unit code from its parts, validating each.

    Numeric parts may be given as integers and are zero-padded; letters may be lower case.
    Without a fixture the code ends in ``W00000000``.

    >>> format_unit_code("340123", 2, 4, "gb", 11, "F", 10001)
    '340123002004GB00011F00010001'
    >>> format_unit_code(340123, 2, 4, "JC", 7)
    '340123002004JC00007W00000000'
    >>> format_unit_code("340123", 2, 4, "GC", 7)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    guotu.core.errors.IdentifierError: ...GC（第 13–14 位）无效：第二位 C 只能与所有权代码 J 组合，实为 G
    """
    feature = _clean(parcel_feature)
    parts = {
        "division_code": _unit_part(division_code, 6),
        "cadastral_district": _unit_part(cadastral_district, 3),
        "cadastral_subdistrict": _unit_part(cadastral_subdistrict, 3),
        "ownership": feature[:1],
        "parcel_type": feature[1:],
        "parcel_number": _unit_part(parcel_number, 5),
        "fixture_type": _clean(fixture_type),
        "fixture_number": _unit_part(fixture_number, 8),
    }
    value = "".join(parts[name] for name, _, _ in _UNIT_LAYOUT)
    return _validated_unit(value, parts).value


# --------------------------------------------------------------------------------------------
# One entry point for the CLI (``guotu validate id|uscc|unit VALUE``)
# --------------------------------------------------------------------------------------------

Kind = Literal["id", "uscc", "unit"]
KINDS: Final[tuple[Kind, ...]] = ("id", "uscc", "unit")


@overload
def validate(kind: Literal["id"], value: str, *, today: date | None = None) -> ResidentId: ...
@overload
def validate(kind: Literal["uscc"], value: str, *, today: date | None = None) -> CreditCode: ...
@overload
def validate(kind: Literal["unit"], value: str, *, today: date | None = None) -> UnitCode: ...
@overload
def validate(kind: str, value: str, *, today: date | None = None) -> ResidentId | CreditCode | UnitCode: ...
def validate(kind: str, value: str, *, today: date | None = None) -> ResidentId | CreditCode | UnitCode:
    """Parse ``value`` as an identifier of ``kind`` (``id``, ``uscc`` or ``unit``).

    ``today`` is used only for identity numbers (birth dates may not be in the future).

    >>> validate("unit", "340123002004GB00011W00000000").fixture_type_name
    '无定着物'
    >>> validate("passport", "E12345678")
    Traceback (most recent call last):
    ...
    guotu.core.errors.IdentifierError: 未知的标识类型 passport，应为 id/uscc/unit 之一
    """
    if kind == "id":
        return parse_resident_id(value, today=today)
    if kind == "uscc":
        return parse_credit_code(value)
    if kind == "unit":
        return parse_unit_code(value)
    raise IdentifierError("identifiers.unknown_kind", kind=kind, allowed="/".join(KINDS))
