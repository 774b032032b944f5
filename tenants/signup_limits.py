"""How many signups one client address and one email may send: a moving window in Redis.

Every accepted form counts (a new signup, a resumed one, a changed plan): each can create a
Stripe Customer and Checkout Session and hold a subdomain. Counted in Redis so that every web
process shares the same count. When Redis cannot be reached the signup goes ahead (a sale is
worth more than the limit for the length of an outage) and the outage is logged.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import StorageError
from redis import Redis

from db.messages import N_, Message
from tenants.rate_limits import moving_window

PER_ADDRESS = "5 per 10 minutes"
PER_EMAIL = "3 per hour"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds


class SignupLimits:
    def __init__(self, redis: Redis, per_address: str = PER_ADDRESS, per_email: str = PER_EMAIL):
        self.limiter = moving_window(redis, "contyzr-signup-limits")
        self.per_address: RateLimitItem = parse(per_address)
        self.per_email: RateLimitItem = parse(per_email)

    def check(self, address: str | None, email: str) -> Refusal | None:
        """Count one signup from this address and email; a ``Refusal`` when over a limit."""
        email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        checks = ((self.per_address, "address", address or "unknown"),
                  (self.per_email, "email", email_key))
        try:
            for item, kind, key in checks:
                if not self.limiter.hit(item, kind, key):
                    retry_after = self._retry_after(item, kind, key)
                    return Refusal(_message(kind, retry_after), retry_after)
        except StorageError as exc:
            log.warning("signup limits unavailable, signup allowed: %s", exc.storage_error)
        return None

    def _retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        reset = self.limiter.get_window_stats(item, *identifiers).reset_time
        # Redis keeps the entries' times to about 0.1 ms: do not let that round up a second.
        return max(1, math.ceil(round(reset - time.time(), 2)))


# Whole sentences, so that each translates as a whole (Dutch counts minutes like English).
_MESSAGES = {
    ("address", False): N_("Too many signups were sent from your network in a short time. "
                           "Nothing was reserved or charged; please try again in a minute."),
    ("address", True): N_("Too many signups were sent from your network in a short time. "
                          "Nothing was reserved or charged; please try again in %(minutes)s "
                          "minutes."),
    ("email", False): N_("Too many signups were sent for this email address in a short time. "
                         "Nothing was reserved or charged; please try again in a minute."),
    ("email", True): N_("Too many signups were sent for this email address in a short time. "
                        "Nothing was reserved or charged; please try again in %(minutes)s "
                        "minutes."),
}


def _message(kind: str, retry_after: int) -> str:
    minutes = math.ceil(retry_after / 60)
    template = _MESSAGES[("address" if kind == "address" else "email", minutes > 1)]
    return Message(template, minutes=minutes) if minutes > 1 else template
