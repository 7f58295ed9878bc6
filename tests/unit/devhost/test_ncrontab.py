from datetime import datetime, timedelta

import pytest

from devhost.ncrontab import parse


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 */5 * * * *", datetime(2024, 1, 1, 0, 4, 59), datetime(2024, 1, 1, 0, 5)),
        ("0 */5 * * * *", datetime(2024, 1, 1, 0, 5), datetime(2024, 1, 1, 0, 10)),
        ("*/10 * * * * *", datetime(2024, 1, 1, 23, 59, 55), datetime(2024, 1, 2)),
        ("15,45 * * * * *", datetime(2024, 1, 1, 0, 0, 16), datetime(2024, 1, 1, 0, 0, 45)),
        ("0 10-40/10 * * * *", datetime(2024, 1, 1, 0, 31), datetime(2024, 1, 1, 0, 40)),
        ("0 5/20 * * * *", datetime(2024, 1, 1, 0, 6), datetime(2024, 1, 1, 0, 25)),
        ("0 30 9 * * MON-FRI", datetime(2024, 1, 6, 10), datetime(2024, 1, 8, 9, 30)),  # Saturday -> Monday
        ("0 0 0 * * SAT-SUN", datetime(2024, 1, 1), datetime(2024, 1, 6)),
        ("0 0 12 * JAN,JUL SUN", datetime(2024, 1, 31, 13), datetime(2024, 7, 7, 12)),
        ("0 0 0 29 FEB *", datetime(2024, 3, 1), datetime(2028, 2, 29)),
        ("0 0 0 1 * 1", datetime(2024, 1, 2), datetime(2024, 4, 1)),  # day AND weekday, as NCrontab
        ("0 0 * * * 7", datetime(2024, 1, 6, 23, 30), datetime(2024, 1, 7)),  # 7 is Sunday
        ("0 * * * *", datetime(2024, 1, 1, 0, 30), datetime(2024, 1, 1, 1)),  # five fields: no seconds
    ],
)
def test_next_occurrence(expression: str, after: datetime, expected: datetime) -> None:
    assert parse(expression).next_after(after) == expected


def test_interval_form() -> None:
    assert parse("00:05:00").next_after(datetime(2024, 1, 1, 0, 0, 0, 500)) == datetime(2024, 1, 1, 0, 5)
    assert parse("1.00:00:00").interval == timedelta(days=1)


def test_names_and_lists_expand() -> None:
    schedule = parse("0 0 0 * JAN-MAR,DEC MON,WED")
    assert schedule.months == {1, 2, 3, 12}
    assert schedule.weekdays == {1, 3}
    assert parse("0 0 0 * * MON-SUN").weekdays == {1, 2, 3, 4, 5, 6, 7}


@pytest.mark.parametrize(
    "expression", ["", "* * * *", "60 * * * * *", "* * 24 * * *", "*/0 * * * * *", "0 0 0 * FOO *"]
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(ValueError):
        parse(expression)
