"""Telling staff about incidents: once when one opens, once when it resolves.

Mails go through the outbox (queued here, in the evaluation's transaction; delivered after
commit), one per incident, phase and recipient (the idempotency key), to every active admin
and support account and the addresses in ``ALERT_MAIL_TO``. ``*_mailed_at`` records that the
phase was dealt with. When ``ALERT_WEBHOOK_URL`` is set, the caller enqueues one webhook job
per announced incident and phase (``post_once`` below, marking ``*_posted_at``).

Rate limit per rule and phase, counted from the incidents table (the same figure for every
evaluator, in any process, across restarts): at most ``ALERT_NOTICES_PER_RULE`` messages in
10 minutes. Beyond that, the incidents of one evaluation are told in one message, the first
of them with "and N more <rule> incidents"; the others are marked as told in it
(``detail["<phase>_in"]`` = the id of the one that was told).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Incident, StaffUser
from db.models.staff import StaffRole
from emails import mails
from emails.outbox import queue_mail
from monitoring.alerts import Changes

KIND = "staff_alert"
PHASES = ("opened", "resolved")
WINDOW = timedelta(minutes=10)
NOTICES_PER_RULE = 5
TOLD_ROLES = (StaffRole.ADMIN, StaffRole.SUPPORT)


@dataclass
class Notices:
    mail_keys: list[str] = field(default_factory=list)  # outbox keys to deliver after commit
    posts: list[tuple[int, str]] = field(default_factory=list)  # (incident id, phase)


def recipients(session: Session, config: Mapping) -> list[str]:
    """Active admin and support accounts, then ``ALERT_MAIL_TO``; each address once."""
    found = list(session.scalars(select(StaffUser.email).where(
        StaffUser.disabled_at.is_(None), StaffUser.role.in_(TOLD_ROLES)).order_by(StaffUser.id)))
    found += list(config.get("ALERT_MAIL_TO") or [])
    return list({address.strip().lower(): address.strip() for address in reversed(found)
                 if "@" in address}.values())[::-1]


def incidents_url(config: Mapping) -> str:
    public = config.get("PUBLIC_URL") or f"http://localhost:{config.get('PORT', 5000)}"
    return f"{public.rstrip('/')}/admin/incidents"


def announce(session: Session, config: Mapping, changes: Changes,
             now: datetime | None = None) -> Notices:
    """Queue the mails of what opened and resolved, rate limited per rule. Flushes."""
    now = now or utcnow()
    notices, people = Notices(), recipients(session, config)
    webhook = bool(config.get("ALERT_WEBHOOK_URL"))
    limit = config.get("ALERT_NOTICES_PER_RULE")
    limit = NOTICES_PER_RULE if limit is None else int(limit)
    for phase, ids in (("opened", changes.opened), ("resolved", changes.resolved)):
        rows = list(session.scalars(select(Incident).where(Incident.id.in_(ids))
                                    .order_by(Incident.id)
                                    .execution_options(populate_existing=True))) if ids else []
        for rule in dict.fromkeys(row.rule for row in rows):
            group = [row for row in rows if row.rule == rule]
            room = max(0, limit - _told_recently(session, rule, phase, now))
            told, rest = group[:room], group[room:]
            if rest:  # one message for the rest
                told.append(rest[0])
                rest[0].detail = {**rest[0].detail, f"{phase}_more": len(rest) - 1}
                for row in rest[1:]:
                    row.detail = {**row.detail, f"{phase}_in": rest[0].id}
            for row in group:
                setattr(row, f"{phase}_mailed_at", now)
            for row in told:
                notices.mail_keys += _queue_mails(session, config, row, phase, people)
                if webhook:
                    notices.posts.append((row.id, phase))
    session.flush()
    return notices


def unposted(session: Session, config: Mapping, now: datetime | None = None) -> list[tuple[int, str]]:
    """(incident, phase) whose webhook message was due in the last ``WINDOW`` but has not gone
    out: its job may never have been queued (Redis down between commit and enqueue)."""
    if not config.get("ALERT_WEBHOOK_URL"):
        return []
    now = now or utcnow()
    due = []
    for phase in PHASES:
        mailed, posted = (getattr(Incident, f"{phase}_mailed_at"),
                          getattr(Incident, f"{phase}_posted_at"))
        due += [(incident_id, phase) for incident_id in session.scalars(
            select(Incident.id).where(mailed >= now - WINDOW, posted.is_(None),
                                      ~Incident.detail.has_key(f"{phase}_in")))]
    return due


def _told_recently(session: Session, rule: str, phase: str, now: datetime) -> int:
    """Messages of this rule and phase in the last WINDOW (summarised incidents not counted)."""
    mailed = getattr(Incident, f"{phase}_mailed_at")
    return session.scalar(select(func.count()).select_from(Incident).where(
        Incident.rule == rule, mailed >= now - WINDOW, mailed <= now,
        ~Incident.detail.has_key(f"{phase}_in")))


def _queue_mails(session: Session, config: Mapping, row: Incident, phase: str,
                 people: list[str]) -> list[str]:
    params = {"rule": row.rule, "phase": phase, "subject": row.subject, "summary": row.summary,
              "opened_at": row.opened_at.isoformat(), "incidents_url": incidents_url(config),
              "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
              "more": int(row.detail.get(f"{phase}_more", 0))}
    mails.staff_alert(**params)  # the parameters fit the mail
    keys = []
    for address in people:
        digest = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
        key = f"alert-{row.id}-{phase}-{digest}"
        if queue_mail(session, key=key, kind=KIND, to=address, params=params,
                      tenant_id=row.tenant_id):
            keys.append(key)
    return keys


def webhook_text(row: Incident, phase: str, config: Mapping) -> str:
    """The Slack-compatible message: one line for the incident, a second when it stands for
    more (English, like the summary)."""
    mark = "RESOLVED" if phase == "resolved" else "INCIDENT"
    text = f"[{mark}] {row.rule} {row.subject}: {row.summary}"
    if more := int(row.detail.get(f"{phase}_more", 0)):
        text += f"\nand {more} more {row.rule} incidents"
    return f"{text}\n{incidents_url(config)}"


class WebhookFailed(Exception):
    """The webhook did not take the post; the reason without the URL (a secret at Slack)."""


def post_once(session: Session, incident_id: int, phase: str, config: Mapping) -> str:
    """Post the phase's webhook message unless it went out already, under the incident's row
    lock (a retried or doubled job posts once); "posted", "already" or "off". Raises
    ``WebhookFailed`` when the webhook fails (the caller retries). Flushes."""
    url = config.get("ALERT_WEBHOOK_URL")
    if phase not in PHASES or not url:
        return "off"
    row = session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if row is None or getattr(row, f"{phase}_posted_at") is not None:
        return "already"
    timeout = float(config.get("ALERT_WEBHOOK_TIMEOUT_SECONDS") or 5)
    try:
        response = httpx.post(url, json={"text": webhook_text(row, phase, config)},
                              timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:  # its message holds the URL, a secret at Slack
        raise WebhookFailed(f"the webhook answered {exc.response.status_code}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise WebhookFailed(f"the webhook failed: {type(exc).__name__}") from None
    setattr(row, f"{phase}_posted_at", utcnow())
    session.flush()
    return "posted"
