"""Identifier checksums, cross-checked against an independent implementation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from esgcheck.engine.expr.builtins import orgcode_valid, uscc_valid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

bodies = st.tuples(
    st.text("123456789", min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(bodies)
def test_uscc_agrees_with_python_stdnum(body: str) -> None:
    good = body + uscc.calc_check_digit(body)
    assert uscc_valid(good)
    for wrong in ALPHABET:
        if wrong != good[-1]:
            assert not uscc_valid(body + wrong)


def test_uscc_examples() -> None:
    assert uscc_valid("91110000600037341L")
    assert uscc_valid("91130200699229617X")  # the example of HJ 608-2017
    assert not uscc_valid("91110000600037341M")
    assert not uscc_valid("9111000060003734IL")  # I is not in the alphabet
    assert not uscc_valid("91A10000600037341L")  # positions 3-8 are digits
    assert not uscc_valid("91110000600037341")


def test_uscc_allows_letters_in_the_first_two_positions() -> None:
    # GB 32100 position 1 may be a letter (e.g. Y, other authorities)
    body = "Y1110000600037341"
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    assert uscc_valid(body + ALPHABET[(31 - total % 31) % 31])


def test_organisation_code() -> None:
    # weights 3 7 9 10 5 8 4 2, check 11 - sum mod 11, 10 -> X, 11 -> 0
    assert orgcode_valid("600037341")
    assert not orgcode_valid("600037342")
    assert not orgcode_valid("60003734")
