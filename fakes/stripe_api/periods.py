"""Billing period arithmetic: Stripe keeps the anchor's day of month (31 -> 28 Feb -> 31 Mar)."""

from calendar import monthrange
from datetime import UTC, datetime

from .store import DAY


def add_interval(start: int, interval: str, count: int = 1, anchor: int | None = None) -> int:
    """``start`` moved ``count`` intervals (day/week/month/year) on, on ``anchor``'s day."""
    if interval == "day":
        return start + count * DAY
    if interval == "week":
        return start + count * 7 * DAY
    moment = datetime.fromtimestamp(start, UTC)
    anchor_day = datetime.fromtimestamp(anchor if anchor is not None else start, UTC).day
    months = moment.month - 1 + count * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(anchor_day, monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())
