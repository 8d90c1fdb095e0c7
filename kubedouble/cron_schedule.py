"""A CronJob's schedule parsed as the real server parses it: github.com/robfig/cron/v3
ParseStandard (five fields, names for months and weekdays, `@hourly`-style descriptors and
`@every <duration>`, an optional `TZ=`/`CRON_TZ=` prefix), with that parser's error words, and
the scheduled times the CronJob controller derives from it (mostRecentScheduleTime)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
WEEKDAYS = {name: number for number, name in enumerate(
    ("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


FIELDS = (Bounds(0, 59), Bounds(0, 23), Bounds(1, 31), Bounds(1, 12, MONTHS),
          Bounds(0, 6, WEEKDAYS))
_DURATION = re.compile(r"([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+")


class CronError(ValueError):
    pass


def load_location(name: str) -> None:
    """time.LoadLocation: "" and UTC are UTC, Local the host's zone, else the tz database."""
    if name in ("", "UTC", "Local"):
        return
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"unknown time zone {name}") from None


def _go_list(fields: list[str]) -> str:
    return "[" + " ".join(fields) + "]"


def _number(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": '
                        "invalid syntax")
    number = int(text)
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {text}")
    return number


def _int_or_name(text: str, names: dict[str, int] | None) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    return _number(text)


def _range(expr: str, bounds: Bounds) -> set[int]:
    """getRange: `*`, `?`, `a`, `a-b`, each with an optional `/step`."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = bounds.low, bounds.high
    else:
        start = _int_or_name(low_and_high[0], bounds.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds.names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if len(low_and_high) == 1:
            end = bounds.high  # "N/step" means "N-max/step"
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < bounds.low:
        raise CronError(f"beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise CronError(f"end of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step))


@dataclass(frozen=True)
class Schedule:
    """Parsed fields (minute, hour, day of month, month, weekday), or a fixed interval."""

    fields: tuple[frozenset[int], ...] = ()
    any_day_of_month: bool = False  # the field was `*`/`?`: robfig ANDs the day fields then
    any_weekday: bool = False
    every_seconds: float | None = None
    location: str = ""  # a TZ= prefix

    def matches(self, moment: datetime) -> bool:
        """Whether a whole minute (in the schedule's zone) is one of the schedule's times."""
        minute, hour, days, months, weekdays = self.fields
        if moment.minute not in minute or moment.hour not in hour or moment.month not in months:
            return False
        day, weekday = moment.day in days, (moment.isoweekday() % 7) in weekdays
        if self.any_day_of_month or self.any_weekday:
            return day and weekday
        return day or weekday


DESCRIBED = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
             "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
             "@hourly": "0 * * * *"}
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def _seconds(duration: str) -> float:
    return sum(float(number) * _UNITS[unit]
               for number, unit in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", duration))


def parse(spec: str) -> Schedule:
    """The schedule, or CronError with the parser's words."""
    if not spec:
        raise CronError("empty spec string")
    location = ""
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, equals = spec.find(" "), spec.find("=")
        location = spec[equals + 1:space] if space > 0 else spec[equals + 1:]
        try:
            load_location(location)
        except CronError as problem:
            raise CronError(f"provided bad location {location}: {problem}") from None
        spec = spec[space:].strip() if space > 0 else ""
    if spec.startswith("@"):
        if spec in DESCRIBED:
            return _fields(DESCRIBED[spec], location)
        if spec.startswith("@every "):
            duration = spec[len("@every "):]
            if not _DURATION.fullmatch(duration.lstrip("+-")) or duration in ("", "."):
                raise CronError(f'failed to parse duration {spec}: time: invalid duration '
                                f'"{duration}"')
            return Schedule(every_seconds=max(1.0, float(int(_seconds(duration)))),
                            location=location)
        raise CronError(f"unrecognized descriptor: {spec}")
    return _fields(spec, location)


def _fields(spec: str, location: str) -> Schedule:
    fields = spec.split()
    if len(fields) != len(FIELDS):
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {_go_list(fields)}")
    values = []
    for text, bounds in zip(fields, FIELDS, strict=True):
        chosen: set[int] = set()
        for expr in [part for part in text.split(",") if part]:
            chosen |= _range(expr, bounds)
        values.append(frozenset(chosen))
    return Schedule(tuple(values), any_day_of_month=fields[2] in ("*", "?"),
                    any_weekday=fields[4] in ("*", "?"), location=location)


def most_recent(schedule: Schedule, after: datetime, now: datetime,
                zone: str = "") -> tuple[datetime | None, int]:
    """The latest scheduled time in (after, now] and how many there were (at most 101 are
    counted, as mostRecentScheduleTime stops at 100 missed), times in `zone` (UTC if none)."""
    if schedule.every_seconds is not None:
        step = timedelta(seconds=schedule.every_seconds)
        count = int((now - after) / step)
        return (after + count * step if count else None), min(count, 101)
    tz = zoneinfo.ZoneInfo(schedule.location or zone) if (schedule.location or zone) not in (
        "", "UTC", "Local") else UTC
    moment = now.astimezone(tz).replace(second=0, microsecond=0)
    floor = after.astimezone(tz)
    latest, count = None, 0
    while moment > floor and count <= 100 and moment > now.astimezone(tz) - timedelta(days=366):
        if schedule.matches(moment):
            latest = latest or moment
            count += 1
        moment -= timedelta(minutes=1)
    return latest, count
