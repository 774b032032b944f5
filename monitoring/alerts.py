"""Evaluating the alert rules (``monitoring.alert_rules``) into incidents.

Per rule: a finding without an open incident opens one (INSERT ... ON CONFLICT DO NOTHING on
the partial unique index of open incidents, so two evaluators at once never open the same
one twice), a finding with one touches its ``last_seen_at``, and an open incident that has
not fired for ``ALERT_RESOLVE_AFTER_MINUTES`` is resolved (an UPDATE guarded by
``resolved_at IS NULL``: a concurrent evaluator resolves nothing twice). Waiting a little
before resolving is what keeps a flapping check quiet: a site that comes and goes within
those minutes keeps one incident open, and staff hear of it once.

A rule that raises (Redis down for the queue rules, the uptime module missing) is logged and
skipped: its open incidents stay as they are and the other rules carry on. Flushes, never
commits; the caller commits, then sends the notices (``monitoring.alert_notices``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Incident
from monitoring.alert_rules import RULES, Finding, Rule

log = logging.getLogger(__name__)
RESOLVE_AFTER_MINUTES = 5


@dataclass
class Changes:
    opened: list[int] = field(default_factory=list)  # incident ids
    resolved: list[int] = field(default_factory=list)
    firing: int = 0  # findings of incidents that were open already
    failed_rules: list[str] = field(default_factory=list)


def evaluate(session: Session, redis: Redis | None, config: Mapping,
             queue_names: Sequence[str] = (), now: datetime | None = None,
             rules: Mapping[str, Rule] | None = None) -> Changes:
    """Run every rule (or ``rules``) and bring the incidents up to date; what changed."""
    now = now or utcnow()
    config = {**config, "ALERT_QUEUE_NAMES": tuple(queue_names)}
    resolve_after = config.get("ALERT_RESOLVE_AFTER_MINUTES")
    quiet = timedelta(minutes=RESOLVE_AFTER_MINUTES if resolve_after is None else resolve_after)
    changes = Changes()
    for name, rule in (RULES if rules is None else rules).items():
        try:
            with session.begin_nested():
                findings = _unique(rule(session, redis, config, now))
        except Exception:
            log.exception("alert rule %s failed; its incidents are left as they are", name)
            changes.failed_rules.append(name)
            continue
        opened = _open(session, name, findings, now)
        changes.opened += opened
        changes.firing += len(findings) - len(opened)
        changes.resolved += _resolve(session, name, now - quiet, now)
    session.flush()
    return changes


def _unique(findings: list[Finding]) -> list[Finding]:
    return list({finding.subject: finding for finding in reversed(findings)}.values())[::-1]


def _open(session: Session, rule: str, findings: list[Finding], now: datetime) -> list[int]:
    """Open incidents for the findings without one; touch the others. The new ids."""
    if not findings:
        return []
    opened = list(session.scalars(
        insert(Incident).values([
            {"rule": rule, "subject": finding.subject, "tenant_id": finding.tenant_id,
             "summary": finding.summary, "detail": finding.detail, "opened_at": now,
             "last_seen_at": now} for finding in findings])
        .on_conflict_do_nothing(index_elements=["rule", "subject"],
                                index_where=Incident.resolved_at.is_(None))
        .returning(Incident.id)))
    session.execute(
        update(Incident).where(Incident.id.in_(_unlocked(
            Incident.rule == rule, Incident.resolved_at.is_(None),
            Incident.subject.in_([finding.subject for finding in findings]),
            Incident.last_seen_at < now)))
        .values(last_seen_at=now).execution_options(synchronize_session=False))
    return opened


def _unlocked(*where):
    """The ids of the open incidents that match, skipping rows a webhook job holds locked
    (they are touched or resolved at the next evaluation instead of waiting for it)."""
    return select(Incident.id).where(*where).with_for_update(skip_locked=True)


def _resolve(session: Session, rule: str, unseen_since: datetime, now: datetime) -> list[int]:
    return list(session.scalars(
        update(Incident).where(Incident.id.in_(_unlocked(
            Incident.rule == rule, Incident.resolved_at.is_(None),
            Incident.last_seen_at < unseen_since, Incident.last_seen_at < now)),
            Incident.resolved_at.is_(None))
        .values(resolved_at=now).returning(Incident.id)
        .execution_options(synchronize_session=False)))
