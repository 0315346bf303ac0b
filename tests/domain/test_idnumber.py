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
