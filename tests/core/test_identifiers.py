"""Tests of guotu.core.identifiers: identity numbers, credit codes, real-estate unit codes."""

from __future__ import annotations

import string
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guotu.core.errors import IdentifierError
from guotu.core.identifiers import (
    FIXTURE_TYPES,
    ID_PROVINCE_CODES,
    OWNERSHIP_TYPES,
    PARCEL_TYPES,
    PROVINCE_CODES,
    REGISTRATION_AUTHORITIES,
    CreditCode,
    ResidentId,
    UnitCode,
    credit_code_check_char,
    format_unit_code,
    mask_resident_id,
    organization_code_check_char,
    parse_credit_code,
    parse_resident_id,
    parse_unit_code,
    resident_id_check_char,
    validate,
)
from guotu.core.messages import catalog

TODAY = date(2024, 6, 1)


def raises_key(key: str, func: object, *args: object, **kwargs: object) -> IdentifierError:
    """Call ``func`` and return the IdentifierError it raises, checking its key and that the
    message renders in both languages (so every parameter the template needs is present)."""
    assert callable(func)
    with pytest.raises(IdentifierError) as info:
        func(*args, **kwargs)
    error = info.value
    assert error.key == f"identifiers.{key}", error.message
    assert error.message_in("zh") and error.message_in("en")
    return error


# --- independent reference implementations (written from the standards' formulas) -------------


def ref_id_check(first17: str) -> str:
    # GB 11643: W_i = 2^(18-i) mod 11 for i = 1..17; check value a18 with sum + a18 ≡ 1 (mod 11).
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    a18 = (12 - total % 11) % 11
    return "X" if a18 == 10 else str(a18)


