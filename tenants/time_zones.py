"""The site's local time: an IANA zone name per tenant (``Tenant.time_zone``), in which posts
are scheduled and dates are shown. Moments are stored in UTC.

Clock changes: a local time that does not exist (the hour skipped when clocks go forward) is
refused; one that exists twice (the hour repeated when clocks go back) is the first of the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import Tenant
from db.refusals import Refused

DEFAULT = "Europe/Amsterdam"
MAX_LENGTH = 64  # Tenant.time_zone
COMMON = (
    "Europe/Amsterdam", "Europe/Brussels", "Europe/London", "Europe/Dublin", "Europe/Lisbon",
    "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Vienna",
    "Europe/Zurich", "Europe/Copenhagen", "Europe/Stockholm", "Europe/Oslo", "Europe/Helsinki",
    "Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Istanbul",
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Toronto", "America/Sao_Paulo", "Africa/Johannesburg", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    "UTC",
)


def zone(name: str | None) -> ZoneInfo:
    """The zone of that name; the default one for a name that is not (any longer) known."""
    try:
        return ZoneInfo(name or DEFAULT)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT)


def checked(name: str) -> str:
    """The IANA name as given (spaces around it removed); raises ``Refused`` for anything else."""
    name = (name or "").strip()
    if not name:
        raise Refused(N_("Choose a time zone."), "time_zone")
    if len(name) > MAX_LENGTH or name not in available_timezones():
        raise Refused(Message(N_("\u201c%(name)s\u201d is not a time zone we know. Use a name like "
                                 "Europe/Amsterdam or America/New_York."), name=name[:MAX_LENGTH]),
                      "time_zone")
    return name


def set_time_zone(session: Session, tenant: Tenant, name: str) -> None:
    """Raises ``Refused`` for a name that is not an IANA time zone. Flushes."""
    tenant.time_zone = checked(name)
    session.flush()


def to_utc(local: datetime, name: str) -> datetime:
    """A wall-clock time (without a zone) in the zone ``name``, as a UTC moment.

    Raises ``Refused`` for a time skipped by a clock change; of a time that occurs twice,
    the first."""
    zone_info = zone(name)
    first = local.replace(tzinfo=zone_info, fold=0)
    moment = first.astimezone(UTC)
    if moment.astimezone(zone_info).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise Refused(Message(N_("%(moment)s does not exist in %(zone)s: the clocks are put "
                                 "forward then. Choose another time."),
                              moment=local.replace(tzinfo=None), zone=zone_info.key),
                      "publish_at")
    return moment


def to_local(moment: datetime, name: str) -> datetime:
    """A moment (naive ones count as UTC) as the wall-clock time in the zone, without a zone."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(zone(name)).replace(tzinfo=None)
