"""Cron arithmetic on wire timestamps: validation, first slot, next slot, missed slots.

Cron strings are standard five-field ones (minute hour day-of-month month day-of-week),
evaluated in UTC. A slot is the moment a cron string names; ``startAt`` counts as a slot
when it falls on one, ``endAt`` is the last moment a slot may have.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import CroniterError, croniter

from conveyor_runner.errors import InvalidInputError
from conveyor_runner.ids import parse_iso, to_iso

_EPSILON = timedelta(microseconds=1)


def check(value: object, field: str = "cron") -> str:
    """The cron string if it is a valid five-field one.

    Raises:
        InvalidInputError: naming ``field`` and quoting the string with the reason.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field}: required, a cron string like '0 2 * * *'", field)
    text = " ".join(value.split())
    if len(text.split(" ")) != 5:
        raise InvalidInputError(
            f"{field}: invalid cron string {value!r}: expected 5 fields (minute hour "
            "day-of-month month day-of-week)", field)
    try:
        croniter(text).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"{field}: invalid cron string {value!r}: {exc}", field) \
            from None
    return text


def parse_moment(value: object, field: str) -> str:
    """An ISO-8601 date or timestamp as a wire timestamp (UTC, milliseconds)."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}: must be an ISO-8601 date string", field)
    try:
        return to_iso(parse_iso(value))
    except ValueError:
        raise InvalidInputError(f"{field}: {value!r} is not an ISO-8601 date", field) \
            from None


def first_slot(cron: str, now: datetime, start_at: str | None,
               end_at: str | None) -> str | None:
    """The first slot at or after ``max(now, startAt)``; None when it is past ``endAt``."""
    start = max(now, parse_iso(start_at)) if start_at else now
    return _bounded(croniter(cron, start - _EPSILON).get_next(datetime), end_at)


def slot_after(cron: str, moment: datetime, end_at: str | None) -> str | None:
    """The first slot strictly after ``moment``; None when it is past ``endAt``."""
    return _bounded(croniter(cron, moment).get_next(datetime), end_at)


def slots_until(cron: str, slot: str, now: datetime, cap: int = 1000) -> int:
    """How many slots lie in ``[slot, now]`` (at least 1 when ``slot <= now``; capped)."""
    count, moment = 0, parse_iso(slot)
    schedule = croniter(cron, moment - _EPSILON)
    while count < cap:
        moment = schedule.get_next(datetime)
        if moment > now:
            break
        count += 1
    return count


def _bounded(moment: datetime, end_at: str | None) -> str | None:
    if end_at and moment > parse_iso(end_at):
        return None
    return to_iso(moment)