USCC_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_uscc_check(first17: str) -> str:
    # GB 32100: W_i = 3^(i-1) mod 31.
    total = sum(USCC_SET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_SET[-total % 31]


def ref_org_check(first8: str) -> str:
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


# ==============================================================================================
# Resident identity numbers
# ==============================================================================================


class TestResidentIdValid:
    def test_examples_of_the_standard(self) -> None:
        # The two examples printed in GB 11643-1999.
        assert resident_id_check_char("11010519491231002") == "X"
        assert resident_id_check_char("44052418800101001") == "4"

    def test_parse_standard_example(self) -> None:
        rid = parse_resident_id("11010519491231002X", today=TODAY)
        assert rid == ResidentId(
            value="11010519491231002X",
            address_code="110105",
            birth_date=date(1949, 12, 31),
            sequence="002",
            sex="female",
            check="X",
        )
        assert rid.province_code == "11"

    def test_synthetic_male(self) -> None:
        # 3+3·9... computed by hand: weighted sum 221, 221 mod 11 = 1 -> '0'.
        rid = parse_resident_id("330482199001010010", today=TODAY)
        assert rid.birth_date == date(1990, 1, 1)
        assert rid.sequence == "001"
        assert rid.sex == "male"
        assert rid.check == "0"

    def test_lowercase_x_and_whitespace_and_full_width(self) -> None:
        assert parse_resident_id(" 11010519491231002x ", today=TODAY).value == "11010519491231002X"
        assert parse_resident_id("110105 19491231 002X", today=TODAY).value == "11010519491231002X"
        full_width = "１１０１０５１９４９１２３１００２ｘ"
        assert parse_resident_id(full_width, today=TODAY).value == "11010519491231002X"

    def test_born_today_is_valid(self) -> None:
        first17 = "330482" + TODAY.strftime("%Y%m%d") + "123"
        value = first17 + ref_id_check(first17)
        assert parse_resident_id(value, today=TODAY).birth_date == TODAY

    def test_residence_permit_province_83(self) -> None:
        first17 = "83000019900101002"
        assert parse_resident_id(first17 + ref_id_check(first17), today=TODAY).province_code == "83"

    def test_leap_day(self) -> None:
        first17 = "33048220000229004"
        assert parse_resident_id(first17 + ref_id_check(first17), today=TODAY).birth_date == date(2000, 2, 29)

    def test_mask(self) -> None:
        assert mask_resident_id("33048219900101123x") == "330482********123X"
        assert parse_resident_id("11010519491231002X", today=TODAY).masked == "110105********002X"
        # Masking checks only the form, not the check character.
        assert mask_resident_id("110105194912310021") == "110105********0021"


class TestResidentIdInvalid:
    def test_wrong_check_character(self) -> None:
        error = raises_key("id_check_digit", parse_resident_id, "330482199001010011", today=TODAY)
        assert error.params == {"value": "330482199001010011", "expected": "0", "actual": "1"}
        assert error.message == "身份证号 330482199001010011 第 18 位校验码错误：应为 0，实为 1"
        assert error.message_in("en") == (
            "ID number 330482199001010011: wrong check character (position 18), expected 0, got 1"
        )

    def test_impossible_date(self) -> None:
        error = raises_key("id_birth_date", parse_resident_id, "330482199002300019", today=TODAY)
        assert error.params["text"] == "19900230"
        assert "19900230" in error.message

    @pytest.mark.parametrize("birth", ["19901301", "19900001", "19900100", "19010229"])
    def test_other_impossible_dates(self, birth: str) -> None:
        first17 = "330482" + birth + "001"
        raises_key("id_birth_date", parse_resident_id, first17 + "0", today=TODAY)

    def test_future_date(self) -> None:
        tomorrow = TODAY + timedelta(days=1)
        first17 = "330482" + tomorrow.strftime("%Y%m%d") + "001"
        error = raises_key("id_birth_future", parse_resident_id, first17 + ref_id_check(first17), today=TODAY)
        assert error.params["today"] == "2024-06-01"

    def test_before_1900(self) -> None:
        # The standard's own second example (born 1880) is outside the accepted range.
        error = raises_key("id_birth_too_early", parse_resident_id, "440524188001010014", today=TODAY)
        assert error.params["birth_date"] == "1880-01-01"

    @pytest.mark.parametrize("text", ["", "3304821990010100", "3304821990010100101", "11010519491231002"])
    def test_bad_length(self, text: str) -> None:
        error = raises_key("id_length", parse_resident_id, text, today=TODAY)
        assert error.params["length"] == len(text)

    def test_non_digit_position(self) -> None:
        error = raises_key("id_char", parse_resident_id, "3304821990O1010010", today=TODAY)
        assert error.params["position"] == 11
        assert error.params["char"] == "O"
        assert "第 11 位" in error.message

    def test_bad_check_character_form(self) -> None:
        error = raises_key("id_check_char_form", parse_resident_id, "33048219900101001Y", today=TODAY)
        assert error.params["char"] == "Y"

    @pytest.mark.parametrize("province", ["00", "10", "16", "20", "39", "47", "55", "66", "72", "84", "99"])
    def test_bad_province(self, province: str) -> None:
        first17 = province + "048219900101001"
        error = raises_key("id_province", parse_resident_id, first17 + ref_id_check(first17), today=TODAY)
        assert error.params["province"] == province

    def test_mask_rejects_malformed(self) -> None:
        raises_key("id_length", mask_resident_id, "12345")
        raises_key("id_char", mask_resident_id, "33048219900101A23X")


# --- properties ---------------------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@st.composite
def valid_first17(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(ID_PROVINCE_CODES)))
    county = draw(st.text(string.digits, min_size=4, max_size=4))
    birth = draw(birth_dates).strftime("%Y%m%d")
    sequence = draw(st.text(string.digits, min_size=3, max_size=3))
    return province + county + birth + sequence


@given(valid_first17())
def test_property_valid_ids_parse(first17: str) -> None:
    assert resident_id_check_char(first17) == ref_id_check(first17)
    value = first17 + ref_id_check(first17)
    rid = parse_resident_id(value, today=TODAY)
    assert rid.value == value
    assert rid.address_code + rid.birth_date.strftime("%Y%m%d") + rid.sequence + rid.check == value
    assert rid.sex == ("male" if int(first17[16]) % 2 else "female")


