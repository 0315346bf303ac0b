"""GB 11643 ID numbers against published examples and crafted defects."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.domain import idnumber, quality


# The standard's own example (GB 11643-1999 Appendix) and widely published valid numbers.
@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014", "110101199003074477", "53082319900101001X"],
)
def test_valid_numbers(number: str) -> None:
    assert idnumber.problem(number) is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check_digit"),  # the example with a wrong check character
        ("440524188001010013", "check_digit"),
        ("11010519491231002", "length"),
        ("1101051949123100211", "length"),
        ("11010519491331002X", "date"),  # month 13
        ("11010520230229002X", "date"),  # 29 February in a common year
        ("1101051949123100AX", "characters"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_invalid_numbers(number: str | None, reason: str) -> None:
    assert idnumber.problem(number) == reason


def test_check_char_weights() -> None:
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167; 167 mod 11 = 2 → X
    assert idnumber.check_char("11010519491231002") == "X"


def test_birth_date_and_sex() -> None:
    assert idnumber.birth_date("11010519491231002X") == date(1949, 12, 31)
    assert idnumber.sex("11010519491231002X") == "F"  # sequence 002: even
    assert idnumber.sex("440524188001010014") == "M"  # sequence 001: odd


def test_old_15_digit_numbers_are_invalid_not_a_crash() -> None:
    persons = pd.DataFrame(
        {
            "person_id": [1, 2],
            "id_number": ["530823900101123", None],
            "sex": ["M", "F"],
            "birth_date": ["1990-01-01", "1990-01-01"],
            "village_id": [1, 1],
        }
    )
    found = quality.id_findings(persons)
    assert sorted(zip(found["check"], found["detail"])) == [("id_invalid", "length"), ("id_missing", "missing")]


# The named edge cases of the column-wise reading: (value, reason), each also against the
# one-number definition.
EDGE_CASES: dict[str, tuple[object, str | None]] = {
    "none": (None, "missing"),
    "nan": (float("nan"), "missing"),
    "empty": ("", "missing"),
    "spaces": ("   ", "missing"),
    "padded valid": (" 11010519491231002X\u3000", None),
    "lower-case x": ("11010519491231002x", None),
    "15 digits (old number)": ("530823900101123", "length"),
    "17 digits": ("11010519491231002", "length"),
    "19 digits": ("1101051949123100211", "length"),
    "letters": ("1101051949123100AX", "characters"),
    "X inside": ("1101051949123X0021", "characters"),
    "full-width digit": ("11010519491231002１", "characters"),
    "superscript digit": ("1101051949123100²X", "characters"),
    "born 1799": ("110105179912310029", "date"),
    "2019-02-30 encoded": ("110105201902300026", "date"),
    "29 February 1900 (no leap year)": ("110105190002290020", "date"),
    "month 00": ("110105194900310021", "date"),
    "wrong check digit": ("110105194912310021", "check_digit"),
    "29 February 2000": ("110105200002290021", None),
    "valid (the standard's example)": ("11010519491231002X", None),
    "valid, born 1880": ("440524188001010014", None),
    "valid, ending in a digit": ("110101199003074477", None),
}


@pytest.mark.parametrize(("value", "reason"), EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_the_column_reading_is_the_definition(value: object, reason: str | None) -> None:
    assert idnumber.problem(value) == reason
    read = idnumber.read(pd.Series([value, "11010519491231002X"], dtype=object))
    assert read.problem.iloc[0] == reason
    if reason is None:
        text = str(value).strip().upper()
        assert read.birth.iloc[0].date() == idnumber.birth_date(text)
        assert read.male.iloc[0] == (idnumber.sex(text) == "M")
    else:
        assert pd.isna(read.birth.iloc[0]) and not read.male.iloc[0]
    assert read.problem.iloc[1] is None  # its neighbour is read on its own


def test_non_ascii_digits_are_characters_not_a_crash() -> None:
    # A full-width digit is what data entry in a Chinese input method leaves; ² passes isdigit().
    assert idnumber.problem("11010519491231002１") == "characters"
    assert idnumber.problem("1101051949123100²X") == "characters"
    persons = pd.DataFrame(
        {
            "person_id": [1, 2],
            "id_number": ["１１０１０５１９４９１２３１００２X", "11010519491231002X"],
            "sex": ["F", "F"],
            "birth_date": ["1949-12-31", "1949-12-31"],
            "village_id": [1, 1],
        }
    )
    found = quality.id_findings(persons)
    assert list(zip(found["check"], found["record"], found["detail"])) == [("id_invalid", 1, "characters")]
