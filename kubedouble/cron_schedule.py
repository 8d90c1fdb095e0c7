"""A CronJob's schedule parsed as the real server parses it: github.com/robfig/cron/v3
ParseStandard (five fields, names for months and weekdays, `@hourly`-style descriptors and
`@every <duration>`, an optional `TZ=`/`CRON_TZ=` prefix), with that parser's error words."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
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


def parse(spec: str) -> tuple[set[int], ...] | str:
    """The five fields' values, or the descriptor; CronError with the parser's words."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, equals = spec.find(" "), spec.find("=")
        location = spec[equals + 1:space] if space > 0 else spec[equals + 1:]
        try:
            load_location(location)
        except CronError as problem:
            raise CronError(f"provided bad location {location}: {problem}") from None
        spec = spec[space:].strip() if space > 0 else ""
    if spec.startswith("@"):
        if spec in DESCRIPTORS:
            return spec
        if spec.startswith("@every "):
            duration = spec[len("@every "):]
            if not _DURATION.fullmatch(duration.lstrip("+-")) or duration in ("", "."):
                raise CronError(f'failed to parse duration {spec}: time: invalid duration '
                                f'"{duration}"')
            return spec
        raise CronError(f"unrecognized descriptor: {spec}")
    fields = spec.split()
    if len(fields) != len(FIELDS):
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: {_go_list(fields)}")
    values = []
    for text, bounds in zip(fields, FIELDS, strict=True):
        chosen: set[int] = set()
        for expr in [part for part in text.split(",") if part]:
            chosen |= _range(expr, bounds)
        values.append(chosen)
    return tuple(values)