@given(valid_first17(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_property_one_changed_character_is_rejected(first17: str, position: int, char: str) -> None:
    value = first17 + ref_id_check(first17)
    if position < 17 and char == "X":
        char = "0"
    if value[position] == char:
        char = "1" if char != "1" else "2"
    changed = value[:position] + char + value[position + 1 :]
    with pytest.raises(IdentifierError) as info:
        parse_resident_id(changed, today=TODAY)
    assert info.value.key in {
        "identifiers.id_check_digit",
        "identifiers.id_birth_date",
        "identifiers.id_birth_future",
        "identifiers.id_birth_too_early",
        "identifiers.id_province",
    }


# ==============================================================================================
# Unified social credit codes
# ==============================================================================================

# Codes printed on public business licences / registers; both check characters verified by the
# reference implementations above (a random string passes both with probability 1/341).
PUBLIC_CREDIT_CODES = [
    "914403001922038216",  # 华为技术有限公司 (Shenzhen)
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110000710925462X",  # 中国石油天然气股份有限公司 (Beijing)
    "91330100799655058B",  # 阿里巴巴（中国）有限公司 (Hangzhou)
    "12440600MB2C07549J",  # a public institution (事业单位) in Foshan, letters in the org code
]


class TestCreditCodeValid:
    @pytest.mark.parametrize("code", PUBLIC_CREDIT_CODES)
    def test_public_examples(self, code: str) -> None:
        assert ref_org_check(code[8:16]) == code[16]
        assert ref_uscc_check(code[:17]) == code[17]
        parsed = parse_credit_code(code)
        assert parsed.value == code
        assert parsed.authority + parsed.institution_type + parsed.division_code == code[:8]
        assert parsed.organization_code + parsed.check == code[8:]

    def test_parts_and_names(self) -> None:
        parsed = parse_credit_code("914403001922038216")
        assert parsed == CreditCode(
            value="914403001922038216",
            authority="9",
            institution_type="1",
            division_code="440300",
            organization_code="192203821",
            check="6",
        )
        assert parsed.authority_name == "工商"
        assert parsed.institution_type_name == "企业"
        public_institution = parse_credit_code("12440600MB2C07549J")
        assert (public_institution.authority_name, public_institution.institution_type_name) == (
            "机构编制",
            "事业单位",
        )

    def test_org_code_uses_gb11714_letter_values(self) -> None:
        # M is 22 in GB 11714 (A=10..Z=35) but 21 in the credit-code set; only 22 gives '9'.
        assert organization_code_check_char("MB2C0754") == "9"

    def test_lowercase_and_spaces(self) -> None:
        assert parse_credit_code(" 91440300 708461136t ").value == "91440300708461136T"

    def test_national_division(self) -> None:
        first17 = "911000001000" + "0000"
        org = first17[8:16]
        first17 = first17[:16] + ref_org_check(org)
        code = first17 + ref_uscc_check(first17)
        assert parse_credit_code(code).division_code == "100000"

    def test_check_zero(self) -> None:
        # Find a code whose check value is 31, written '0'.
        for serial in range(10000):
            body = f"91330482{serial:08d}"
            first17 = body + ref_org_check(body[8:16])
            if ref_uscc_check(first17) == "0":
                assert credit_code_check_char(first17) == "0"
                assert parse_credit_code(first17 + "0").check == "0"
                break
        else:  # pragma: no cover
            pytest.fail("no code with check character 0 found")


class TestCreditCodeInvalid:
    def test_wrong_check_character(self) -> None:
        error = raises_key("uscc_check", parse_credit_code, "91440300708461136A")
        assert (error.params["expected"], error.params["actual"]) == ("T", "A")
        assert "应为 T，实为 A" in error.message

    def test_wrong_organization_code_check(self) -> None:
        # Position 17 changed from 6 to 7: the organisation code check fails first.
        error = raises_key("uscc_org_check", parse_credit_code, "91440300708461137T")
        assert error.params["organization_code"] == "708461137"
        assert (error.params["expected"], error.params["actual"]) == ("6", "7")

    def test_known_nonconforming_codes_are_rejected(self) -> None:
        # Codes issued in Xiamen before 2016 that do not satisfy GB 32100 (hutool issue #2020).
        error = raises_key("uscc_check", parse_credit_code, "91350203M0001FUE2P")
        assert error.params["expected"] == "J"

    @pytest.mark.parametrize("text", ["", "9144030070846113", "91440300708461136TT"])
    def test_bad_length(self, text: str) -> None:
        raises_key("uscc_length", parse_credit_code, text)

    @pytest.mark.parametrize(("position", "char"), [(9, "I"), (10, "O"), (11, "Z"), (12, "S"), (13, "V")])
    def test_excluded_letters(self, position: int, char: str) -> None:
        code = "91440300708461136T"
        bad = code[: position - 1] + char + code[position:]
        error = raises_key("uscc_char", parse_credit_code, bad)
        assert (error.params["position"], error.params["char"]) == (position, char)

    def test_bad_authority(self) -> None:
        error = raises_key("uscc_authority", parse_credit_code, "B1440300708461136T")
        assert error.params["char"] == "B"
        assert "1/2/3/4/5/6/7/8/9/A/N/Y" in error.message

    @pytest.mark.parametrize(
        ("pair", "allowed"), [("94", "1/2/3"), ("Y2", "1"), ("15", "1/2/3/9"), ("50", "1/2/3/9")]
    )
    def test_bad_institution_type(self, pair: str, allowed: str) -> None:
        error = raises_key("uscc_institution_type", parse_credit_code, pair + "440300708461136T")
        assert error.params["allowed"] == allowed

    @pytest.mark.parametrize("division", ["99030A", "990300", "000000", "104400"])
    def test_bad_division(self, division: str) -> None:
        error = raises_key("uscc_division", parse_credit_code, "91" + division + "708461136T")
        assert error.params["division"] == division

    def test_table_is_complete(self) -> None:
        assert set(REGISTRATION_AUTHORITIES) == set("123456789ANY")
        assert set(REGISTRATION_AUTHORITIES["9"][1]) == {"1", "2", "3"}
        assert set(REGISTRATION_AUTHORITIES["Y"][1]) == {"1"}


@st.composite
def valid_credit_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(REGISTRATION_AUTHORITIES)))
    kind = draw(st.sampled_from(sorted(REGISTRATION_AUTHORITIES[authority][1])))
    division = draw(st.sampled_from(sorted(PROVINCE_CODES))) + draw(
        st.text(string.digits, min_size=4, max_size=4)
    )
    org8 = draw(st.text(USCC_SET, min_size=8, max_size=8))
    first17 = authority + kind + division + org8 + ref_org_check(org8)
    return first17 + ref_uscc_check(first17)


