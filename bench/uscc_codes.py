"""Unified social credit codes for generated benchmark filings: valid check
characters, so that only the defects a generator means to make are found."""

from __future__ import annotations

import random

from stdnum.cn import uscc

DIVISIONS = ["440115", "130203", "320506", "510107", "370212", "350105", "110108", "330110"]


def make_uscc(rng: random.Random) -> str:
    """A unified social credit code whose embedded organisation code checks out too."""
    org = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    check = 11 - sum(alphabet.index(c) * w for c, w in zip(org, weights, strict=True)) % 11
    org += "X" if check == 10 else "0" if check == 11 else str(check)
    body = "91" + rng.choice(DIVISIONS) + org
    return body + uscc.calc_check_digit(body)
