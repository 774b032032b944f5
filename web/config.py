"""Configuration read from the environment (and an optional ``.env``), with typed coercion.

Every setting has one name, one type and, where it is safe, one default. In production a
missing or malformed required setting stops start-up with a ``ConfigError`` naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def proxy_count(value: str | bool | int | None) -> int:
    """TRUST_PROXY: how many proxies in front of the app append to X-Forwarded-For.

    A number (0 = none). ``true``/``false`` (and yes/no, on/off), from when the setting was a
    switch, still mean 1 and 0.
    """
    if value is None or isinstance(value, bool):
        return int(bool(value))
    if isinstance(value, int):
        count = value
    else:
        text = value.strip().lower()
        try:
            return int(_bool(text))
        except ValueError:
            pass
        if not text.isdigit():
            raise ValueError("expected the number of proxies in front of the app (0 = none)")
        count = int(text)
    if not 0 <= count <= 10:
        raise ValueError("expected the number of proxies in front of the app, 0 to 10")
    return count


def _int(value: str) -> int:
    return int(value.strip())


def _port(value: str) -> int:
    port = int(value.strip())
    if not 0 < port < 65536:
        raise ValueError("expected a port between 1 and 65535")
    return port


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _str(value: str) -> str:
    return value.strip()


def _rate(value: str) -> str:
    """A rate in the ``limits`` notation, e.g. ``5 per 10 minutes``."""
    from limits import parse

    parse(value.strip())  # raises ValueError when malformed
    return value.strip()


def _minutes_between(low: int, high: int) -> Callable[[str], int]:
    def coerce(value: str) -> int:
        minutes = int(value.strip())
        if not low <= minutes <= high:
            raise ValueError(f"expected minutes from {low} to {high}")
        return minutes

    return coerce


def _one_of(*choices: str) -> Callable[[str], str]:
    def coerce(value: str) -> str:
        chosen = value.strip().lower()
        if chosen not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return chosen

    return coerce


def _url(value: str) -> str:
    value = value.strip()
    if "://" not in value:
        raise ValueError("expected a URL such as scheme://host")
    return value


# name: (coercer, default, required in production)
SETTINGS: dict[str, tuple[Callable[[str], Any], Any, bool]] = {
    "APP_ENV": (_str, "development", False),
    "SECRET_KEY": (_str, None, True),
    "DATABASE_URL": (_url, None, True),
    "REDIS_URL": (_url, None, True),
    "PORT": (_port, 5000, False),
    "PLATFORM_DOMAIN": (_str, "localhost", False),
    "PUBLIC_URL": (_url, None, False),
    "PREFERRED_URL_SCHEME": (_str, "http", False),
    "STRIPE_SECRET_KEY": (_str, None, True),
    "STRIPE_WEBHOOK_SECRET": (_csv, [], True),
    "STAFF_IDLE_MINUTES": (_int, 30, False),  # a back-office session ends when idle this long
    # The Connect endpoint's own secret(s): events of the shops' accounts (webshop orders).
    "STRIPE_CONNECT_WEBHOOK_SECRET": (_csv, [], False),
    "STRIPE_API_BASE": (_url, None, False),
    "STRIPE_WEBHOOK_TOLERANCE": (_int, 300, False),
    "RESEND_API_KEY": (_str, None, False),
    "RESEND_API_URL": (_url, None, False),
    "MAIL_FROM": (_str, "Contyzr <hello@contyzr.localhost>", False),
    "MAIL_RATE_PER_SECOND": (_int, 2, False),
    "INSTANCE_PATH": (_str, None, False),
    "MEDIA_ROOT": (_str, None, False),
    # Uploads in an S3-compatible store instead of MEDIA_ROOT, when a bucket is named.
    "MEDIA_S3_BUCKET": (_str, None, False),
    "MEDIA_S3_ENDPOINT": (_url, None, False),
    "MEDIA_S3_REGION": (_str, None, False),
    "MEDIA_S3_ACCESS_KEY_ID": (_str, None, False),
    "MEDIA_S3_SECRET_ACCESS_KEY": (_str, None, False),
    # Custom domains (tenants/domains.py, tenants/domain_checks.py): the resolvers the DNS
    # checks ask ("host[:port]", comma-separated; empty: the system's), the addresses an apex
    # domain's A/AAAA records must point at (the edge's), how long a verified domain whose
    # records disappeared is still served, and who may ask whether a name gets a certificate.
    "DNS_RESOLVERS": (_csv, [], False),
    "PLATFORM_ADDRESSES": (_csv, ["127.0.0.1", "::1"], False),
    "DOMAIN_LOST_GRACE_HOURS": (_int, 72, False),
    "TLS_ASK_FROM": (_csv, ["127.0.0.1", "::1"], False),
    # The provisioning step "dns" (tenants/providers.py): "recording" (default) only records
    # it; "cloudflare" keeps a CNAME <subdomain>.<PLATFORM_DOMAIN> -> EDGE_HOSTNAME in the zone
    # CLOUDFLARE_ZONE_ID (the platform domain's zone) with an API token allowed DNS Edit on it.
    # CLOUDFLARE_API_BASE only for another endpoint (the tests' local fake).
    "DNS_PROVIDER": (_one_of("recording", "cloudflare"), "recording", False),
    "CLOUDFLARE_API_TOKEN": (_str, None, False),
    "CLOUDFLARE_ZONE_ID": (_str, None, False),
    "CLOUDFLARE_API_BASE": (_url, None, False),
    "EDGE_HOSTNAME": (_str, None, False),
    "RETENTION_DAYS": (_int, 30, False),
    # Stripe events: attempts before one is marked failed, and the first wait between them
    # (doubling after each failure).
    "EVENT_MAX_ATTEMPTS": (_int, 8, False),
    "EVENT_RETRY_SECONDS": (_int, 30, False),
    # The repairing sweeps: how long a stored event is left to its webhook's own job, how long
    # a provisioning run may stand still, and (0: the defaults in worker.schedule) how often
    # the event, provisioning and mail sweeps run. Short only in test stacks (bench/chaos.py).
    "EVENT_SETTLE_SECONDS": (_int, 30, False),
    "PROVISIONING_STUCK_SECONDS": (_int, 20, False),
    "SWEEP_EVERY_SECONDS": (_int, 0, False),
    # Signups: limits per client address and per email ("<count> per <n> <unit>"), how long
    # an unpaid signup holds its subdomain (Stripe accepts 30 to 1440), and for how long after
    # the site is ready the onboarding page may sign its browser in.
    "SIGNUP_LIMIT_PER_ADDRESS": (_rate, "5 per 10 minutes", False),
    "SIGNUP_LIMIT_PER_EMAIL": (_rate, "3 per hour", False),
    "SIGNUP_RESERVATION_MINUTES": (_minutes_between(30, 1440), 60, False),
    "ONBOARDING_SIGNIN_MINUTES": (_int, 15, False),
    "MAX_CONTENT_LENGTH": (_int, 11 * 1024 * 1024, False),  # uploads are at most 10 MB
    "TRUST_PROXY": (proxy_count, 0, False),
    # rq's own log lines in the workers (each job started and finished) from this level up;
    # the one structured line per job is logged apart (LOG_LEVEL).
    "WORKER_LOG_LEVEL": (_one_of("debug", "info", "warning", "error"), "warning", False),
    # The storefront's language for visitors who chose none and whose browser asks for none of
    # ours (web/i18n.py).
    "DEFAULT_LANGUAGE": (_one_of("nl", "en"), "nl", False),
    # Health checks of tenant sites (monitoring/site_checks.py): each live site's home page is
    # requested once per interval (its own slot in it), up to CONCURRENCY requests at a time,
    # each with a timeout; slower than SLOW_MS is a warning. SITE_CHECK_CONNECT ("host:port")
    # sends the requests to that address (the edge, or a local app) keeping the Host header,
    # instead of resolving each name: tests, benchmarks, a checker beside the edge.
    "SITE_CHECK_INTERVAL_SECONDS": (_int, 300, False),
    "SITE_CHECK_TIMEOUT_SECONDS": (_int, 10, False),
    "SITE_CHECK_SLOW_MS": (_int, 3000, False),
    "SITE_CHECK_CONCURRENCY": (_int, 50, False),
    "SITE_CHECK_BATCH_SIZE": (_int, 1000, False),  # sites per job run
    "SITE_CHECK_CONNECT": (_str, None, False),
    # Metrics and logs (monitoring/metrics.py, monitoring/logs.py): who may read /metrics
    # (addresses or networks, judged on the client address after TRUST_PROXY), the request and
    # job lines as JSON or readable text and from which level, and Sentry for errors (unset: off).
    "METRICS_ALLOW_FROM": (_csv, ["127.0.0.1", "::1"], False),
    "LOG_FORMAT": (_one_of("text", "json"), "text", False),
    "LOG_LEVEL": (_one_of("debug", "info", "warning", "error"), "info", False),
    "SENTRY_DSN": (_str, None, False),
    # The AI writing assistant (Enterprise): any OpenAI-compatible chat completions API. Without
    # all three it shows "not configured". The timeout covers a whole answer.
    "AI_API_BASE": (_url, None, False),
    "AI_API_KEY": (_str, None, False),
    "AI_MODEL": (_str, None, False),
    "AI_TIMEOUT_SECONDS": (_int, 30, False),
    # Alerts (monitoring/alert_rules.py, monitoring/alert_notices.py): staff (active admin and
    # support accounts) and ALERT_MAIL_TO are mailed once when an incident opens and once when
    # it resolves, and ALERT_WEBHOOK_URL (Slack-compatible) gets a post when set; at most
    # ALERT_NOTICES_PER_RULE messages per rule in 10 minutes (beyond: one "and N more"), an
    # incident resolved after ALERT_RESOLVE_AFTER_MINUTES without firing. The rules' thresholds.
    "ALERT_MAIL_TO": (_csv, [], False),
    "ALERT_WEBHOOK_URL": (_url, None, False),
    "ALERT_WEBHOOK_TIMEOUT_SECONDS": (float, 5.0, False),
    "ALERT_NOTICES_PER_RULE": (_int, 5, False),
    "ALERT_RESOLVE_AFTER_MINUTES": (_int, 5, False),
    "ALERT_SITE_DOWN_CHECKS": (_int, 2, False),
    "ALERT_UPTIME_PERCENT": (float, 99.0, False),
    "ALERT_UPTIME_HOURS": (_int, 24, False),
    "ALERT_PROVISIONING_STUCK_MINUTES": (_int, 15, False),
    "ALERT_EVENTS_FAILED_HOURS": (_int, 24, False),
    "ALERT_EVENTS_BACKLOG_MINUTES": (_int, 5, False),
    "ALERT_EVENTS_BACKLOG_COUNT": (_int, 10, False),
    "ALERT_QUEUE_LENGTH": (_int, 1000, False),
    "ALERT_QUEUE_AGE_SECONDS": (_int, 600, False),
    "ALERT_WORKERS_MISSING_SECONDS": (_int, 120, False),
    "ALERT_MAIL_ATTEMPTS": (_int, 3, False),
    "ALERT_PAYMENT_FAILURES_PER_HOUR": (_int, 10, False),
}


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def load_config(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict:
    """Read every setting; the environment wins over ``.env``."""
    source = dict(_read_dotenv(dotenv or Path.cwd() / ".env"))
    source.update(os.environ if environ is None else environ)
    config: dict[str, Any] = {}
    for name, (coerce, default, _required) in SETTINGS.items():
        raw = source.get(name)
        if raw is None or raw.strip() == "":
            config[name] = default
            continue
        try:
            config[name] = coerce(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} is malformed ({exc}): {raw!r}") from None
    if config["APP_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}: {config['APP_ENV']!r}")
    return config


def check_required(config: Mapping[str, Any]) -> None:
    """In production every required setting must be present; raise naming the first missing."""
    if config["APP_ENV"] != "production":
        return
    for name, (_coerce, _default, required) in SETTINGS.items():
        if required and not config.get(name):
            raise ConfigError(f"{name} is required in production; set it in the environment")