@given(valid_credit_codes())
def test_property_valid_credit_codes_parse(code: str) -> None:
    assert credit_code_check_char(code[:17]) == code[17]
    assert parse_credit_code(code).value == code


@given(valid_credit_codes(), st.integers(0, 17), st.sampled_from(USCC_SET))
def test_property_one_changed_credit_character_is_rejected(code: str, position: int, char: str) -> None:
    if code[position] == char:
        char = "1" if char != "1" else "2"
    changed = code[:position] + char + code[position + 1 :]
    with pytest.raises(IdentifierError):
        parse_credit_code(changed)


# ==============================================================================================
# Real-estate unit codes
# ==============================================================================================


class TestUnitCodeValid:
    def test_standard_appendix_parcel_with_house(self) -> None:
        # Parcel 340123 002004 GB00011 of GB/T 37346-2019 appendix A.2.1, with a house unit.
        unit = parse_unit_code("340123002004GB00011F00010001")
        assert unit == UnitCode(
            division_code="340123",
            cadastral_district="002",
            cadastral_subdistrict="004",
            ownership="G",
            parcel_type="B",
            parcel_number="00011",
            fixture_type="F",
            fixture_number="00010001",
        )
        assert unit.parcel_code == "340123002004GB00011"
        assert unit.fixture_code == "F00010001"
        assert (unit.building_number, unit.household_number) == ("0001", "0001")
        assert unit.ownership_name == "国家土地（海域）所有权"
        assert unit.parcel_type_name == "建设用地使用权宗地（地表）"
        assert unit.fixture_type_name == "房屋等建筑物、构筑物"
        assert str(unit) == unit.value == "340123002004GB00011F00010001"

    @pytest.mark.parametrize(
        "code",
        [
            "340123002004GS00019W00000000",  # A.2.2 地上
            "340123002004GX00020W00000000",  # A.2.3 地下
            "340123002004GD00021W00000000",  # A.2.4 国有承包耕地
            "340123002004GE00022L00000001",  # A.2.5 国有承包林地, with trees
            "340123002004JA00001W00000000",  # collective land ownership
            "340123002004JC00123F00020003",  # homestead with a house
            "340123002004GH00001Q00000001",  # sea area with another fixture
            "340123002004ZW00001W00000000",  # ownership and use right both undetermined
            "370105012002GB00001F00010751",  # a code in the style of a Jinan certificate
        ],
    )
    def test_valid_examples(self, code: str) -> None:
        assert parse_unit_code(code).value == code

    def test_spaces_lowercase_full_width(self) -> None:
        expected = "340123002004GB00011F00010001"
        assert parse_unit_code("340123 002004 gb00011 f00010001").value == expected
        assert parse_unit_code(" 340123 002 004 GB 00011 F 0001 0001 ").value == expected
        assert parse_unit_code("340123\u3000002004\u3000ＧＢ00011\u3000F00010001").value == expected

    def test_pretty(self) -> None:
        unit = parse_unit_code("340123002004GB00011F00010001")
        assert unit.pretty() == "340123 002004 GB00011 F00010001"
        assert parse_unit_code(unit.pretty()) == unit

    def test_format(self) -> None:
        assert format_unit_code("340123", "002", "004", "GB", "00011", "F", "00010001") == (
            "340123002004GB00011F00010001"
        )
        assert format_unit_code(340123, 2, 4, "gb", 11, "f", 10001) == "340123002004GB00011F00010001"
        assert format_unit_code("340123", 2, 4, "JA", 1) == "340123002004JA00001W00000000"

    def test_non_house_fixtures_have_no_building_number(self) -> None:
        unit = parse_unit_code("340123002004GE00022L00000001")
        assert unit.building_number is None and unit.household_number is None


