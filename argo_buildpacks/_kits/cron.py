"""Cron schedules and time zones, as Argo checks a CronWorkflow's: robfig/cron's
``ParseStandard`` (v3) and Go's ``time.LoadLocation``.

The one copy of the rule: the config's ``schedule`` and ``rebase.schedule``, a fleet's
schedule and the lint of a CronWorkflow all ask `cron_problem`, so a schedule the config
accepts is one Argo accepts.
"""

from __future__ import annotations

import functools
import re
import zoneinfo

__all__ = ["cron_expression", "cron_problem", "timezone_problem"]

_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names) of the five standard fields.
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_DAYS)}),
)
_DURATION = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")


def cron_problem(schedule: str) -> str:
    """Why robfig/cron's ParseStandard refuses ``schedule``, or ``""``."""
    fields = schedule.split()
    if fields and fields[0].startswith(("TZ=", "CRON_TZ=")):
        zone = fields[0].partition("=")[2]
        if problem := timezone_problem(zone):
            return problem
        fields = fields[1:]
    if not fields:
        return "it is empty"
    if fields[0].startswith("@"):
        if len(fields) == 1 and fields[0] in _DESCRIPTORS:
            return ""
        if fields[0] == "@every" and len(fields) == 2 and _is_duration(fields[1]):
            return ""
        return (
            f'"{" ".join(fields)}" is not a descriptor: use one of '
            f"{', '.join(sorted(_DESCRIPTORS))} or @every <duration> (e.g. @every 1h30m)"
        )
    if len(fields) != 5:
        return (
            f"it has {len(fields)} field{'s' if len(fields) != 1 else ''}; expected 5 "
            "(minute hour day-of-month month day-of-week) or a descriptor such as @daily"
        )
    for value, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for part in value.split(","):
            if problem := _range_problem(part, low, high, names):
                return f"{name} field {part!r}: {problem}"
    return ""


def cron_expression(value: str, *, what: str = "schedule") -> str:
    """``value`` if Argo accepts it as a CronWorkflow schedule (`cron_problem`).

    Raises:
        ValueError: naming ``what``, the value and what is wrong with it.
    """
    if problem := cron_problem(value):
        raise ValueError(f"{what} {value!r} is not a cron expression: {problem}")
    return value


def is_go_duration(text: str) -> bool:
    """Whether Go's ``time.ParseDuration`` accepts ``text``: an optional sign, then ``0``
    or number-and-unit pairs (``1h30m``, ``.5s``)."""
    body = text[1:] if text.startswith(("+", "-")) else text
    return body == "0" or _is_duration(body)


def _is_duration(text: str) -> bool:
    pos = 0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None:
            return False
        pos = match.end()
    return pos > 0


def _number(text: str, names: dict[str, int]) -> int | None:
    if text.lower() in names:
        return names[text.lower()]
    return int(text) if text.isascii() and text.isdigit() else None


def _range_problem(part: str, low: int, high: int, names: dict[str, int]) -> str:
    span, _, step_text = part.partition("/")
    if "/" in part and not (step_text.isascii() and step_text.isdigit()):
        return f"step {step_text!r} is not a number"
    if span in ("*", "?"):
        start, end = low, high
    else:
        first, dash, last = span.partition("-")
        start_value = _number(first, names)
        end_value = _number(last, names) if dash else start_value
        if start_value is None or end_value is None:
            return "expected a number, a range a-b, * or ?" + (
                f" (or a name: {', '.join(names)})" if names else ""
            )
        start, end = start_value, end_value
        if start < low or end > high:
            return f"out of range: allowed {low}-{high}"
        if start > end:
            return f"range {start}-{end} runs backwards"
    if step_text and int(step_text) == 0:
        return "a step of 0"
    return ""


# Cached: listing the zones reads the whole time-zone database.
@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_problem(zone: str) -> str:
    """Why Go's ``time.LoadLocation`` refuses ``zone``, or ``""`` (also when this machine has
    no time-zone database to tell)."""
    if zone in ("", "UTC", "Local") or not _zones() or zone in _zones():
        return ""
    return f'invalid timezone "{zone}": not an IANA time zone name (such as Europe/Paris or UTC)'
