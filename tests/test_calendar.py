"""Working-day arithmetic on the PRC calendar with make-up working days."""

from __future__ import annotations

from datetime import date

import pytest

from esgcheck.checker import PACKAGE_RULES
from esgcheck.engine import yamlio
from esgcheck.engine.expr.values import Undecidable
from esgcheck.engine.refdata import Calendar, load_calendar

CALENDAR_FILE = PACKAGE_RULES / "cn-eidm" / "data" / "prc-workdays.yaml"


@pytest.fixture(scope="module")
def prc() -> Calendar:
    return load_calendar("prc-workdays", yamlio.load(CALENDAR_FILE).data)


@pytest.mark.parametrize("day, working", [
    (date(2023, 10, 2), False),   # National Day holiday, a Monday
    (date(2023, 10, 7), True),    # make-up working Saturday
    (date(2023, 10, 8), True),    # make-up working Sunday
    (date(2024, 2, 12), False),   # Spring Festival holiday, a Monday
    (date(2024, 2, 4), True),     # make-up working Sunday before Spring Festival
    (date(2024, 2, 18), True),    # make-up working Sunday after Spring Festival
    (date(2025, 1, 28), False),   # New Year's Eve off from 2025 (State Council Decree 797)
    (date(2025, 2, 8), True),     # make-up working Saturday
    (date(2025, 5, 5), False),    # Labour Day holiday, five days from 2025
    (date(2023, 6, 21), True),    # an ordinary Wednesday
    (date(2023, 6, 24), False),   # Dragon Boat holiday, a Saturday
    (date(2023, 6, 25), True),    # make-up working Sunday
])
def test_known_days(prc: Calendar, day: date, working: bool) -> None:
    assert prc.is_working_day(day) is working


def test_five_working_days_across_national_day(prc: Calendar) -> None:
    assert prc.add_working_days(date(2023, 9, 27), 5) == date(2023, 10, 10)
    assert prc.working_days_between(date(2023, 9, 27), date(2023, 10, 10)) == 5


def test_years_outside_the_calendar_are_undecidable(prc: Calendar) -> None:
    with pytest.raises(Undecidable):
        prc.is_working_day(date(2019, 6, 3))


def test_every_year_names_its_source() -> None:
    data = yamlio.load(CALENDAR_FILE).data
    assert data["licence"] and data["sources"]
    for year, spec in data["years"].items():
        assert spec["notice"]["title"].startswith(f"国务院办公厅关于{year}年"), year
        assert spec["notice"]["url"].startswith("http"), year


def test_arithmetic_on_a_small_calendar() -> None:
    cal = Calendar("t", frozenset({2030}), frozenset({date(2030, 1, 1)}),
                   frozenset({date(2030, 1, 5)}))
    # 2029-12-31 is outside; start counting from 2030-01-01 (a holiday, Tuesday)
    assert cal.add_working_days(date(2030, 1, 1), 1) == date(2030, 1, 2)
    assert cal.add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 5)  # make-up Saturday
    assert cal.add_working_days(date(2030, 1, 10), -3) == date(2030, 1, 7)


def test_agrees_with_the_chinesecalendar_package(prc: Calendar) -> None:
    """An independent copy of the same notices, day by day over every covered year."""
    import chinese_calendar

    for year in sorted(prc.years):
        day = date(year, 1, 1)
        while day.year == year:
            assert prc.is_working_day(day) == chinese_calendar.is_workday(day), day
            day = date.fromordinal(day.toordinal() + 1)