class TestUnitCodeInvalid:
    GOOD = "340123002004GB00011F00010001"

    def with_part(self, start: int, end: int, text: str) -> str:
        return self.GOOD[: start - 1] + text + self.GOOD[end:]

    @pytest.mark.parametrize("text", ["", "340123002004GB00011", "340123002004GB00011F000100011"])
    def test_bad_length(self, text: str) -> None:
        error = raises_key("unit_length", parse_unit_code, text)
        assert error.params["length"] == len(text)

    @pytest.mark.parametrize("division", ["34012A", "990123", "340100", "000000"])
    def test_bad_division(self, division: str) -> None:
        error = raises_key("unit_division", parse_unit_code, self.with_part(1, 6, division))
        assert (error.params["start"], error.params["end"], error.params["actual"]) == (1, 6, division)

    def test_bad_cadastral_district(self) -> None:
        error = raises_key("unit_cadastral_district", parse_unit_code, self.with_part(7, 9, "0A2"))
        assert (error.params["start"], error.params["end"]) == (7, 9)
        assert "地籍区代码（第 7–9 位）为“0A2”" in error.message

    def test_bad_cadastral_subdistrict(self) -> None:
        error = raises_key("unit_cadastral_subdistrict", parse_unit_code, self.with_part(10, 12, "00-"))
        assert (error.params["start"], error.params["end"]) == (10, 12)

    @pytest.mark.parametrize("letter", ["X", "A", "1"])
    def test_bad_ownership_letter(self, letter: str) -> None:
        error = raises_key("unit_ownership", parse_unit_code, self.with_part(13, 13, letter))
        assert (error.params["start"], error.params["actual"]) == (13, letter)
        assert error.params["allowed"] == "G/J/Z"
        assert "所有权代码（第 13 位）" in error.message

    @pytest.mark.parametrize("letter", ["I", "K", "M", "Z", "9"])
    def test_bad_parcel_type_letter(self, letter: str) -> None:
        error = raises_key("unit_parcel_type", parse_unit_code, self.with_part(14, 14, letter))
        assert (error.params["start"], error.params["actual"]) == (14, letter)

    @pytest.mark.parametrize("feature", ["GA", "ZA", "GC", "JH", "JG"])
    def test_impossible_feature_combination(self, feature: str) -> None:
        error = raises_key("unit_feature_combination", parse_unit_code, self.with_part(13, 14, feature))
        assert error.params["feature"] == feature

    @pytest.mark.parametrize("number", ["0001A", "00000", "-0001"])
    def test_bad_parcel_number(self, number: str) -> None:
        error = raises_key("unit_parcel_number", parse_unit_code, self.with_part(15, 19, number))
        assert (error.params["start"], error.params["end"], error.params["actual"]) == (15, 19, number)
        assert "宗地（宗海）顺序号（第 15–19 位）" in error.message

    @pytest.mark.parametrize("letter", ["A", "H", "0"])
    def test_bad_fixture_letter(self, letter: str) -> None:
        error = raises_key("unit_fixture_type", parse_unit_code, self.with_part(20, 20, letter))
        assert (error.params["start"], error.params["actual"]) == (20, letter)
        assert "定着物特征码（第 20 位）" in error.message

    def test_no_fixture_with_nonzero_number(self) -> None:
        error = raises_key("unit_no_fixture", parse_unit_code, self.with_part(20, 28, "W00010001"))
        assert (error.params["start"], error.params["end"], error.params["actual"]) == (21, 28, "00010001")

    @pytest.mark.parametrize("number", ["00000001", "00010000", "0001000A", "00000000"])
    def test_bad_house_number(self, number: str) -> None:
        error = raises_key("unit_house_number", parse_unit_code, self.with_part(21, 28, number))
        assert error.params["actual"] == number
        assert "幢号" in error.message and "户号" in error.message

    @pytest.mark.parametrize(("fixture", "number"), [("L", "00000000"), ("Q", "0000000X")])
    def test_bad_other_fixture_number(self, fixture: str, number: str) -> None:
        error = raises_key("unit_fixture_number", parse_unit_code, self.with_part(20, 28, fixture + number))
        assert error.params["fixture_type"] == fixture

    def test_format_names_the_part(self) -> None:
        error = raises_key("unit_cadastral_district", format_unit_code, "340123", "2", 4, "GB", 11)
        assert error.params["actual"] == "2"
        raises_key("unit_parcel_number", format_unit_code, "340123", 2, 4, "GB", 123456)
        raises_key("unit_parcel_type", format_unit_code, "340123", 2, 4, "GBX", 11)
        raises_key("unit_ownership", format_unit_code, "340123", 2, 4, "", 11)
        raises_key("unit_division", format_unit_code, -340123, 2, 4, "GB", 11)


