"""NCRONTAB schedules as the Functions timer trigger reads them.

Six fields, `second minute hour day month day-of-week` (a five-field expression without seconds
and the `hh:mm:ss` TimeSpan form are accepted too, as the host does). Fields take `*`, lists,
ranges, steps (`*/5`, `10-40/10`, `5/15`) and names (JAN-DEC, SUN-SAT). Like NCrontab, the host's
parser, day-of-month and day-of-week must both match. Times are UTC (the host's default without
WEBSITE_TIME_ZONE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

# (low, high, names whose index+offset is the value)
_FIELDS: list[tuple[int, int, list[str], int]] = [
    (0, 59, [], 0),  # second
    (0, 59, [], 0),  # minute
    (0, 23, [], 0),  # hour
    (1, 31, [], 0),  # day of month
    (1, 12, _MONTHS, 1),  # month
    (0, 7, _DAYS, 0),  # day of week (0 and 7 are Sunday)
]

_SEARCH_LIMIT_DAYS = 366 * 8  # long enough for 29 Feb on a given weekday


def _value(token: str, names: list[str], offset: int) -> int:
    upper = token.upper()
    for index, name in enumerate(names):
        if upper == name or (len(upper) > 3 and name == upper[:3] and upper.isalpha()):
            return index + offset
    if not token.isdigit():
        raise ValueError(f"invalid value {token!r}")
    return int(token)


def _parse_field(text: str, low: int, high: int, names: list[str], offset: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"([^/]+)(?:/(\d+))?", part)
        if not match:
            raise ValueError(f"invalid field {text!r}")
        span, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"invalid step in {text!r}")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            first, last = span.split("-", 1)
            start, end = _value(first, names, offset), _value(last, names, offset)
            if names is _DAYS and end == 0 and start > 0:
                end = 7  # MON-SUN: Sunday closes the week
        else:
            start = _value(span, names, offset)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise ValueError(f"value out of range in {text!r} (allowed {low}-{high})")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed timer schedule: either cron fields or a fixed interval."""

    expression: str
    seconds: frozenset[int] = frozenset()
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    interval: timedelta | None = None

    def next_after(self, moment: datetime) -> datetime:
        """First occurrence strictly after `moment` (naive UTC, whole seconds)."""
        if self.interval is not None:
            return moment.replace(microsecond=0) + self.interval
        candidate = moment.replace(microsecond=0) + timedelta(seconds=1)
        day = candidate.replace(hour=0, minute=0, second=0)
        for _ in range(_SEARCH_LIMIT_DAYS):
            if day.month in self.months and day.day in self.days and self._weekday_ok(day):
                floor = candidate if day.date() == candidate.date() else day
                found = self._first_time_from(day, floor)
                if found is not None:
                    return found
            day += timedelta(days=1)
        raise ValueError(f"schedule {self.expression!r} never occurs")

    def _weekday_ok(self, day: datetime) -> bool:
        cron_weekday = (day.weekday() + 1) % 7  # Python Monday=0 -> cron Sunday=0
        return cron_weekday in self.weekdays or (cron_weekday == 0 and 7 in self.weekdays)

    def _first_time_from(self, day: datetime, floor: datetime) -> datetime | None:
        for hour in sorted(h for h in self.hours if h >= floor.hour):
            for minute in sorted(self.minutes):
                for second in sorted(self.seconds):
                    found = day.replace(hour=hour, minute=minute, second=second)
                    if found >= floor:
                        return found
        return None


def parse(expression: str) -> Schedule:
    """Parse an NCRONTAB expression (or `hh:mm:ss` interval); ValueError explains what is wrong."""
    text = expression.strip()
    if re.fullmatch(r"(\d+\.)?\d{1,2}:\d{2}(:\d{2})?", text):
        days, _, clock = text.rpartition(".")
        parts = [int(p) for p in clock.split(":")] + [0]
        interval = timedelta(days=int(days or 0), hours=parts[0], minutes=parts[1], seconds=parts[2])
        if interval <= timedelta(0):
            raise ValueError(f"interval {expression!r} must be positive")
        return Schedule(text, interval=interval)
    fields = text.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(
            f"NCRONTAB expression {expression!r} needs 6 fields (second minute hour day month weekday)"
        )
    parsed = [_parse_field(f, *spec) for f, spec in zip(fields, _FIELDS, strict=True)]
    seconds, minutes, hours, month_days, months, weekdays = parsed
    return Schedule(text, seconds, minutes, hours, month_days, months, weekdays)