@st.composite
def unit_parts(draw: st.DrawFn) -> dict[str, str]:
    def digits(n: int) -> st.SearchStrategy[str]:
        return st.text(string.digits, min_size=n, max_size=n)

    parcel_type = draw(st.sampled_from(sorted(PARCEL_TYPES)))
    allowed = {"A": "J", "C": "J", "H": "GZ", "G": "GZ"}.get(parcel_type, "GJZ")
    fixture_type = draw(st.sampled_from(sorted(FIXTURE_TYPES)))
    if fixture_type == "W":
        fixture_number = "00000000"
    elif fixture_type == "F":
        fixture_number = f"{draw(st.integers(1, 9999)):04d}{draw(st.integers(1, 9999)):04d}"
    else:
        fixture_number = f"{draw(st.integers(1, 99_999_999)):08d}"
    return {
        "division_code": draw(st.sampled_from(sorted(PROVINCE_CODES)))
        + draw(digits(2))
        + f"{draw(st.integers(1, 99)):02d}",
        "cadastral_district": draw(digits(3)),
        "cadastral_subdistrict": draw(digits(3)),
        "ownership": draw(st.sampled_from(allowed)),
        "parcel_type": parcel_type,
        "parcel_number": f"{draw(st.integers(1, 99_999)):05d}",
        "fixture_type": fixture_type,
        "fixture_number": fixture_number,
    }


@given(unit_parts())
def test_property_unit_round_trip(parts: dict[str, str]) -> None:
    text = format_unit_code(
        parts["division_code"],
        parts["cadastral_district"],
        parts["cadastral_subdistrict"],
        parts["ownership"] + parts["parcel_type"],
        parts["parcel_number"],
        parts["fixture_type"],
        parts["fixture_number"],
    )
    assert len(text) == 28
    unit = parse_unit_code(text)
    assert unit == UnitCode(**parts)
    assert unit.value == text
    assert parse_unit_code(unit.pretty()) == unit
    assert parse_unit_code(text.lower()) == unit


def test_letter_tables() -> None:
    assert set(OWNERSHIP_TYPES) == {"G", "J", "Z"}
    assert set(PARCEL_TYPES) == set("ABSXCDEFLNHGWY")
    assert set(FIXTURE_TYPES) == {"F", "L", "Q", "W"}


# ==============================================================================================
# validate() and the catalog
# ==============================================================================================


def test_validate_dispatches() -> None:
    assert isinstance(validate("id", "11010519491231002X", today=TODAY), ResidentId)
    assert isinstance(validate("uscc", "914403001922038216"), CreditCode)
    assert isinstance(validate("unit", "340123002004GB00011F00010001"), UnitCode)
    raises_key("id_check_digit", validate, "id", "110105194912310021", today=TODAY)


def test_validate_unknown_kind() -> None:
    error = raises_key("unknown_kind", validate, "passport", "E12345678")
    assert error.params["allowed"] == "id/uscc/unit"


def test_every_identifier_message_has_both_languages() -> None:
    keys = [key for key in catalog() if key.startswith("identifiers.")]
    assert len(keys) >= 25
    for key in keys:
        texts = catalog()[key]
        assert texts.get("zh") and texts.get("en"), key
        # Every message names the value it is about (except the unknown-kind one).
        if key != "identifiers.unknown_kind":
            assert "{value}" in texts["zh"] and "{value}" in texts["en"], key
